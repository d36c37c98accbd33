/**
 * A two-worker cluster whose REST API is secured as an Apache cluster's would be: https listeners with client
 * certificates required (`listeners.https.ssl.*`, a keytool-made JKS truststore), Apache's basic-auth extension with
 * its JAAS file given in KAFKA_OPTS, and a bearer token. Requests through either worker work, so the follower
 * forwards them to the leader over https with the caller's credentials; a follower's connector sends its task configs
 * to the leader over the same TLS, signed instead of authenticated. An Apache 4.4 worker takes the same keys and joins
 * a Ferry worker over https (Apache's basic-auth extension is not on Maven Central, so the mixed cluster runs without
 * it; its 401 was checked by hand against a worker with the extension built from Apache's source).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  type DistributedProcess,
  distributedWorkerProps,
  freePort,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { startApacheConnect } from '../../scripts/kafka/apache-connect.ts'
import { type Certificates, makeCertificates } from '../../scripts/kafka/certs.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

interface Answer {
  status: number
  text: string
  headers: Record<string, unknown>
}

let certs: Certificates
let certsDir: string
before(async () => {
  certsDir = await mkdtemp(join(tmpdir(), 'ferry-rest-security-'))
  certs = await makeCertificates(certsDir)
})
after(() => rm(certsDir, { recursive: true, force: true }))

/** A worker's https listener keys: its certificate, the CA's JKS truststore, client certificates required. */
function httpsWorker(port: number): Record<string, string> {
  return {
    listeners: `https://localhost:${port}`,
    'rest.advertised.listener': 'https',
    'listeners.https.ssl.keystore.type': 'PKCS12',
    'listeners.https.ssl.keystore.location': certs.broker.keystore.path,
    'listeners.https.ssl.keystore.password': certs.broker.keystore.password,
    'listeners.https.ssl.truststore.location': certs.truststore.jks.path,
    'listeners.https.ssl.truststore.password': certs.truststore.jks.password!,
    'listeners.https.ssl.client.auth': 'required',
  }
}

const tls = () => ({
  ca: readFileSync(certs.ca.cert),
  cert: readFileSync(certs.client.pem.certChain),
  key: readFileSync(certs.client.pem.key),
})
const call = (
  url: string,
  method: string,
  path: string,
  options: { authorization?: string; body?: unknown; headers?: Record<string, string>; cert?: boolean } = {},
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = request(
      `${url}${path}`,
      {
        method,
        ca: tls().ca,
        ...(options.cert === false ? {} : { cert: tls().cert, key: tls().key }),
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(options.authorization ? { Authorization: options.authorization } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })

test('two https workers with client certificates and basic auth: requests through the follower reach the leader, 401 without credentials, 403 for a forged internal request', async (t) => {
  const dir = await tempDir(t)
  const credentials = join(dir, 'credentials.properties')
  await writeFile(credentials, 'admin=connect-secret\n')
  const jaas = join(dir, 'connect.jaas')
  await writeFile(
    jaas,
    `KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="${credentials}";\n};\n`,
  )
  const tokens = join(dir, 'tokens.properties')
  await writeFile(tokens, 'ci=ci-token-42\n')

  const group = randomName('rest-sec')
  const admin = `Basic ${Buffer.from('admin:connect-secret').toString('base64')}`

  const workers: DistributedProcess[] = []
  for (const label of ['-a', '-b']) {
    const port = await freePort()
    workers.push(
      await startDistributed(t, {
        dir,
        label,
        worker: distributedWorkerProps(testBootstrap(), group, {
          ...httpsWorker(port),
          'rest.extension.classes': 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension',
          'rest.auth.bearer.tokens.file': tokens,
        }),
        env: { KAFKA_OPTS: `-Xmx512m -Djava.security.auth.login.config=${jaas}` },
      }),
    )
  }
  for (const w of workers) {
    await waitFor(
      `${w.url} healthy`,
      async () => (await call(w.url, 'GET', '/health', { authorization: admin }).catch(() => null))?.status === 200,
      90_000,
      250,
    )
  }

  for (const w of workers) {
    const anonymous = await call(w.url, 'GET', '/connectors')
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.text, 'User cannot access the resource.')
    const wrong = await call(w.url, 'GET', '/connectors', {
      authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}`,
    })
    assert.equal(wrong.status, 401)
    await assert.rejects(
      call(w.url, 'GET', '/connectors', { authorization: admin, cert: false }),
      'no client certificate: no TLS session',
    )
  }

  // One connector created through each worker: the follower's request is forwarded to the leader with the caller's
  // credentials, over https with the worker's own certificate.
  const names: string[] = []
  for (const [i, w] of workers.entries()) {
    const name = randomName(`src${i}`)
    names.push(name)
    const input = join(dir, `${name}.txt`)
    await writeFile(input, 'one\ntwo\n')
    const config = { 'connector.class': 'FileStreamSource', file: input, topic: randomName('lines'), 'tasks.max': '1' }
    const created = await call(w.url, 'POST', '/connectors', {
      authorization: i === 0 ? admin : 'Bearer ci-token-42',
      body: { name, config },
    })
    assert.equal(created.status, 201, `through ${w.url}: ${created.text}`)
  }
  // Each worker runs one of them; the follower's connector gets its task only once the leader took its task configs.
  for (const name of names) {
    await waitFor(
      `${name} running with its task`,
      async () => {
        const status = await call(workers[0]!.url, 'GET', `/connectors/${name}/status`, { authorization: admin })
        const body = status.status === 200 ? JSON.parse(status.text) : null
        return body?.connector.state === 'RUNNING' && body.tasks[0]?.state === 'RUNNING'
      },
      90_000,
      250,
    )
  }
  const owners = new Set<string>()
  for (const name of names) {
    const status = await call(workers[1]!.url, 'GET', `/connectors/${name}/status`, { authorization: admin })
    owners.add(JSON.parse(status.text).tasks[0].worker_id)
  }
  assert.equal(owners.size, 2, `each worker runs one task: ${[...owners].join(', ')}`)
  for (const owner of owners) assert.match(owner, /^localhost:\d+$/, 'the advertised https listener is the worker id')

  // Internal requests skip authentication and are checked by their signature instead (the follower answers 409).
  const forged: Answer[] = []
  for (const w of workers) {
    forged.push(
      await call(w.url, 'POST', `/connectors/${names[0]}/tasks?forward=false`, {
        body: [{}],
        headers: {
          'X-Connect-Authorization': Buffer.alloc(32).toString('base64'),
          'X-Connect-Request-Signature-Algorithm': 'HmacSHA256',
        },
      }),
    )
  }
  const refused = forged.find((f) => f.status === 403)
  assert.ok(refused, `the leader refuses a forged signature: ${forged.map((f) => `${f.status} ${f.text}`).join('; ')}`)
  assert.deepEqual(JSON.parse(refused.text), {
    error_code: 403,
    message: 'Internal request contained invalid signature.',
  })
})

test('an Apache 4.4 worker joins a Ferry worker over https with client certificates: its requests and task configs reach the Ferry leader', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('rest-tls-mixed')
  const worker = (port: number) =>
    distributedWorkerProps(testBootstrap(), group, { ...httpsWorker(port), 'plugin.discovery': 'service_load' })
  // Ferry first, so it leads; Apache then joins as the follower.
  const ferry = await startDistributed(t, { dir, worker: worker(await freePort()) })
  const healthy = async (url: string) => (await call(url, 'GET', '/health').catch(() => null))?.status === 200
  await waitFor('the Ferry worker healthy', () => healthy(ferry.url), 90_000, 250)
  const apache = await startApacheConnect({ mode: 'distributed', dir, worker: worker(await freePort()), healthy })
  t.after(() => apache.stop())
  const apacheUrl = apache.url
  await waitFor(
    'Apache to follow the Ferry leader',
    async () => (await apache.log()).includes(`leaderUrl='${ferry.url}/'`),
    60_000,
    250,
  )

  // Created through Apache: forwarded by Apache's RestClient to the Ferry leader, over https with its certificate.
  const names: string[] = []
  for (let i = 0; i < 2; i++) {
    const name = randomName(`mixed${i}`)
    names.push(name)
    const input = join(dir, `${name}.txt`)
    await writeFile(input, 'one\ntwo\n')
    const config = { 'connector.class': 'FileStreamSource', file: input, topic: randomName('lines'), 'tasks.max': '1' }
    const created = await call(apacheUrl, 'POST', '/connectors', { body: { name, config } })
    assert.equal(created.status, 201, `through Apache: ${created.text}`)
  }
  // One runs on each worker: Apache's connector sends its task configs to the Ferry leader (signed, over https).
  const owners = new Set<string>()
  for (const name of names) {
    await waitFor(
      `${name} running with its task`,
      async () => {
        const status = await call(ferry.url, 'GET', `/connectors/${name}/status`)
        const body = status.status === 200 ? JSON.parse(status.text) : null
        if (body?.connector.state !== 'RUNNING' || body.tasks[0]?.state !== 'RUNNING') return false
        owners.add(body.tasks[0].worker_id)
        return true
      },
      120_000,
      500,
    )
  }
  assert.equal(owners.size, 2, `a task on each worker: ${[...owners].join(', ')}; Apache log ${apache.logPath}`)
})
