import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { ConsoleToolError, runConsoleConsumer, runConsoleProducer } from '../console.ts'
import { type SecuredKafkaCluster, startSecuredKafka } from '../harness.ts'
import { type ClientPropsOptions, type ListenerName, probeListener, type SaslMechanism } from '../security.ts'

let cluster: SecuredKafkaCluster

before(async () => {
  // Long enough not to disturb the other tests; the broker still reports it on every SASL login.
  cluster = await startSecuredKafka({ connectionsMaxReauthMs: 600_000 })
})
after(() => cluster?.stop())

/** Runs `tasks` two at a time (two cores; each is a JVM). */
async function twoAtATime<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }
  await Promise.all([worker(), worker()])
  return results
}

interface Client {
  mechanism?: SaslMechanism
  user?: string
  opts?: ClientPropsOptions
  extra?: Record<string, string>
}

const props = (listener: ListenerName, c: Client = {}) => ({
  ...cluster.clientProps(listener, c.mechanism, c.user, c.opts),
  ...c.extra,
})

test('every listener takes a Java console producer and consumer round trip with its client properties', {
  timeout: 120_000,
}, async () => {
  const tokenEndpoint = await cluster.startTokenEndpoint({ lifetimeSeconds: 600 })
  const noHostCheck = { 'ssl.endpoint.identification.algorithm': '' }
  const trips: {
    listener: ListenerName
    producer: Client
    consumer: Client
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  }[] = [
    { listener: 'PLAINTEXT', producer: {}, consumer: {}, compression: 'none' },
    {
      listener: 'SSL',
      producer: { opts: { truststore: 'JKS' } },
      consumer: { opts: { truststore: 'PEM_INLINE' } },
      compression: 'gzip',
    },
    {
      listener: 'MTLS',
      producer: { opts: { keystore: 'JKS', truststore: 'PKCS12' } },
      consumer: { opts: { keystore: 'PEM_ENCRYPTED', truststore: 'PEM' } },
      compression: 'snappy',
    },
    {
      listener: 'MTLS',
      producer: { opts: { keystore: 'PEM_INLINE_ENCRYPTED' } },
      consumer: { opts: { keystore: 'PEM' } },
      compression: 'none',
    },
    {
      listener: 'SASL_PLAINTEXT',
      producer: { mechanism: 'PLAIN', user: 'alice' },
      consumer: { mechanism: 'SCRAM-SHA-512', user: 'bob' },
      compression: 'lz4',
    },
    {
      listener: 'SASL_SSL',
      producer: { mechanism: 'SCRAM-SHA-256', user: 'alice' },
      consumer: { mechanism: 'PLAIN', user: 'admin', opts: { truststore: 'PEM' } },
      compression: 'zstd',
    },
    {
      listener: 'OAUTH',
      producer: { mechanism: 'OAUTHBEARER', user: 'alice', opts: { tokenEndpoint } },
      consumer: { mechanism: 'OAUTHBEARER', user: 'bob', opts: { tokenEndpoint, oauthCredentials: 'config' } },
      compression: 'gzip',
    },
    { listener: 'WRONG_HOST', producer: { extra: noHostCheck }, consumer: { extra: noHostCheck }, compression: 'none' },
  ]
  const received = await twoAtATime(
    trips.map((trip) => async () => {
      const topic = `ferry-secured-${trip.listener.toLowerCase()}-${randomUUID()}`
      const bootstrap = cluster.listeners[trip.listener].bootstrap
      const lines = [`${trip.listener} one`, `${trip.listener} two ${trip.compression}`]
      await runConsoleProducer({
        bootstrap,
        topic,
        props: props(trip.listener, trip.producer),
        lines,
        compression: trip.compression,
      })
      const got = await runConsoleConsumer({
        bootstrap,
        topic,
        props: props(trip.listener, trip.consumer),
        maxMessages: lines.length,
      })
      return { listener: trip.listener, got, lines }
    }),
  )
  for (const { listener, got, lines } of received) assert.deepEqual(got, lines, `round trip on ${listener}`)
  assert.deepEqual(
    tokenEndpoint.log
      .filter((r) => r.status === 200)
      .map((r) => r.clientId)
      .sort(),
    ['alice', 'bob'],
    'one token each for the OAuth producer and consumer',
  )
})

test('wrong credentials, a certificate for another host and a missing client certificate are refused', {
  timeout: 120_000,
}, async () => {
  const tokenEndpoint = await cluster.startTokenEndpoint()
  const topic = `ferry-refused-${randomUUID()}`
  const cases: { what: string; listener: ListenerName; client: Client; error: RegExp }[] = [
    {
      what: 'a wrong SCRAM-SHA-256 password',
      listener: 'SASL_PLAINTEXT',
      client: { mechanism: 'SCRAM-SHA-256', user: 'alice', opts: { password: 'not-her-password' } },
      error:
        /SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
    },
    {
      what: 'a wrong PLAIN password',
      listener: 'SASL_SSL',
      client: { mechanism: 'PLAIN', user: 'bob', opts: { password: 'not-his-password' } },
      error: /SaslAuthenticationException: Authentication failed: Invalid username or password/,
    },
    {
      what: 'a wrong SCRAM-SHA-512 password',
      listener: 'SASL_SSL',
      client: { mechanism: 'SCRAM-SHA-512', user: 'admin', opts: { password: 'not-the-password' } },
      error: /SaslAuthenticationException: .*invalid credentials with SASL mechanism SCRAM-SHA-512/,
    },
    {
      what: 'a wrong OAuth client secret',
      listener: 'OAUTH',
      client: { mechanism: 'OAUTHBEARER', user: 'alice', opts: { tokenEndpoint, password: 'not-the-secret' } },
      error: /401/,
    },
    {
      what: 'a certificate that does not name 127.0.0.1',
      listener: 'WRONG_HOST',
      client: {},
      error:
        /SSLHandshakeException: .*(No subject alternative names matching IP address 127\.0\.0\.1|No name matching)/,
    },
    {
      what: 'no client certificate on MTLS',
      listener: 'MTLS',
      client: { extra: { 'ssl.keystore.type': 'JKS' } },
      error: /SslAuthenticationException|SSLHandshakeException|SSL handshake failed/,
    },
  ]
  const outcomes = await twoAtATime(
    cases.map((c) => async () => {
      let p = props(c.listener, c.client)
      if (c.listener === 'MTLS') {
        // The same properties without any keystore.
        p = Object.fromEntries(
          Object.entries(p).filter(([k]) => !k.startsWith('ssl.keystore.') && k !== 'ssl.key.password'),
        )
      }
      const run = runConsoleConsumer({
        bootstrap: cluster.listeners[c.listener].bootstrap,
        topic,
        props: p,
        maxMessages: 1,
        idleTimeoutMs: 15_000,
        timeoutMs: 45_000,
      })
      return {
        c,
        error: await run.then(
          () => undefined,
          (err: unknown) => err,
        ),
      }
    }),
  )
  for (const { c, error } of outcomes) {
    assert.ok(error instanceof ConsoleToolError, `${c.what} is refused`)
    assert.match(error.message, c.error, c.what)
  }
  assert.ok(tokenEndpoint.log.some((r) => r.clientId === 'alice' && r.status === 401))
})

test('the ACL helpers deny one principal a produce, then allow it again', { timeout: 120_000 }, async () => {
  const topic = `ferry-acl-${randomUUID()}`
  const bootstrap = cluster.listeners.SASL_PLAINTEXT.bootstrap
  const produce = (user: string, line: string) =>
    runConsoleProducer({
      bootstrap,
      topic,
      props: props('SASL_PLAINTEXT', { mechanism: 'SCRAM-SHA-512', user }),
      lines: [line],
    })

  await produce('alice', 'before the ACL')
  const undo = await cluster.denyOnly('User:bob', 'WRITE', topic)
  const [denied] = await twoAtATime([
    () =>
      produce('bob', 'denied').then(
        () => undefined,
        (err: unknown) => err,
      ),
    () => produce('alice', 'alice still writes'),
  ])
  assert.ok(denied instanceof ConsoleToolError, 'bob may not write')
  assert.match(denied.message, /TopicAuthorizationException|Not authorized to access topics: \[ferry-acl-/)

  await undo()
  await produce('bob', 'bob writes again')
  const got = await runConsoleConsumer({
    bootstrap: cluster.listeners.PLAINTEXT.bootstrap,
    topic,
    props: {},
    maxMessages: 3,
  })
  assert.deepEqual(got.sort(), ['alice still writes', 'before the ACL', 'bob writes again'])
})

test('the mTLS principal is the client certificate subject, as ACLs name it', { timeout: 90_000 }, async () => {
  const topic = `ferry-acl-mtls-${randomUUID()}`
  const bootstrap = cluster.listeners.MTLS.bootstrap
  await runConsoleProducer({ bootstrap, topic, props: props('MTLS'), lines: ['hello'] })
  const principal = `User:${cluster.certificates.client.principal}`
  assert.equal(principal, 'User:CN=ferry-client,OU=Clients,O=Ferry')
  const undo = await cluster.denyOnly(principal, 'READ', topic)
  await assert.rejects(
    runConsoleConsumer({ bootstrap, topic, props: props('MTLS'), maxMessages: 1, idleTimeoutMs: 10_000 }),
    /TopicAuthorizationException|Not authorized to access topics/,
  )
  await undo()
  assert.deepEqual(await runConsoleConsumer({ bootstrap, topic, props: props('MTLS'), maxMessages: 1 }), ['hello'])
})

test('client properties files hold the secrets only where Apache expects them', async () => {
  const path = await cluster.writeClientProps(props('SASL_SSL', { mechanism: 'SCRAM-SHA-512', user: 'alice' }))
  const text = await readFile(path, 'utf8')
  assert.match(text, /^security.protocol=SASL_SSL$/m)
  assert.match(text, /^sasl.mechanism=SCRAM-SHA-512$/m)
  assert.match(
    text,
    new RegExp(
      `^sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="${cluster.users.alice}";$`,
      'm',
    ),
  )
  assert.match(text, /^ssl.truststore.type=PKCS12$/m)
})

test('client properties name what does not fit the listener', () => {
  assert.throws(() => cluster.clientProps('SSL', 'PLAIN'), /listener SSL has no SASL: mechanism PLAIN does not apply/)
  assert.throws(
    () => cluster.clientProps('SASL_PLAINTEXT', 'OAUTHBEARER'),
    /listener SASL_PLAINTEXT takes SASL mechanisms PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, not OAUTHBEARER/,
  )
  assert.throws(() => cluster.clientProps('OAUTH'), /OAUTHBEARER client properties need opts.tokenEndpoint/)
  assert.throws(() => cluster.clientProps('SASL_SSL', 'PLAIN', 'carol'), /no SASL user carol; users: admin, alice, bob/)
  assert.throws(
    () => cluster.clientProps('SSL', undefined, undefined, { keystore: 'PEM' }),
    /does not ask for a client/,
  )
  assert.throws(
    () => cluster.clientProps('SASL_PLAINTEXT', 'PLAIN', 'alice', { truststore: 'PEM' }),
    /does not use TLS/,
  )
})

test('inline PEM client properties carry the certificates themselves', async () => {
  const p = cluster.clientProps('MTLS', undefined, undefined, {
    keystore: 'PEM_INLINE_ENCRYPTED',
    truststore: 'PEM_INLINE',
  })
  const { certificates: certs } = cluster
  assert.equal(p['ssl.truststore.certificates'], await readFile(certs.truststore.pem.path, 'utf8'))
  assert.equal(p['ssl.keystore.certificate.chain'], await readFile(certs.client.pemEncrypted.certChain, 'utf8'))
  assert.equal(p['ssl.keystore.key'], await readFile(certs.client.pemEncrypted.key, 'utf8'))
  assert.equal(p['ssl.key.password'], certs.client.pemEncrypted.keyPassword)
  assert.equal(p['ssl.keystore.type'], 'PEM')
  assert.equal(p['ssl.keystore.location'], undefined)
})

test('the OAUTH listener takes tokens the issuer signed and refuses expired, foreign or misaddressed ones', async () => {
  const port = cluster.listeners.OAUTH.port
  const login = (token: string) =>
    probeListener(
      port,
      undefined,
      { mechanism: 'OAUTHBEARER', expected: ['OAUTHBEARER'], authBytes: `n,,\x01auth=Bearer ${token}\x01\x01` },
      5_000,
    )
  const ok = await login(cluster.oauth.mintToken({ subject: 'alice', lifetimeSeconds: 120 }))
  assert.equal(ok.brokers, 1)
  assert.ok(ok.sessionLifetimeMs !== undefined && ok.sessionLifetimeMs > 0 && ok.sessionLifetimeMs <= 120_000)
  await assert.rejects(
    login(cluster.oauth.mintToken({ subject: 'alice', lifetimeSeconds: -60 })),
    /error 58: .*invalid_token/,
  )
  await assert.rejects(
    login(cluster.oauth.mintToken({ subject: 'alice', untrustedKey: true })),
    /error 58: .*invalid_token/,
  )
  await assert.rejects(
    login(cluster.oauth.mintToken({ subject: 'alice', audience: 'someone-else' })),
    /error 58: .*invalid_token/,
  )
  await assert.rejects(
    login(cluster.oauth.mintToken({ subject: 'alice', issuer: 'https://other.invalid' })),
    /error 58: .*invalid_token/,
  )
})

test('SASL logins get the re-authentication deadline the broker was given', async () => {
  const { port } = cluster.listeners.SASL_PLAINTEXT
  const plain = (password: string) =>
    probeListener(
      port,
      undefined,
      { mechanism: 'PLAIN', expected: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], authBytes: `\0alice\0${password}` },
      5_000,
    )
  const ok = await plain(cluster.users.alice as string)
  assert.ok(ok.sessionLifetimeMs !== undefined && ok.sessionLifetimeMs > 590_000 && ok.sessionLifetimeMs <= 600_000)
  await assert.rejects(
    plain('wrong'),
    /SaslAuthenticate \(PLAIN\) error 58: Authentication failed: Invalid username or password/,
  )
})
