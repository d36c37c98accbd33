// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
/**
 * Standalone workers against a secured broker (`startSecuredKafka`, one for the file): every listener Ferry supports
 * moves lines from the file source to the file sink, secrets given through a config provider never show, and what
 * security refuses (a login, a TLS handshake, an ACL) is said in one line naming the broker, the principal and what
 * is missing.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { randomName, type StandaloneProcess, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { KafkaAdmin, KafkaProducer } from '../../packages/runtime/src/kafka/clients.ts'
import { ensureKafka, javaCommand, type SecuredKafkaCluster, startSecuredKafka } from '../../scripts/kafka/harness.ts'
import { formatProperties } from '../../scripts/kafka/security.ts'

const STRING = 'org.apache.kafka.connect.storage.StringConverter'
const FILE_PROVIDER = 'org.apache.kafka.common.config.provider.FileConfigProvider'

let cluster: SecuredKafkaCluster
let admin: KafkaAdmin

before(async () => {
  // Connections re-authenticate within a minute (KIP-368), and an OAuth session within its token's lifetime.
  cluster = await startSecuredKafka({ connectionsMaxReauthMs: 60_000 })
  admin = new KafkaAdmin({ bootstrapServers: [cluster.bootstrapServers], clientId: randomName('admin') })
})

after(async () => {
  await admin?.close()
  await cluster?.stop()
})

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text, json: text ? JSON.parse(text) : null }
}

/** The REST URL of the worker started in `dir` (with `label`). */
async function restUrl(dir: string, label = ''): Promise<string> {
  return (await readFile(join(dir, `worker${label}.properties`), 'utf8')).match(/^listeners=(.*)$/m)![1]!
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean)
}

/** Worker properties for `security` (Apache client properties) with only top-level keys: tasks inherit them. */
function workerProps(dir: string, bootstrap: string, security: Record<string, string>): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    'key.converter': STRING,
    'value.converter': STRING,
    'offset.storage.file.filename': join(dir, `${randomName('offsets')}.json`),
    'offset.flush.interval.ms': '500',
    ...security,
  }
}

/** A file source and a file sink sharing a new topic; `extra` adds keys to the sink. */
function pipeline(
  dir: string,
  sinkExtra: Record<string, string> = {},
): { topic: string; input: string; output: string; connectors: Array<Record<string, string>> } {
  const topic = randomName('lines')
  const input = join(dir, `${topic}.in`)
  const output = join(dir, `${topic}.out`)
  return {
    topic,
    input,
    output,
    connectors: [
      { name: `${topic}-source`, 'connector.class': 'FileStreamSource', file: input, topic },
      { name: `${topic}-sink`, 'connector.class': 'FileStreamSink', file: output, topics: topic, ...sinkExtra },
    ],
  }
}

/** Runs one of Apache's tools (kafka-tools) from the harness's jars; rejects with its output when it fails. */
async function apacheTool(mainClass: string, args: string[]): Promise<void> {
  const libs = await ensureKafka()
  const java = await javaCommand()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(java, ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', join(libs, '*'), mainClass, ...args])
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${mainClass} exited ${code}: ${output}`))))
  })
}

/** Log lines of a worker (JSON) whose message matches. */
async function logMessages(worker: StandaloneProcess, pattern: RegExp): Promise<string[]> {
  const out: string[] = []
  for (const line of (await worker.log()).split('\n')) {
    try {
      const msg = (JSON.parse(line) as { msg?: string }).msg ?? ''
      if (pattern.test(msg)) out.push(msg)
    } catch {}
  }
  return out
}

test('SASL_SSL with SCRAM-SHA-512: top-level security keys alone run the tasks securely; the JAAS config and trust store password come from a file provider and show nowhere', async (t) => {
  const dir = await tempDir(t)
  const props = cluster.clientProps('SASL_SSL', 'SCRAM-SHA-512', 'alice')
  const password = cluster.users.alice!
  const secrets = join(dir, 'kafka-secrets.properties')
  await writeFile(
    secrets,
    formatProperties({ jaas: props['sasl.jaas.config']!, truststore: props['ssl.truststore.password']! }),
  )
  const ref = (key: string) => `\${file:${secrets}:${key}}`
  // The sink's consumer gets its credentials through an override that is itself a reference.
  const p = pipeline(dir, { 'consumer.override.sasl.jaas.config': ref('jaas') })
  await writeFile(p.input, 'one\ntwo\nthree\n')
  const worker = await startStandalone(t, {
    dir,
    worker: {
      ...workerProps(dir, cluster.listeners.SASL_SSL.bootstrap, {
        ...props,
        'sasl.jaas.config': ref('jaas'),
        'ssl.truststore.password': ref('truststore'),
      }),
      'config.providers': 'file',
      'config.providers.file.class': FILE_PROVIDER,
      'config.providers.file.param.allowed.paths': dir,
    },
    connectors: p.connectors,
  })
  await waitFor('three lines through SASL_SSL', async () => (await lines(p.output)).length >= 3, 60_000, 200)
  assert.deepEqual(await lines(p.output), ['one', 'two', 'three'])

  const url = await restUrl(dir)
  const config = await http(`${url}/connectors/${p.topic}-sink/config`)
  assert.equal(config.status, 200)
  assert.equal(config.json['consumer.override.sasl.jaas.config'], ref('jaas'))
  const status = await http(`${url}/connectors?expand=status&expand=info`)
  for (const body of [config.text, status.text]) assert.ok(!body.includes(password), `no password in ${body}`)

  assert.equal(await worker.stop(), 0)
  const log = await worker.log()
  assert.ok(log.includes('Ferry standalone worker started'), log)
  for (const line of log.split('\n')) assert.ok(!line.includes(password), `a log line holds the password: ${line}`)
})

test('every listener and store type: SSL with a JKS trust store, mTLS with PKCS12, JKS and encrypted PEM keys, SASL_PLAINTEXT PLAIN, SASL_SSL SCRAM-SHA-256, and a wrong-host certificate with host name verification off', async (t) => {
  const dir = await tempDir(t)
  const cases: Array<[string, string, Record<string, string>]> = [
    [
      'SSL, JKS trust store',
      cluster.listeners.SSL.bootstrap,
      cluster.clientProps('SSL', undefined, undefined, { truststore: 'JKS' }),
    ],
    [
      'mTLS, PKCS12 key store',
      cluster.listeners.MTLS.bootstrap,
      cluster.clientProps('MTLS', undefined, undefined, { keystore: 'PKCS12', truststore: 'PKCS12' }),
    ],
    [
      'mTLS, JKS key store with its own key password',
      cluster.listeners.MTLS.bootstrap,
      cluster.clientProps('MTLS', undefined, undefined, { keystore: 'JKS', truststore: 'JKS' }),
    ],
    [
      'mTLS, PEM key store with an encrypted key, PEM trust store',
      cluster.listeners.MTLS.bootstrap,
      cluster.clientProps('MTLS', undefined, undefined, { keystore: 'PEM_ENCRYPTED', truststore: 'PEM' }),
    ],
    [
      'SASL_PLAINTEXT, PLAIN',
      cluster.listeners.SASL_PLAINTEXT.bootstrap,
      cluster.clientProps('SASL_PLAINTEXT', 'PLAIN', 'bob'),
    ],
    [
      'SASL_SSL, SCRAM-SHA-256',
      cluster.listeners.SASL_SSL.bootstrap,
      cluster.clientProps('SASL_SSL', 'SCRAM-SHA-256', 'bob'),
    ],
    [
      'wrong-host certificate, ssl.endpoint.identification.algorithm empty',
      cluster.listeners.WRONG_HOST.bootstrap,
      { ...cluster.clientProps('WRONG_HOST'), 'ssl.endpoint.identification.algorithm': '' },
    ],
  ]
  for (const [what, bootstrap, security] of cases) {
    const p = pipeline(dir)
    await writeFile(p.input, `${what}\nsecond\n`)
    const worker = await startStandalone(t, {
      dir,
      label: randomName(''),
      worker: workerProps(dir, bootstrap, security),
      connectors: p.connectors,
    })
    await waitFor(`${what}: two lines`, async () => (await lines(p.output)).length >= 2, 60_000, 200)
    assert.deepEqual(await lines(p.output), [what, 'second'], what)
    assert.equal(await worker.stop(), 0, what)
    const log = await worker.log()
    for (const secret of Object.values(cluster.users))
      assert.ok(!log.includes(secret), `${what}: no password in the log`)
  }
})

test('OAUTHBEARER with client credentials: tokens are fetched and refreshed before they expire, and the tasks keep going', async (t) => {
  const dir = await tempDir(t)
  const tokens = await cluster.startTokenEndpoint({ lifetimeSeconds: 6 })
  const p = pipeline(dir)
  await writeFile(p.input, 'first\n')
  const worker = await startStandalone(t, {
    dir,
    worker: workerProps(
      dir,
      cluster.listeners.OAUTH.bootstrap,
      cluster.clientProps('OAUTH', 'OAUTHBEARER', 'alice', { tokenEndpoint: tokens }),
    ),
    connectors: p.connectors,
  })
  await waitFor('the first line', async () => (await lines(p.output)).length >= 1, 60_000, 200)
  const issuedAtStart = tokens.issued
  assert.ok(issuedAtStart >= 1)
  // Lines keep arriving across several token lifetimes: connections re-authenticate with fresh tokens.
  for (let i = 1; i <= 4; i++) {
    await new Promise((r) => setTimeout(r, 4000))
    await appendFile(p.input, `line ${i}\n`)
    await waitFor(`line ${i}`, async () => (await lines(p.output)).includes(`line ${i}`), 30_000, 200)
  }
  assert.ok(tokens.issued >= issuedAtStart + 2, `tokens refreshed: ${issuedAtStart} then ${tokens.issued}`)
  assert.ok(
    tokens.log.every((r) => r.status === 200 && r.clientId === 'alice'),
    JSON.stringify(tokens.log),
  )
  const status = await http(`${await restUrl(dir)}/connectors?expand=status`)
  for (const c of Object.values(status.json) as any[]) {
    assert.equal(c.status.connector.state, 'RUNNING')
    assert.equal(c.status.tasks[0].state, 'RUNNING', JSON.stringify(c.status))
  }
  assert.equal(await worker.stop(), 0)
  assert.ok(!(await worker.log()).includes(cluster.users.alice!), 'no client secret in the log')
})

test('a connection security refuses is logged once per attempt naming the broker and what failed, and retried', async (t) => {
  const dir = await tempDir(t)
  const certs = cluster.certificates
  const cases: Array<[string, string, Record<string, string>, RegExp]> = [
    [
      'a SASL listener with no security keys',
      cluster.listeners.SASL_PLAINTEXT.bootstrap,
      {},
      /^The broker at 127\.0\.0\.1:\d+ closed the connection on the first request after ApiVersions \(PLAINTEXT\): its listener expects SASL authentication; set security\.protocol=SASL_PLAINTEXT or SASL_SSL/,
    ],
    [
      'a TLS listener with security.protocol=PLAINTEXT',
      cluster.listeners.SSL.bootstrap,
      {},
      /^The broker answered with TLS but security\.protocol=PLAINTEXT: set security\.protocol=SSL/,
    ],
    [
      'host name verification on a wrong-host certificate',
      cluster.listeners.WRONG_HOST.bootstrap,
      cluster.clientProps('WRONG_HOST'),
      /^TLS host name verification failed at 127\.0\.0\.1:\d+ \(SSL\): .*127\.0\.0\.1.* \(ssl\.endpoint\.identification\.algorithm=https/,
    ],
    [
      'a trust store without the broker’s CA',
      cluster.listeners.SSL.bootstrap,
      {
        'security.protocol': 'SSL',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': join(dir, 'other-ca.pem'),
      },
      /^TLS certificate verification failed at 127\.0\.0\.1:\d+ \(SSL\): .*\(the broker's certificate does not lead to a CA in the trust store, ssl\.truststore\.\*\)/,
    ],
    [
      'mTLS without a client certificate',
      cluster.listeners.MTLS.bootstrap,
      cluster.clientProps('SSL'),
      /^TLS handshake failed at 127\.0\.0\.1:\d+ \(SSL\): the broker requires a client certificate and none is configured \(ssl\.keystore\.\*\)/,
    ],
    [
      'mTLS with a certificate from a CA the broker does not trust',
      cluster.listeners.MTLS.bootstrap,
      {
        ...cluster.clientProps('SSL'),
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': join(dir, 'untrusted-client.pem'),
      },
      /^TLS handshake failed at 127\.0\.0\.1:\d+ \(SSL as CN=[^)]*\): the broker refused the client certificate \(ssl\.keystore\.\*\): it is not signed by a CA in the broker's trust store/,
    ],
    [
      'a mechanism the listener does not enable',
      cluster.listeners.OAUTH.bootstrap,
      cluster.clientProps('SASL_PLAINTEXT', 'SCRAM-SHA-512', 'alice'),
      /^SASL handshake failed at 127\.0\.0\.1:\d+ \(SASL_PLAINTEXT, SCRAM-SHA-512 as alice\): the listener does not enable SCRAM-SHA-512/,
    ],
  ]
  await writeFile(join(dir, 'other-ca.pem'), await readFile(certs.untrusted.ca, 'utf8'))
  const untrusted = [certs.untrusted.clientKey, certs.untrusted.clientCertChain]
  await writeFile(
    join(dir, 'untrusted-client.pem'),
    (await Promise.all(untrusted.map((f) => readFile(f, 'utf8')))).join(''),
  )
  // All at once: each worker only waits for its log lines.
  await Promise.all(
    cases.map(async ([what, bootstrap, security, expected]) => {
      const worker = await startStandalone(t, {
        dir,
        label: randomName(''),
        worker: workerProps(dir, bootstrap, security),
        connectors: [],
      })
      const messages = await waitFor(
        `${what}: two attempts logged`,
        async () => {
          const found = await logMessages(worker, expected)
          return found.length >= 2 ? found : undefined
        },
        60_000,
        300,
      )
      assert.match(messages[0]!, /; retrying in 1s$/, what)
      assert.match(messages[1]!, /; retrying in 2s$/, what)
      assert.equal(worker.child.exitCode, null, `${what}: the worker keeps retrying`)
      assert.equal(await worker.stop(), 0, what)
    }),
  )
})

test('wrong credentials are logged per attempt with the principal and the broker’s reason, never the password, with a growing backoff; the worker runs once the user exists; task clients with wrong credentials fail (sink) or retry (source) saying why', async (t) => {
  const dir = await tempDir(t)
  const user = randomName('carol')
  const password = `carol-${randomName('pw')}`
  const props = cluster.clientProps('SASL_SSL', 'SCRAM-SHA-512', 'alice', { password })
  props['sasl.jaas.config'] = props['sasl.jaas.config']!.replace('username="alice"', `username="${user}"`)
  const p = pipeline(dir)
  await writeFile(p.input, 'after the user exists\n')
  const worker = await startStandalone(t, {
    dir,
    worker: workerProps(dir, cluster.listeners.SASL_SSL.bootstrap, props),
    connectors: p.connectors,
  })
  const expected = new RegExp(
    `^Authentication failed at 127\\.0\\.0\\.1:${cluster.listeners.SASL_SSL.port} \\(SASL_SSL, SCRAM-SHA-512 as ${user}\\): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512; retrying in (\\d+)s$`,
  )
  const attempts = await waitFor(
    'three refused logins',
    async () => {
      const found = await logMessages(worker, expected)
      return found.length >= 3 ? found : undefined
    },
    60_000,
    300,
  )
  assert.deepEqual(
    attempts.slice(0, 3).map((m) => Number(expected.exec(m)![1])),
    [1, 2, 4],
  )

  await apacheTool('org.apache.kafka.tools.ConfigCommand', [
    '--bootstrap-server',
    cluster.bootstrapServers,
    '--alter',
    '--add-config',
    `SCRAM-SHA-512=[password=${password}]`,
    '--entity-type',
    'users',
    '--entity-name',
    user,
  ])
  await waitFor('the line through once the user exists', async () => (await lines(p.output)).length >= 1, 60_000, 300)
  assert.ok((await logMessages(worker, /^Kafka at .* is reachable$/)).length === 1)

  // Task clients with wrong credentials of their own: the sink task fails naming the broker and the principal, the
  // source task retries saying why.
  const wrong = `wrong-${randomName('pw')}`
  const override = props['sasl.jaas.config']!.replace(`password="${password}"`, `password="${wrong}"`)
  const url = await restUrl(dir)
  const denied = randomName('wrong-creds')
  await writeFile(join(dir, 'wrong.in'), 'x\n')
  for (const [name, config] of [
    [`${denied}-sink`, { 'connector.class': 'FileStreamSink', file: join(dir, 'wrong.out'), topics: p.topic }],
    [`${denied}-source`, { 'connector.class': 'FileStreamSource', file: join(dir, 'wrong.in'), topic: denied }],
  ] as const) {
    const prefix = name.endsWith('sink') ? 'consumer' : 'producer'
    const created = await http(`${url}/connectors`, 'POST', {
      name,
      config: { ...config, [`${prefix}.override.sasl.jaas.config`]: override },
    })
    assert.equal(created.status, 201, created.text)
  }
  const refusal = `Authentication failed at 127.0.0.1:${cluster.listeners.SASL_SSL.port} (SASL_SSL, SCRAM-SHA-512 as ${user}): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512`
  const sinkTrace = await waitFor(
    'the sink task FAILED',
    async () => {
      const s = await http(`${url}/connectors/${denied}-sink/status`)
      return s.json?.tasks?.[0]?.state === 'FAILED' ? (s.json.tasks[0].trace as string) : undefined
    },
    60_000,
    300,
  )
  assert.ok(sinkTrace.startsWith(`SaslAuthenticationException: ${refusal}`), sinkTrace)
  await waitFor(
    'the source task retrying with the reason',
    async () =>
      (
        await logMessages(
          worker,
          new RegExp(`^${refusal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; retrying in \\d+ ms to produce 1 records`),
        )
      ).length >= 2,
    60_000,
    300,
  )
  const status = await http(`${url}/connectors/${denied}-source/status`)
  assert.equal(status.json.tasks[0].state, 'RUNNING')
  assert.ok(!sinkTrace.includes(wrong))

  assert.equal(await worker.stop(), 0)
  const log = await worker.log()
  assert.ok(!log.includes(password) && !log.includes(wrong), 'no password reaches the log')
})

test('ACLs: a source without WRITE, a sink without READ on its topic or its group, and a DLQ that cannot be written fail their task naming the resource and the operation', async (t) => {
  const dir = await tempDir(t)
  const name = randomName('acl')
  const [source, readDenied, groupDenied, dlqSource, dlq] = ['src', 'read', 'group', 'bad', 'dlq'].map(
    (s) => `${name}-${s}`,
  )
  for (const topic of [source!, readDenied!, groupDenied!, dlqSource!, dlq!]) await admin.createTopic(topic, 1, 1)
  const undo = [
    await cluster.denyOnly('User:bob', 'WRITE', source!),
    await cluster.denyOnly('User:bob', 'READ', readDenied!),
    await cluster.denyOnly('User:bob', 'WRITE', dlq!),
  ]
  const groupAcls = [
    {
      principal: 'User:*',
      operation: 'ALL',
      permission: 'ALLOW',
      resourceType: 'GROUP',
      resourceName: `connect-${name}-g`,
    },
    {
      principal: 'User:bob',
      operation: 'READ',
      permission: 'DENY',
      resourceType: 'GROUP',
      resourceName: `connect-${name}-g`,
    },
  ] as const
  await cluster.addAcl(...groupAcls)
  t.after(async () => {
    for (const u of undo) await u()
    await cluster.removeAcl(...groupAcls)
  })
  // A record the JSON converter refuses: with errors.tolerance=all it goes to the DLQ, which bob may not write.
  const producer = new KafkaProducer({ bootstrapServers: [cluster.bootstrapServers], clientId: randomName('p') })
  t.after(() => producer.close())
  await producer.send([
    { topic: dlqSource!, key: null, value: Buffer.from('not json') },
    { topic: readDenied!, key: null, value: Buffer.from('x') },
    { topic: groupDenied!, key: null, value: Buffer.from('x') },
  ])
  const input = join(dir, 'in.txt')
  await writeFile(input, 'a\nb\n')
  const worker = await startStandalone(t, {
    dir,
    worker: workerProps(
      dir,
      cluster.listeners.SASL_SSL.bootstrap,
      cluster.clientProps('SASL_SSL', 'SCRAM-SHA-512', 'bob'),
    ),
    connectors: [
      { name: `${name}-s`, 'connector.class': 'FileStreamSource', file: input, topic: source! },
      { name: `${name}-r`, 'connector.class': 'FileStreamSink', file: join(dir, 'r.out'), topics: readDenied! },
      { name: `${name}-g`, 'connector.class': 'FileStreamSink', file: join(dir, 'g.out'), topics: groupDenied! },
      {
        name: `${name}-d`,
        'connector.class': 'FileStreamSink',
        file: join(dir, 'd.out'),
        topics: dlqSource!,
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq!,
        'errors.deadletterqueue.topic.replication.factor': '1',
      },
    ],
  })
  const url = await restUrl(dir)
  const trace = (connector: string) =>
    waitFor(
      `${connector} FAILED`,
      async () => {
        const s = await http(`${url}/connectors/${connector}/status`)
        return s.json?.tasks?.[0]?.state === 'FAILED' ? (s.json.tasks[0].trace as string) : undefined
      },
      60_000,
      300,
    )
  const sourceTrace = await trace(`${name}-s`)
  assert.match(sourceTrace, /^ConnectException: Unrecoverable exception from producer send callback: /)
  assert.ok(
    sourceTrace.includes(
      `Caused by: TopicAuthorizationException: Not authorized to access topics: [${source}] (User:bob needs WRITE on topic ${source})`,
    ),
    sourceTrace,
  )
  assert.ok(
    (await trace(`${name}-r`)).startsWith(
      `TopicAuthorizationException: Not authorized to access topics: [${readDenied}] (User:bob needs READ on topic ${readDenied})`,
    ),
  )
  assert.ok(
    (await trace(`${name}-g`)).startsWith(
      `GroupAuthorizationException: Not authorized to access group: connect-${name}-g (User:bob needs READ on group connect-${name}-g)`,
    ),
  )
  const dlqTrace = await trace(`${name}-d`)
  assert.ok(dlqTrace.includes(`Could not produce message to dead letter queue. topic=${dlq}`), dlqTrace)
  assert.ok(dlqTrace.includes(`User:bob needs WRITE on topic ${dlq}`), dlqTrace)
  assert.equal(await worker.stop(), 0)
})
