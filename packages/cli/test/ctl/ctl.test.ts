import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { freePort, tempDir } from '@ferry/testing'
import { makeCertificates } from '../../../../scripts/kafka/certs.ts'
import { ctl } from '../../src/ctl/ctl.ts'

type TestContext = Parameters<typeof tempDir>[0]

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  body: unknown
}

/** A fake Connect REST server on loopback: `answer` decides each response; every request is recorded. */
async function fakeServer(
  t: TestContext,
  answer: (req: Seen) => { status: number; body?: unknown; text?: string },
  tls?: { key: string; cert: string; ca?: string; requestCert?: boolean },
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString()
      const s: Seen = {
        method: req.method!,
        url: req.url!,
        authorization: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      }
      seen.push(s)
      const a = answer(s)
      if (a.text !== undefined) res.writeHead(a.status, { 'content-type': 'text/html' }).end(a.text)
      else if (a.body === undefined) res.writeHead(a.status).end()
      else res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body))
    })
  }
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => server.close(r)))
  const { port } = server.address() as AddressInfo
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen }
}

async function runner(t: TestContext) {
  const dir = await tempDir(t)
  const configFile = join(dir, 'ctl.json')
  const run = async (...args: string[]) => {
    let stdout = ''
    let stderr = ''
    const code = await ctl(args, {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s) },
      env: { FERRY_CTL_CONFIG: configFile },
    })
    return { code, stdout, stderr }
  }
  return { dir, configFile, run }
}

test('contexts send basic or bearer auth; --context picks one and --url replaces its URL', async (t) => {
  const server = await fakeServer(t, () => ({ status: 200, body: {} }))
  const { run, configFile } = await runner(t)
  assert.equal(
    (await run('config', 'set-context', 'a', '--url', server.url, '--user', 'u', '--password', 'p:w')).code,
    0,
  )
  assert.equal((await run('config', 'set-context', 'b', '--url', 'http://127.0.0.1:1', '--token', 'tok')).code, 0)
  assert.equal((await run('get', 'connectors')).code, 0)
  assert.equal((await run('get', 'loggers', '--context', 'b', '--url', server.url)).code, 0)
  assert.deepEqual(
    server.seen.map((s) => [s.method, s.url, s.authorization]),
    [
      ['GET', '/connectors?expand=status&expand=info', `Basic ${Buffer.from('u:p:w').toString('base64')}`],
      ['GET', '/admin/loggers', 'Bearer tok'],
    ],
  )
  // The file holds secrets: only its owner may read it, and get-contexts shows only the kind of auth.
  assert.equal((await stat(configFile)).mode & 0o777, 0o600)
  const shown = await run('config', 'get-contexts')
  assert.match(shown.stdout, /^\*\s+a\s+http:\/\/127\.0\.0\.1:\d+\s+basic \(u\)$/m)
  assert.match(shown.stdout, /^\s+b\s+http:\/\/127\.0\.0\.1:1\s+bearer$/m)
  assert.doesNotMatch(shown.stdout + (await run('config', 'get-contexts', '-o', 'json')).stdout, /p:w|tok\b/)
  assert.equal((await run('config', 'use-context', 'b')).code, 0)
  assert.equal((await run('config', 'current-context')).stdout, 'b\n')
})

test('a refusal is exit 1 with the server’s message, no answer exit 3, a usage mistake exit 2', async (t) => {
  const server = await fakeServer(t, (s) =>
    s.url.startsWith('/connectors/gone')
      ? { status: 404, body: { error_code: 404, message: 'Connector gone not found' } }
      : { status: 502, text: '<html>bad gateway</html>' },
  )
  const { run } = await runner(t)
  assert.deepEqual(await run('pause', 'gone', '--url', server.url), {
    code: 1,
    stdout: '',
    stderr: 'ferry ctl: Connector gone not found (HTTP 404)\n',
  })
  assert.deepEqual(await run('get', 'plugins', '--url', server.url), {
    code: 1,
    stdout: '',
    stderr: 'ferry ctl: HTTP 502 Bad Gateway (HTTP 502)\n',
  })
  const closed = `http://127.0.0.1:${await freePort()}`
  assert.deepEqual(await run('get', 'connectors', '--url', closed), {
    code: 3,
    stdout: '',
    stderr: `ferry ctl: cannot reach ${closed}: connection refused\n`,
  })
  const usage: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['get', 'connectors', '--bogus'], /Unknown option '--bogus'\. Run ferry ctl --help/],
    [['pause', 'x', '--tasks'], /--tasks does not apply to pause/],
    [['get', 'connectors', '-o', 'xml'], /-o xml is not a format: use table, json, yaml, name/],
    [['get', 'widgets'], /usage: ferry ctl get connectors\|plugins\|loggers/],
    [['patch', 'x', 'novalue'], /"novalue" is not KEY=VALUE/],
    [['restart', 'x', '--task', 'one'], /--task one is not a task id/],
    [['apply', '-f', '/nonexistent/c.json'], /cannot read connector config file \/nonexistent\/c\.json: no such file/],
    [['offsets', 'set', 'x', '{"offsets": 1}'], /must be \{"offsets":\[/],
    [['get', 'connectors', '--context', 'nope'], /no context "nope" in .*ctl\.json \(there are none/],
    [['config', 'set-context', 'c', '--url', 'ftp://x'], /url "ftp:\/\/x" must start with http:\/\/ or https:\/\//],
    [['config', 'set-context', 'c', '--url', 'http://x', '--user', 'u'], /basic auth needs both "user" and "password"/],
    [['completion', 'tcsh'], /usage: ferry ctl completion bash\|zsh\|fish/],
  ]
  for (const [args, message] of usage) {
    const r = await run(...args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
  assert.equal(server.seen.length, 2, 'usage errors send nothing')
})

test('a config file with an unknown key is refused, naming the key and the valid ones', async (t) => {
  const { run, configFile } = await runner(t)
  await writeFile(configFile, JSON.stringify({ contexts: { a: { url: 'http://x:1', passwd: 'p' } } }))
  const r = await run('get', 'connectors')
  assert.equal(r.code, 2)
  assert.match(
    r.stderr,
    /context "a": unknown key "passwd" \(valid: url, user, password, token, ca-file, insecure, cert-file, key-file\)/,
  )
})

test('apply PUTs the config and says whether it created or updated; patch and offsets send what the API takes', async (t) => {
  let status = 201
  const server = await fakeServer(t, (s) => {
    if (s.method === 'PUT') return { status, body: { name: 'src', config: s.body, tasks: [], type: 'source' } }
    if (s.url.endsWith('/offsets'))
      return { status: 200, body: { message: 'The offsets for this connector have been altered successfully' } }
    return { status: 200, body: { name: 'src', config: {}, tasks: [], type: 'source' } }
  })
  const { run, dir } = await runner(t)
  const file = join(dir, 'src.properties')
  await writeFile(file, 'name=src\nconnector.class=FileStreamSource\ntopic=t\n')
  assert.equal((await run('apply', '-f', file, '--url', server.url)).stdout, 'connector src created\n')
  status = 200
  assert.equal((await run('apply', '-f', file, '--url', server.url)).stdout, 'connector src configured\n')
  const asYaml = await run('apply', '-f', file, '--url', server.url, '-o', 'yaml')
  assert.match(asYaml.stdout, /^config:\n {2}name: src\n {2}connector\.class: FileStreamSource\n/m)
  await run('patch', 'src', 'batch.size=5', 'a=b=c', '--unset', 'topic', '--url', server.url)
  const offsets = [{ partition: { filename: '/f' }, offset: { position: 4 } }]
  const set = await run('offsets', 'set', 'src', JSON.stringify(offsets), '--url', server.url)
  assert.equal(set.stdout, 'The offsets for this connector have been altered successfully\n')
  assert.deepEqual(
    server.seen.map((s) => [s.method, s.url, s.body]),
    [
      ['PUT', '/connectors/src/config', { name: 'src', 'connector.class': 'FileStreamSource', topic: 't' }],
      ['PUT', '/connectors/src/config', { name: 'src', 'connector.class': 'FileStreamSource', topic: 't' }],
      ['PUT', '/connectors/src/config', { name: 'src', 'connector.class': 'FileStreamSource', topic: 't' }],
      ['PATCH', '/connectors/src/config', { 'batch.size': '5', a: 'b=c', topic: null }],
      ['PATCH', '/connectors/src/offsets', { offsets }],
    ],
  )
})

test('restart sends KIP-745’s flags; a connector name is percent-encoded in the path', async (t) => {
  const server = await fakeServer(t, () => ({ status: 204 }))
  const { run } = await runner(t)
  await run('restart', 'a/b', '--tasks', '--failed', '--url', server.url)
  await run('restart', 'a/b', '--task', '2', '--url', server.url)
  await run('delete', 'a b', '--url', server.url)
  assert.deepEqual(
    server.seen.map((s) => `${s.method} ${s.url}`),
    [
      'POST /connectors/a%2Fb/restart?includeTasks=true&onlyFailed=true',
      'POST /connectors/a%2Fb/tasks/2/restart',
      'DELETE /connectors/a%20b',
    ],
  )
})

test('https: an unknown CA is exit 3 naming TLS; ca-file or insecure make it work', async (t) => {
  const { run, dir } = await runner(t)
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ])
  const server = await fakeServer(t, () => ({ status: 200, body: [] }), {
    key: await readFile(key, 'utf8'),
    cert: await readFile(cert, 'utf8'),
  })
  await run('config', 'set-context', 'tls', '--url', server.url)
  const refused = await run('get', 'plugins')
  assert.equal(refused.code, 3)
  assert.match(refused.stderr, /cannot reach https:.*: TLS: .*self-signed.*\(set the context's ca-file/)
  await run('config', 'set-context', 'tls', '--ca-file', cert)
  assert.equal((await run('get', 'plugins')).code, 0)
  await run('config', 'set-context', 'insecure', '--url', server.url, '--insecure')
  assert.equal((await run('get', 'plugins', '--context', 'insecure')).code, 0)
  assert.equal(server.seen.length, 2)
})

test('https with client certificates required: cert-file and key-file show the client’s certificate', async (t) => {
  const { run, dir } = await runner(t)
  const certs = await makeCertificates(join(dir, 'certs'))
  const server = await fakeServer(t, () => ({ status: 200, body: [] }), {
    key: await readFile(certs.broker.key, 'utf8'),
    cert: await readFile(certs.broker.cert, 'utf8'),
    ca: await readFile(certs.ca.cert, 'utf8'),
    requestCert: true,
  })
  await run('config', 'set-context', 'mtls', '--url', server.url, '--ca-file', certs.ca.cert)
  const refused = await run('get', 'plugins')
  assert.equal(refused.code, 3, 'no client certificate: the worker closes the connection')
  const half = await run('config', 'set-context', 'mtls', '--cert-file', certs.client.pem.certChain)
  assert.equal(half.code, 2)
  assert.match(half.stderr, /a client certificate needs both "cert-file" and "key-file"/)
  await run(
    'config',
    'set-context',
    'mtls',
    '--cert-file',
    certs.client.pem.certChain,
    '--key-file',
    certs.client.pem.key,
  )
  assert.equal((await run('get', 'plugins')).code, 0)
  assert.match((await run('config', 'get-contexts')).stdout, /ca-file .*ca\.pem, cert-file .*client-chain\.pem/)
  assert.equal(server.seen.length, 1)
})

test('completion: candidates for commands, kinds, formats, flags and connector names from the server', async (t) => {
  const server = await fakeServer(t, () => ({ status: 200, body: ['orders', 'other', 'users'] }))
  const { run } = await runner(t)
  await run('config', 'set-context', 'local', '--url', server.url)
  const complete = async (...words: string[]) => (await run('__complete', ...words)).stdout
  assert.equal(await complete('pa'), 'patch\npause\n')
  assert.equal(await complete('get', ''), 'connectors\nplugins\nloggers\n')
  assert.equal(await complete('get', 'connectors', '-o', 'y'), 'yaml\n')
  assert.equal(await complete('restart', 'x', '--t'), '--tasks\n--task\n')
  assert.equal(await complete('pause', 'o'), 'orders\nother\n')
  assert.equal(await complete('describe', 'connector', 'u'), 'users\n')
  assert.equal(await complete('config', 'use-context', ''), 'local\n')
  assert.equal(await complete('apply', '-f', ''), '')
})

test('the bash script completes through the ferry command itself', async (t) => {
  const { configFile, run } = await runner(t)
  const script = (await run('completion', 'bash')).stdout
  const bin = resolve(import.meta.dirname, '../../bin/ferry.js')
  const { stdout } = await promisify(execFile)(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${bin} ctl offsets r); COMP_CWORD=3; _ferry_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { env: { ...process.env, FERRY_CTL_CONFIG: configFile } },
  )
  assert.equal(stdout, 'reset\n')
  for (const shell of ['zsh', 'fish']) assert.match((await run('completion', shell)).stdout, /ctl __complete/)
})
