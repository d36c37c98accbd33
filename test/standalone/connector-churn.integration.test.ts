import assert from 'node:assert/strict'
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

const POSTGRES_URL = process.env.FERRY_TEST_POSTGRES_URL ?? 'jdbc:postgresql://127.0.0.1:5432/test'
const POSTGRES_USER = process.env.FERRY_TEST_POSTGRES_USER ?? 'postgres'

function lines(n: number): string {
  let out = ''
  for (let i = 1; i <= n; i++) out += `line ${i} ${'x'.repeat(40)}\n`
  return out
}

/** The process's open file descriptors (files, sockets, pipes), from /proc. */
async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length
}

/**
 * What each descriptor is, for the failure message: a path, `pipe:[inode]`, or for a TCP socket its remote address
 * (`tcp:127.0.0.1:5432`), read from the process's /proc/<pid>/net/tcp tables.
 */
async function describeFds(pid: number): Promise<string[]> {
  const remotes = new Map<string, string>()
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/)
      const [hexAddress, hexPort] = (cols[2] ?? '').split(':')
      if (!hexAddress || !hexPort || !cols[9]) continue
      const address =
        hexAddress.length === 8
          ? (hexAddress.match(/../g) ?? [])
              .reverse()
              .map((b) => Number.parseInt(b, 16))
              .join('.')
          : hexAddress
      remotes.set(cols[9], `tcp:${address}:${Number.parseInt(hexPort, 16)}`)
    }
  }
  const fds = await readdir(`/proc/${pid}/fd`)
  return Promise.all(
    fds.map(async (fd) => {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '(closed)')
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      return (inode && remotes.get(inode)) ?? target
    }),
  )
}

test('a burst of connector creates, pauses, resumes, restarts, stops and deletes leaves no file or connection open', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('churn')
  const input = join(dir, 'input.txt')
  await writeFile(input, lines(20_000))
  const url = `http://127.0.0.1:${await freePort()}`
  const worker = await startStandalone(t, {
    dir,
    worker: {
      listeners: url,
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '200',
    },
    connectors: [],
  })
  const pid = worker.child.pid!
  // Each request on its own connection, closed after the answer: kept-alive REST connections are not the worker's.
  const rest = (method: string, path: string, body?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = request(
        `${url}${path}`,
        {
          method,
          agent: false,
          headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (d) => (text += d))
          res.on('end', () => {
            if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
            else resolve(text ? JSON.parse(text) : null)
          })
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  await waitFor('the REST API', () => rest('GET', '/connectors'), 60_000, 200)

  /** The four kinds of connector, each opening its own files or connections when it and its tasks start. */
  const configs = (round: string): Array<Record<string, string> & { name: string }> => [
    { name: `file-src-${round}`, 'connector.class': 'FileStreamSource', file: input, topic, 'batch.size': '100' },
    { name: `file-sink-${round}`, 'connector.class': 'FileStreamSink', file: join(dir, `out-${round}`), topics: topic },
    {
      name: `jdbc-src-${round}`,
      'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
      'connection.url': POSTGRES_URL,
      'connection.user': POSTGRES_USER,
      mode: 'bulk',
      query: 'SELECT 1 AS one',
      'topic.prefix': `${topic}-jdbc`,
      'poll.interval.ms': '50',
    },
    {
      name: `jdbc-sink-${round}`,
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
      'connection.url': POSTGRES_URL,
      'connection.user': POSTGRES_USER,
      topics: `${topic}-empty`,
    },
  ]
  const create = (c: { name: string }) => rest('PUT', `/connectors/${c.name}/config`, c)
  const running = async (name: string) => {
    const status = (await rest('GET', `/connectors/${name}/status`)) as {
      connector: { state: string }
      tasks: Array<{ state: string }>
    }
    return (
      status.connector.state === 'RUNNING' &&
      status.tasks.length > 0 &&
      status.tasks.every((s) => s.state === 'RUNNING')
    )
  }

  // Warm up: one full cycle, so lazily opened things (client modules, the offsets file) are part of the baseline.
  await Promise.all(
    configs('warm').map(async (c) => {
      await create(c)
      await waitFor(`${c.name} running`, () => running(c.name), 60_000, 100)
      await rest('DELETE', `/connectors/${c.name}`)
    }),
  )
  let baseline = 0
  await waitFor('open descriptors to settle after the warm-up', async () => {
    const before = await openFds(pid)
    await new Promise((r) => setTimeout(r, 500))
    baseline = await openFds(pid)
    return baseline === before
  })

  /**
   * Creates the connector, then sends the other requests a few milliseconds apart without waiting for their answers,
   * so each reaches the herder while the previous one (and the tasks it started) is still in progress. The connector
   * is deleted at the end either way.
   */
  let refused = 0
  const burst = async (name: string, requests: Array<[string, string, unknown?]>) => {
    const [first, ...rest_] = requests
    await rest(first![0], first![1], first![2])
    const sent: Promise<unknown>[] = []
    for (const [method, path, body] of rest_) {
      sent.push(rest(method, path, body).catch(() => refused++))
      await new Promise((r) => setTimeout(r, 2))
    }
    await Promise.all(sent)
    await rest('DELETE', `/connectors/${name}`).catch(() => {})
  }
  const at = (c: { name: string }, suffix = '') => `/connectors/${c.name}${suffix}`
  // The sequences that used to leave handles behind: stop during start, restart while starting, delete while paused.
  const sequences: Array<(c: Record<string, string> & { name: string }) => Array<[string, string, unknown?]>> = [
    (c) => [
      ['PUT', at(c, '/config'), c],
      ['DELETE', at(c)],
    ],
    (c) => [
      ['PUT', at(c, '/config'), c],
      ['POST', at(c, '/restart?includeTasks=true')],
      ['POST', at(c, '/tasks/0/restart')],
      ['POST', at(c, '/restart?includeTasks=true')],
    ],
    (c) => [
      ['PUT', at(c, '/config'), c],
      ['PUT', at(c, '/pause')],
      ['PUT', at(c, '/resume')],
      ['PUT', at(c, '/pause')],
    ],
    (c) => [
      ['PUT', at(c, '/config'), c],
      ['PUT', at(c, '/stop')],
      ['PUT', at(c, '/resume')],
      ['PUT', at(c, '/config'), { ...c, 'tasks.max': '2' }],
    ],
  ]
  for (let round = 0; round < 4; round++) {
    await Promise.all(
      sequences.flatMap((sequence, s) => configs(`${round}-${s}`).map((c) => burst(c.name, sequence(c)))),
    )
  }
  // Stopped while polling and putting: running tasks restarted, then deleted.
  await Promise.all(
    configs('running').map(async (c) => {
      await create(c)
      await waitFor(`${c.name} running`, () => running(c.name), 60_000, 20)
      await burst(c.name, [
        ['POST', at(c, '/restart?includeTasks=true')],
        ['PUT', at(c, '/pause')],
      ])
    }),
  )
  t.diagnostic(`${refused} requests of the burst found their connector gone`)
  assert.deepEqual(await rest('GET', '/connectors'), [])

  const after = await waitFor(
    `open descriptors back to the ${baseline} before the burst`,
    async () => {
      const n = await openFds(pid)
      return n <= baseline ? n : false
    },
    30_000,
    250,
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}; open now: ${(await describeFds(pid)).join(', ')}`)
  })
  t.diagnostic(`open descriptors: ${baseline} before the burst, ${after} after`)
  assert.equal(await worker.stop(), 0)
  const log = await worker.log()
  assert.doesNotMatch(log, /on garbage collection/, 'no file handle was left for the garbage collector to close')
  assert.doesNotMatch(log, /MaxListenersExceededWarning/)
})
