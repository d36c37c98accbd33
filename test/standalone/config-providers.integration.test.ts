// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort, randomName, runFerry, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

const FILE_PROVIDER = 'org.apache.kafka.common.config.provider.FileConfigProvider'

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text, json: text ? JSON.parse(text) : null }
}

async function lineCount(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).length
}

test('standalone: providers resolve worker and connector configs; configs, tasks, validation, traces and logs show only references', async (t) => {
  const dir = await tempDir(t)
  const secret = `fake-secret-${randomUUID()}`
  const secrets = join(dir, 'secrets.properties')
  const offsets = join(dir, 'resolved.offsets')
  await writeFile(secrets, `token=${secret}\noffsets=${offsets}\n`)
  const moving = join(dir, 'moving.properties')
  await writeFile(moving, `out=${join(dir, 'moving.txt')}\n`)
  const out = join(dir, 'out.txt')
  const input = join(dir, 'in.txt')
  await writeFile(input, 'one\ntwo\nthree\n')
  const topic = randomName('providers')
  // The sink's consumer group (connect-<name>) lives on the broker other tests share: a name of its own.
  const sink = randomName('sink')
  const ref = (key: string, file = secrets) => `\${file:${file}:${key}}`
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`

  const worker = await startStandalone(t, {
    dir,
    env: { FERRY_TEST_OUT: out },
    worker: {
      listeners: url,
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.flush.interval.ms': '500',
      // The worker config itself takes references.
      'offset.storage.file.filename': ref('offsets'),
      'config.providers': 'file,env',
      'config.providers.file.class': FILE_PROVIDER,
      'config.providers.file.param.allowed.paths': dir,
      'config.providers.env.class': 'EnvVarConfigProvider',
      'config.providers.env.param.allowlist.pattern': 'FERRY_TEST_.*',
    },
    connectors: [
      { name: 'source', 'connector.class': 'FileStreamSource', file: input, topic },
      {
        name: sink,
        'connector.class': 'FileStreamSink',
        topics: topic,
        file: '${env:FERRY_TEST_OUT}',
        'connection.token': ref('token'),
      },
    ],
  })
  await waitFor('three lines at the resolved sink path', async () => (await lineCount(out)) >= 3, 90_000, 200)
  await waitFor('the offsets file at the resolved path', () => stat(offsets).then(() => true), 30_000, 200)

  // Configs and task configs are stored and shown with their references.
  const config = await http(`${url}/connectors/${sink}/config`)
  assert.equal(config.json.file, '${env:FERRY_TEST_OUT}')
  assert.equal(config.json['connection.token'], ref('token'))
  const tasks = await http(`${url}/connectors/${sink}/tasks`)
  assert.equal(tasks.json[0].config.file, '${env:FERRY_TEST_OUT}')
  assert.ok(!config.text.includes(secret) && !tasks.text.includes(secret) && !tasks.text.includes(out))

  // Validation resolves but shows references; a reference that cannot be resolved refuses the connector.
  const validation = await http(`${url}/connector-plugins/FileStreamSinkConnector/config/validate`, 'PUT', {
    'connector.class': 'FileStreamSink',
    name: 'v',
    topics: topic,
    'tasks.max': ref('token'),
  })
  assert.equal(validation.status, 200)
  assert.ok(!validation.text.includes(secret), validation.text)
  assert.ok(validation.text.includes(`Invalid value ${ref('token')} for configuration tasks.max`), validation.text)
  const refused = await http(`${url}/connectors`, 'POST', {
    name: 'refused',
    config: { 'connector.class': 'FileStreamSink', topics: topic, file: ref('nope') },
  })
  assert.equal(refused.status, 400)
  assert.match(refused.json.message, new RegExp(`Cannot resolve \\$\\{file:${dir}/secrets.properties:nope\\} in file`))

  // A task that fails with an error quoting a resolved secret: its trace shows the reference.
  const leaky = await http(`${url}/connectors`, 'POST', {
    name: 'leaky',
    config: { 'connector.class': 'FileStreamSink', topics: topic, file: `/nonexistent-ferry/${ref('token')}` },
  })
  assert.equal(leaky.status, 201, leaky.text)
  const leakyStatus = await waitFor('the leaky task FAILED', async () => {
    const s = await http(`${url}/connectors/leaky/status`)
    return s.json.tasks?.[0]?.state === 'FAILED' ? s : undefined
  })
  assert.ok(!leakyStatus.text.includes(secret), leakyStatus.text)
  assert.ok(leakyStatus.json.tasks[0].trace.includes(`/nonexistent-ferry/${ref('token')}`), leakyStatus.text)

  // A reference that stops resolving after creation fails the connector on its next start, naming the reference.
  const mover = await http(`${url}/connectors`, 'POST', {
    name: 'mover',
    config: { 'connector.class': 'FileStreamSink', topics: topic, file: ref('out', moving) },
  })
  assert.equal(mover.status, 201, mover.text)
  await waitFor(
    'mover RUNNING',
    async () => (await http(`${url}/connectors/mover/status`)).json.tasks?.[0]?.state === 'RUNNING',
  )
  await rm(moving)
  assert.equal((await http(`${url}/connectors/mover/restart`, 'POST')).status, 204)
  const failed = await waitFor('mover FAILED', async () => {
    const s = (await http(`${url}/connectors/mover/status`)).json
    return s.connector.state === 'FAILED' ? s : undefined
  })
  assert.match(
    failed.connector.trace,
    new RegExp(
      `Cannot resolve \\$\\{file:${moving}:out\\} in file: Could not read properties from file ${moving}: no such file`,
    ),
  )

  assert.equal(await worker.stop(), 0)
  const log = await worker.log()
  assert.ok(log.includes('leaky'), 'the log covers the failures')
  assert.ok(!log.includes(secret), 'no log line holds the secret')
})

test('standalone: a config.providers mistake or a worker reference that cannot be resolved exits 2 naming the key', async (t) => {
  const dir = await tempDir(t)
  const secret = `fake-secret-${randomUUID()}`
  await writeFile(join(dir, 'secrets.properties'), `token=${secret}\n`)
  const base = [
    `listeners=http://127.0.0.1:${await freePort()}`,
    'bootstrap.servers=127.0.0.1:9',
    'key.converter=StringConverter',
    'value.converter=StringConverter',
    `offset.storage.file.filename=${join(dir, 'offsets')}`,
  ]
  const cases: Array<[string, string[], RegExp]> = [
    [
      'an unknown provider class',
      ['config.providers=vault', 'config.providers.vault.class=com.example.Vault'],
      /config\.providers\.vault\.class: Failed to find any class that implements ConfigProvider and which name matches com\.example\.Vault/,
    ],
    [
      'a provider without its class',
      ['config.providers=file'],
      /Missing required configuration "config\.providers\.file\.class"/,
    ],
    [
      'an unknown parameter',
      ['config.providers=file', `config.providers.file.class=${FILE_PROVIDER}`, 'config.providers.file.param.paths=/'],
      /Unknown configuration config\.providers\.file\.param\.paths/,
    ],
    [
      'a reference to a key the file lacks',
      [
        'config.providers=file',
        `config.providers.file.class=${FILE_PROVIDER}`,
        `client.id=\${file:${dir}/secrets.properties:nope}`,
      ],
      /Cannot resolve \$\{file:.*secrets\.properties:nope\} in client\.id: no key nope in/,
    ],
    [
      'a path outside allowed.paths',
      [
        'config.providers=file',
        `config.providers.file.class=${FILE_PROVIDER}`,
        `config.providers.file.param.allowed.paths=${dir}`,
        `client.id=\${file:${dir}/../etc/passwd:root}`,
      ],
      /Cannot resolve \$\{file:.*\/\.\.\/etc\/passwd:root\} in client\.id: The path .* is not allowed to be accessed/,
    ],
    [
      'a resolved value that does not parse',
      [
        'config.providers=file',
        `config.providers.file.class=${FILE_PROVIDER}`,
        `offset.flush.interval.ms=\${file:${dir}/secrets.properties:token}`,
      ],
      /Invalid value \$\{file:.*secrets\.properties:token\} for configuration offset\.flush\.interval\.ms/,
    ],
  ]
  for (const [what, lines, expected] of cases) {
    const file = join(dir, `${randomName('worker')}.properties`)
    await writeFile(file, `${[...base, ...lines].join('\n')}\n`)
    const { code, stdout, stderr } = await runFerry(['standalone', file], dir)
    assert.equal(code, 2, `${what}: ${stderr}`)
    assert.equal(stderr.trim().split('\n').length, 1, `${what}: one line, got ${stderr}`)
    assert.match(stderr, expected, what)
    assert.ok(!stderr.includes(secret) && !stdout.includes(secret), `${what}: no secret in ${stderr}`)
  }
})
