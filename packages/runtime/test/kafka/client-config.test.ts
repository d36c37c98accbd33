import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { hidePasswords } from '../../src/config/secrets.ts'
import {
  adminSettings,
  CLIENT_KEYS,
  type ClientConfigException,
  type ClientKey,
  type ClientKind,
  consumerSettings,
  keyTreatment,
  PASSWORD_KEYS,
  parseSecurity,
  producerSettings,
  unknownKeys,
} from '../../src/kafka/client-config.ts'

const BOOTSTRAP = { 'bootstrap.servers': 'localhost:9092' }
const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule'
const OAUTH_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const OAUTH_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler'

const settingsOf: Record<ClientKind, (props: Record<string, string>) => unknown> = {
  producer: (props) => producerSettings(props),
  consumer: (props) => consumerSettings(props, { groupId: 'g' }),
  admin: (props) => adminSettings(props),
}

/** The problems a call reports (throws if it reports none). */
function problems(fn: () => unknown, what = ''): { key: string; message: string }[] {
  try {
    fn()
  } catch (e) {
    const problems = (e as ClientConfigException).problems
    assert.ok(Array.isArray(problems), String(e))
    return [...problems]
  }
  assert.fail(`expected a ClientConfigException ${what}`)
}

const keysOf = (list: { key: string }[]) => list.map((p) => p.key)

/** A valid value other than Apache's default, for a key. */
function otherValue(key: ClientKey, kind: ClientKind): string {
  const d =
    key.defaultValue === null || typeof key.defaultValue === 'string' ? key.defaultValue : key.defaultValue[kind]
  const special: Record<string, string> = {
    'client.dns.lookup': 'resolve_canonical_bootstrap_servers_only',
    'group.protocol': 'consumer',
    'metadata.recovery.strategy': 'none',
    'buffer.memory.allocation.strategy': 'incremental',
    'sasl.oauthbearer.assertion.algorithm': 'ES256',
    'receive.buffer.bytes': '1024',
    'send.buffer.bytes': '1024',
    'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.StickyAssignor',
    'metric.reporters': 'com.example.Reporter',
    'metrics.recording.level': 'DEBUG',
    'share.acquire.mode': 'record_limit',
    'share.acknowledgement.mode': 'explicit',
  }
  if (special[key.name]) return special[key.name]!
  switch (key.type) {
    case 'BOOLEAN':
      return d === 'true' ? 'false' : 'true'
    case 'INT':
    case 'LONG':
    case 'SHORT':
      return String(Number(d ?? 0) + 1)
    case 'DOUBLE':
      return String(Number(d ?? 0) + 0.01)
    case 'LIST':
    case 'CLASS':
      return 'com.example.Custom'
    case 'PASSWORD':
      return 'a-secret-value'
    default:
      return 'custom-value'
  }
}

describe('CLIENT_KEYS', () => {
  it("classifies every key of Apache 4.4's producer (120), consumer (120) and admin (95) configs", () => {
    for (const [kind, count] of [
      ['producer', 120],
      ['consumer', 120],
      ['admin', 95],
    ] as const) {
      assert.equal(CLIENT_KEYS.filter((k) => k.clients.includes(kind)).length, count, kind)
    }
    assert.equal(new Set(CLIENT_KEYS.map((k) => k.name)).size, CLIENT_KEYS.length)
    for (const key of CLIENT_KEYS) {
      for (const kind of key.clients) {
        const t = keyTreatment(key.name, kind)!
        if (t.status === 'honoured') assert.ok(t.field.length > 0, key.name)
        else assert.ok(t.reason.length > 10, key.name)
      }
    }
  })

  it('knows which client defines which key', () => {
    assert.equal(keyTreatment('acks', 'consumer'), undefined)
    assert.equal(keyTreatment('group.id', 'consumer')?.status, 'honoured')
    assert.equal(keyTreatment('client.rack', 'producer')?.status, 'no-op')
    assert.equal(keyTreatment('retries', 'admin')?.status, 'refused')
    assert.equal(keyTreatment('interceptor.classes', 'producer')?.status, 'refused')
  })

  it('refuses every refused key set to another value than the default, naming the key, never showing a secret', () => {
    for (const key of CLIENT_KEYS) {
      for (const kind of key.clients) {
        const t = keyTreatment(key.name, kind)
        if (t?.status !== 'refused') continue
        const value = otherValue(key, kind)
        // A boolean whose other value is honoured (check.crcs=false, enable.metrics.push=false) is never refused.
        if (t.accepts?.includes(value)) continue
        const found = problems(
          () => settingsOf[kind]({ ...BOOTSTRAP, [key.name]: value }),
          `${kind} ${key.name}=${value}`,
        )
        assert.ok(keysOf(found).includes(key.name), `${kind} ${key.name}=${value}: ${JSON.stringify(found)}`)
        assert.doesNotMatch(JSON.stringify(found), /a-secret-value/)
      }
    }
  })

  it("accepts every refused key set to Apache's default (but enable.auto.commit=true, which Connect never uses)", () => {
    for (const key of CLIENT_KEYS) {
      for (const kind of key.clients) {
        const t = keyTreatment(key.name, kind)
        if (t?.status !== 'refused') continue
        const d =
          key.defaultValue === null || typeof key.defaultValue === 'string' ? key.defaultValue : key.defaultValue[kind]
        if (d === null) continue
        const call = () => settingsOf[kind]({ ...BOOTSTRAP, [key.name]: d })
        if (t.refuseDefault) assert.deepEqual(keysOf(problems(call)), [key.name])
        else assert.doesNotThrow(call, `${kind} ${key.name}=${d}`)
      }
    }
  })

  it('accepts every no-op key with another value', () => {
    for (const key of CLIENT_KEYS) {
      for (const kind of key.clients) {
        if (keyTreatment(key.name, kind)?.status !== 'no-op') continue
        assert.doesNotThrow(
          () => settingsOf[kind]({ ...BOOTSTRAP, [key.name]: otherValue(key, kind) }),
          `${kind} ${key.name}`,
        )
      }
    }
  })

  it("lists Apache's PASSWORD keys", () => {
    assert.deepEqual([...PASSWORD_KEYS].sort(), [
      'sasl.jaas.config',
      'sasl.oauthbearer.assertion.private.key.passphrase',
      'sasl.oauthbearer.client.credentials.client.secret',
      'ssl.key.password',
      'ssl.keystore.certificate.chain',
      'ssl.keystore.key',
      'ssl.keystore.password',
      'ssl.truststore.certificates',
      'ssl.truststore.password',
    ])
  })
})

describe('unknownKeys and hidePasswords', () => {
  it("returns the keys a client does not know, for Apache's warning", () => {
    assert.deepEqual(unknownKeys({ acks: '1', 'group.id': 'g', 'foo.bar': 'x' }, 'producer'), ['group.id', 'foo.bar'])
    assert.deepEqual(unknownKeys({ acks: '1', 'group.id': 'g', 'foo.bar': 'x' }, ['producer', 'consumer']), ['foo.bar'])
  })

  it('hides secrets, also under a prefix', () => {
    assert.deepEqual(
      hidePasswords({
        'ssl.keystore.password': 'p1',
        'producer.override.sasl.jaas.config': 'p2',
        'consumer.sasl.oauthbearer.client.credentials.client.secret': 'p3',
        'ssl.keystore.location': '/etc/ks.jks',
      }),
      {
        'ssl.keystore.password': '[hidden]',
        'producer.override.sasl.jaas.config': '[hidden]',
        'consumer.sasl.oauthbearer.client.credentials.client.secret': '[hidden]',
        'ssl.keystore.location': '/etc/ks.jks',
      },
    )
  })
})

describe('producerSettings', () => {
  it('parses the producer keys into settings, leaving unset keys out', () => {
    const warnings: string[] = []
    const s = producerSettings(
      {
        'bootstrap.servers': 'b1:9092, [::1]:9093,PLAINTEXT://b3:9094',
        'client.id': 'my-producer',
        acks: '-1',
        'compression.type': 'zstd',
        'compression.zstd.level': '7',
        'linger.ms': '20',
        'batch.size': '65536',
        'max.request.size': '2097152',
        'buffer.memory': '67108864',
        'max.block.ms': '9223372036854775807',
        'max.in.flight.requests.per.connection': '5',
        'delivery.timeout.ms': '200000',
        retries: '10',
        'request.timeout.ms': '40000',
        'retry.backoff.ms': '200',
        'retry.backoff.max.ms': '2000',
        'metadata.max.age.ms': '60000',
        'socket.connection.setup.timeout.ms': '5000',
      },
      { onWarning: (m) => warnings.push(m) },
    )
    assert.deepEqual(
      { ...s, security: undefined },
      {
        bootstrapServers: ['b1:9092', '[::1]:9093', 'b3:9094'],
        clientId: 'my-producer',
        security: undefined,
        acks: -1,
        compression: { type: 'zstd', level: 7 },
        lingerMs: 20,
        batchSize: 65536,
        maxRequestSize: 2097152,
        bufferMemory: 67108864,
        maxBlockMs: Number('9223372036854775807'),
        maxInFlightRequestsPerConnection: 5,
        deliveryTimeoutMs: 200000,
        retries: 10,
        requestTimeoutMs: 40000,
        retryBackoffMs: 200,
        retryBackoffMaxMs: 2000,
        metadataMaxAgeMs: 60000,
        connectTimeoutMs: 5000,
      },
    )
    assert.equal(s.security?.protocol, 'PLAINTEXT')
    assert.deepEqual(warnings, [])
    const bare = producerSettings({}, { bootstrapServers: ['x:1'], clientId: 'connector-producer-c-0' })
    assert.deepEqual(
      [bare.bootstrapServers, bare.clientId, bare.acks, bare.idempotence],
      [['x:1'], 'connector-producer-c-0', undefined, undefined],
    )
  })

  it("reports every problem at once with Apache's messages", () => {
    const found = problems(() =>
      producerSettings({
        'bootstrap.servers': 'nohost',
        acks: '2',
        'linger.ms': 'soon',
        'compression.gzip.level': '10',
        'compression.lz4.level': '0',
        'compression.zstd.level': '23',
        'compression.type': 'brotli',
        'batch.size': '-1',
      }),
    )
    assert.deepEqual(
      found.map((p) => p.message),
      [
        'Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1',
        'Invalid value -1 for configuration batch.size: Value must be at least 0',
        'Invalid value 10 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1',
        'Invalid value 0 for configuration compression.lz4.level: Value must be at least 1',
        'Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd',
        'Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22',
        'Invalid value soon for configuration linger.ms: Not a number of type LONG',
        'Invalid url in bootstrap.servers: nohost',
      ],
    )
  })

  it('turns idempotence off, with a warning, when acks or retries conflict and it was not asked for', () => {
    const warnings: string[] = []
    const s = producerSettings({ ...BOOTSTRAP, acks: '1', retries: '0' }, { onWarning: (m) => warnings.push(m) })
    assert.equal(s.idempotence, false)
    assert.deepEqual(warnings, [
      'Idempotence will be disabled because retries is set to 0.',
      "Idempotence will be disabled because acks is set to 1, not set to 'all'.",
    ])
    assert.equal(
      producerSettings({ ...BOOTSTRAP, 'enable.idempotence': 'false', 'max.in.flight.requests.per.connection': '10' })
        .idempotence,
      false,
    )
  })

  it('refuses explicit idempotence with acks, retries or in-flight requests that break it', () => {
    const found = problems(() =>
      producerSettings({
        ...BOOTSTRAP,
        'enable.idempotence': 'true',
        acks: '0',
        retries: '0',
        'max.in.flight.requests.per.connection': '6',
      }),
    )
    assert.deepEqual(found, [
      { key: 'retries', message: 'Must set retries to non-zero when using the idempotent producer.' },
      {
        key: 'acks',
        message:
          'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.',
      },
      {
        key: 'max.in.flight.requests.per.connection',
        message:
          'To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is 6.',
      },
    ])
    // Apache 4.x refuses more than 5 in flight with the default (idempotent) producer too.
    assert.deepEqual(
      keysOf(problems(() => producerSettings({ ...BOOTSTRAP, 'max.in.flight.requests.per.connection': '6' }))),
      ['max.in.flight.requests.per.connection'],
    )
    // Even when acks turned idempotence off (checked against Apache 4.4's ProducerConfig).
    assert.deepEqual(
      keysOf(
        problems(() => producerSettings({ ...BOOTSTRAP, acks: '1', 'max.in.flight.requests.per.connection': '10' })),
      ),
      ['max.in.flight.requests.per.connection'],
    )
  })

  it('takes the transactional id the runtime sets and transaction.timeout.ms; a user-set transactional.id is refused', () => {
    const transactional = {
      id: 'connect-cluster-src-0',
      reason: 'for connectors when exactly-once source support is enabled',
    }
    const s = producerSettings({ ...BOOTSTRAP, 'transaction.timeout.ms': '30000' }, { transactional })
    assert.equal(s.transactionalId, 'connect-cluster-src-0')
    assert.equal(s.transactionTimeoutMs, 30000)
    assert.equal(s.idempotence, true)
    // Without the runtime's id a producer is not transactional; transaction.timeout.ms alone changes nothing.
    const plain = producerSettings({ ...BOOTSTRAP, 'transaction.timeout.ms': '30000' })
    assert.equal(plain.transactionalId, undefined)
    assert.deepEqual(keysOf(problems(() => producerSettings({ ...BOOTSTRAP, 'transactional.id': 'mine' }))), [
      'transactional.id',
    ])
  })

  it("ignores a configured transactional.id and enable.idempotence=false for the runtime's transactional producer, with Apache's warnings", () => {
    const warnings: string[] = []
    const reason = 'for connectors when exactly-once source support is enabled'
    const s = producerSettings(
      { ...BOOTSTRAP, 'transactional.id': 'mine', 'enable.idempotence': 'false' },
      { transactional: { id: 'g-c-0', reason }, onWarning: (m) => warnings.push(m) },
    )
    assert.equal(s.transactionalId, 'g-c-0')
    assert.equal(s.idempotence, true)
    assert.deepEqual(warnings, [
      `The value 'false' for the 'enable.idempotence' property will be ignored as it cannot be overridden ${reason}. The value 'true' will be used instead.`,
      `The value 'mine' for the 'transactional.id' property will be ignored as it cannot be overridden ${reason}. The value 'g-c-0' will be used instead.`,
    ])
    // Idempotence is then asked for, so acks other than all is an error (Apache's ProducerConfig).
    assert.deepEqual(
      keysOf(problems(() => producerSettings({ ...BOOTSTRAP, acks: '1' }, { transactional: { id: 'g-c-0', reason } }))),
      ['acks'],
    )
  })

  it('checks delivery.timeout.ms against linger.ms + request.timeout.ms as Apache does', () => {
    assert.deepEqual(
      problems(() => producerSettings({ ...BOOTSTRAP, 'delivery.timeout.ms': '30000', 'linger.ms': '5' })),
      [
        {
          key: 'delivery.timeout.ms',
          message: 'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
        },
      ],
    )
    const warnings: string[] = []
    const s = producerSettings({ ...BOOTSTRAP, 'request.timeout.ms': '200000' }, { onWarning: (m) => warnings.push(m) })
    assert.equal(s.deliveryTimeoutMs, 200005)
    assert.equal(warnings.length, 1)
  })
})

describe('consumerSettings', () => {
  it('parses the consumer keys into settings', () => {
    const s = consumerSettings({
      ...BOOTSTRAP,
      'group.id': 'connect-sink',
      'session.timeout.ms': '30000',
      'heartbeat.interval.ms': '5000',
      'max.poll.interval.ms': '600000',
      'max.poll.records': '1000',
      'fetch.min.bytes': '1024',
      'fetch.max.wait.ms': '100',
      'max.partition.fetch.bytes': '2097152',
      'fetch.max.bytes': '10485760',
      'isolation.level': 'read_committed',
      'auto.offset.reset': 'earliest',
      'client.rack': 'rack-a',
      'enable.auto.commit': 'false',
      'key.deserializer': 'org.apache.kafka.common.serialization.ByteArrayDeserializer',
    })
    assert.deepEqual(
      { ...s, security: undefined, clientId: undefined },
      {
        bootstrapServers: ['localhost:9092'],
        clientId: undefined,
        security: undefined,
        groupId: 'connect-sink',
        sessionTimeoutMs: 30000,
        heartbeatIntervalMs: 5000,
        rebalanceTimeoutMs: 600000,
        maxPollRecords: 1000,
        fetchMinBytes: 1024,
        fetchMaxWaitMs: 100,
        maxPartitionFetchBytes: 2097152,
        fetchMaxBytes: 10485760,
        isolationLevel: 'read_committed',
        autoOffsetReset: 'earliest',
        clientRack: 'rack-a',
      },
    )
  })

  it('takes the group from the base, and needs one', () => {
    assert.equal(consumerSettings(BOOTSTRAP, { groupId: 'connect-c' }).groupId, 'connect-c')
    assert.deepEqual(keysOf(problems(() => consumerSettings(BOOTSTRAP))), ['group.id'])
  })

  it('refuses a heartbeat not below the session timeout, and auto.offset.reset=by_duration', () => {
    const found = problems(() =>
      consumerSettings({
        ...BOOTSTRAP,
        'group.id': 'g',
        'heartbeat.interval.ms': '45000',
        'auto.offset.reset': 'by_duration:PT1H',
      }),
    )
    assert.deepEqual(keysOf(found), ['heartbeat.interval.ms', 'auto.offset.reset'])
    assert.match(
      problems(() => consumerSettings({ ...BOOTSTRAP, 'group.id': 'g', 'auto.offset.reset': 'EARLIEST' }))[0]!.message,
      /The value must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'/,
    )
  })
})

describe('adminSettings', () => {
  it('parses the common keys and refuses the admin-only ones', () => {
    const s = adminSettings({ ...BOOTSTRAP, 'request.timeout.ms': '1000', 'client.id': 'admin-1' })
    assert.deepEqual([s.requestTimeoutMs, s.clientId], [1000, 'admin-1'])
    assert.deepEqual(
      keysOf(
        problems(() =>
          adminSettings({ ...BOOTSTRAP, 'bootstrap.controllers': 'c:9093', 'default.api.timeout.ms': '1' }),
        ),
      ),
      ['bootstrap.controllers', 'default.api.timeout.ms'],
    )
  })

  it('needs bootstrap servers', () => {
    assert.deepEqual(
      problems(() => adminSettings({})),
      [
        {
          key: 'bootstrap.servers',
          message: 'Missing required configuration "bootstrap.servers" which has no default value.',
        },
      ],
    )
  })
})

describe('parseSecurity', () => {
  const plain = (user: string, password: string, module = PLAIN_MODULE) =>
    `${module} required username="${user}" password="${password}";`

  it('is PLAINTEXT by default, and takes the protocol in any case', () => {
    assert.deepEqual(parseSecurity({}), { protocol: 'PLAINTEXT', description: 'PLAINTEXT' })
    assert.equal(
      parseSecurity({
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': plain('u', 'p'),
      }).protocol,
      'SASL_PLAINTEXT',
    )
    assert.deepEqual(
      problems(() => parseSecurity({ 'security.protocol': 'TLS' })),
      [
        {
          key: 'security.protocol',
          message:
            'Invalid value TLS for configuration security.protocol: String must be one of (case insensitive): SASL_SSL, PLAINTEXT, SSL, SASL_PLAINTEXT',
        },
      ],
    )
  })

  it('gives PLAIN and SCRAM the JAAS user name, and the password only through a function', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const security = parseSecurity({
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': mechanism,
        'sasl.jaas.config': plain('alice', 'alice-secret', mechanism === 'PLAIN' ? PLAIN_MODULE : SCRAM_MODULE),
      })
      assert.equal(security.description, `SASL_SSL, ${mechanism} as alice`)
      assert.equal(security.sasl?.mechanism, mechanism)
      assert.equal(security.sasl?.username, 'alice')
      assert.equal(await (security.sasl!.password as () => string)(), 'alice-secret')
      assert.ok(security.tls)
      for (const printed of [JSON.stringify(security), inspect(security, { depth: 5 })])
        assert.doesNotMatch(printed, /alice-secret/)
    }
  })

  it("accepts Scram's login module for PLAIN and Plain's for SCRAM, as Apache's clients do", () => {
    assert.equal(
      parseSecurity({
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': plain('u', 'p', SCRAM_MODULE),
      }).sasl?.mechanism,
      'PLAIN',
    )
  })

  it('refuses GSSAPI (the default mechanism), unknown mechanisms, a missing or wrong JAAS config, naming the key and never the password', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { 'sasl.jaas.config': plain('u', 'pw-1') },
        'sasl.mechanism',
        /GSSAPI \(Kerberos\), Apache's default, is not supported by Ferry/,
      ],
      [
        { 'sasl.mechanism': 'GSSAPI', 'sasl.jaas.config': plain('u', 'pw-1') },
        'sasl.mechanism',
        /GSSAPI \(Kerberos\) is not supported/,
      ],
      [
        { 'sasl.mechanism': 'DIGEST-MD5' },
        'sasl.mechanism',
        /Ferry supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER/,
      ],
      [{ 'sasl.mechanism': 'PLAIN' }, 'sasl.jaas.config', /Ferry does not read JAAS files/],
      [
        { 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': `${PLAIN_MODULE} required password="pw-1"` },
        'sasl.jaas.config',
        /not terminated by semi-colon/,
      ],
      [
        { 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': `${PLAIN_MODULE} required password="pw-1";` },
        'sasl.jaas.config',
        /needs the JAAS options username and password/,
      ],
      [
        { 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': plain('u', 'pw-1') },
        'sasl.jaas.config',
        /does not fit sasl.mechanism=OAUTHBEARER/,
      ],
      [
        { 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': plain('u', 'pw-1', 'com.example.Module') },
        'sasl.jaas.config',
        /does not fit sasl.mechanism=PLAIN/,
      ],
      [
        {
          'sasl.mechanism': 'SCRAM-SHA-256',
          'sasl.jaas.config': `${SCRAM_MODULE} required username="u" password="pw-1" tokenauth="true";`,
        },
        'sasl.jaas.config',
        /tokenauth/,
      ],
      [
        {
          'sasl.mechanism': 'PLAIN',
          'sasl.jaas.config': plain('u', 'pw-1'),
          'sasl.client.callback.handler.class': 'com.example.H',
        },
        'sasl.client.callback.handler.class',
        /cannot load Java classes/,
      ],
      [
        { 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': plain('u', 'pw-1'), 'sasl.login.class': 'com.example.Login' },
        'sasl.login.class',
        /cannot load Java classes/,
      ],
    ]
    for (const [props, key, message] of cases) {
      const found = problems(() => parseSecurity({ 'security.protocol': 'SASL_PLAINTEXT', ...props }))
      assert.deepEqual(keysOf(found), [key], JSON.stringify(props))
      assert.match(found[0]!.message, message)
      assert.doesNotMatch(found[0]!.message, /pw-1/)
    }
  })

  it("refuses a missing mechanism with Apache's message", () => {
    assert.deepEqual(
      problems(() => parseSecurity({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': '' })),
      [
        {
          key: 'sasl.mechanism',
          message:
            'Invalid value null for configuration sasl.mechanism: When the security.protocol configuration enables SASL, mechanism must be non-null and non-empty string.',
        },
      ],
    )
  })

  it('warns about TLS and SASL keys the protocol does not use', () => {
    const warnings: string[] = []
    parseSecurity(
      { 'ssl.truststore.location': '/x', 'sasl.mechanism': 'PLAIN' },
      { onWarning: (m) => warnings.push(m) },
    )
    assert.deepEqual(warnings, [
      "These configurations '[sasl.mechanism, ssl.truststore.location]' were supplied but are not used yet: security.protocol=PLAINTEXT does not use TLS or SASL",
    ])
  })

  it('reports TLS problems on their keys', () => {
    const found = problems(() =>
      parseSecurity({
        'security.protocol': 'SSL',
        'ssl.truststore.location': '/nonexistent.jks',
        'ssl.truststore.password': 'pw-2',
      }),
    )
    assert.deepEqual(found, [
      {
        key: 'ssl.truststore.location',
        message:
          'Invalid value /nonexistent.jks for configuration ssl.truststore.location: the file cannot be read (no such file)',
      },
    ])
  })

  it('gives OAUTHBEARER an unsecured token by default, as Apache', async () => {
    const security = parseSecurity({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'OAUTHBEARER',
      'sasl.jaas.config': `${OAUTH_MODULE} required unsecuredLoginStringClaim_sub="bob" unsecuredLoginExtension_traceId="t1";`,
    })
    assert.equal(security.description, 'SASL_PLAINTEXT, OAUTHBEARER as bob (unsecured token)')
    assert.deepEqual(security.sasl?.oauthBearerExtensions, { traceId: 't1' })
    const token = await (security.sasl!.token as () => Promise<string>)()
    assert.match(token, /^eyJhbGciOiJub25lIn0\.[\w-]+\.$/)
  })

  it('refuses a token endpoint without the login callback handler that calls it', () => {
    const found = problems(() =>
      parseSecurity({
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'OAUTHBEARER',
        'sasl.jaas.config': `${OAUTH_MODULE} required unsecuredLoginStringClaim_sub="bob";`,
        'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token',
      }),
    )
    assert.deepEqual(keysOf(found), ['sasl.login.callback.handler.class'])
    assert.match(found[0]!.message, /Apache sends an unsecured token and never calls the endpoint/)
  })

  it('refuses client credentials without an endpoint, a client id or a secret, or with a bad URL', () => {
    const oauth =
      (extra: Record<string, string>, jaas = '') =>
      () =>
        parseSecurity({
          'security.protocol': 'SASL_SSL',
          'sasl.mechanism': 'OAUTHBEARER',
          'sasl.login.callback.handler.class': OAUTH_HANDLER,
          'sasl.jaas.config': `${OAUTH_MODULE} required ${jaas};`,
          ...extra,
        })
    assert.deepEqual(keysOf(problems(oauth({}))), ['sasl.oauthbearer.token.endpoint.url'])
    assert.deepEqual(keysOf(problems(oauth({ 'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token' }))), [
      'sasl.oauthbearer.client.credentials.client.id',
      'sasl.oauthbearer.client.credentials.client.secret',
    ])
    assert.match(
      problems(oauth({ 'sasl.oauthbearer.token.endpoint.url': 'ftp://idp.example/token' }))[0]!.message,
      /only "http", "https", and "file" protocol are supported/,
    )
    assert.match(
      problems(oauth({ 'sasl.oauthbearer.token.endpoint.url': 'file:///nonexistent/token' }))[0]!.message,
      /contains a file \(\/nonexistent\/token\) that doesn't exist/,
    )
    const badTls = problems(
      oauth(
        { 'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token' },
        'clientId="a" clientSecret="s-1" ssl.truststore.location="/nonexistent.p12" ssl.truststore.password="pw-3"',
      ),
    )
    assert.deepEqual(keysOf(badTls), ['sasl.jaas.config'])
    assert.match(badTls[0]!.message, /the JAAS option ssl.truststore.location for the token endpoint: .*no such file/)
    assert.doesNotMatch(JSON.stringify(badTls), /s-1|pw-3/)
  })

  it('gets client credentials tokens from the endpoint, the config keys winning over the JAAS options', async (t) => {
    const requests: string[] = []
    const exp = Math.floor(Date.now() / 1000) + 3600
    const token = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'svc-ferry', exp })).toString('base64url')}.sig`
    const server = createServer((req, res) => {
      requests.push(req.headers.authorization ?? '')
      req.resume()
      req.on('end', () => res.end(JSON.stringify({ access_token: token })))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise((resolve) => server.close(resolve)))
    const warnings: string[] = []
    const security = parseSecurity(
      {
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'OAUTHBEARER',
        'sasl.login.callback.handler.class': OAUTH_HANDLER,
        'sasl.jaas.config': `${OAUTH_MODULE} required clientId="jaas-id" clientSecret="jaas-secret" extension_logicalCluster="lkc-1";`,
        'sasl.oauthbearer.token.endpoint.url': `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
        'sasl.oauthbearer.client.credentials.client.id': 'ferry-app',
      },
      { onWarning: (m) => warnings.push(m) },
    )
    assert.equal(security.description, 'SASL_SSL, OAUTHBEARER as client ferry-app')
    assert.deepEqual(security.sasl?.oauthBearerExtensions, { logicalCluster: 'lkc-1' })
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /sasl.oauthbearer.client.credentials.client.id as well as the JAAS option clientId/)
    const provide = security.sasl?.token as () => Promise<string>
    assert.deepEqual(await Promise.all([provide(), provide()]), [token, token])
    assert.equal(await provide(), token)
    assert.deepEqual(requests, [`Basic ${Buffer.from('ferry-app:jaas-secret').toString('base64')}`])
    assert.doesNotMatch(JSON.stringify(security), /jaas-secret/)
  })
})
