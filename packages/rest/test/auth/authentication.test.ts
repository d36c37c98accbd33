/**
 * REST authentication configured as for Apache (`rest.extension.classes` naming BasicAuthSecurityRestExtension, a
 * JAAS file with PropertyFileLoginModule) and Ferry's bearer tokens. The 401 is Apache 4.4.0's, as a real worker with
 * the extension answered it: `Content-Type: application/json`, the bare text body, no `WWW-Authenticate`.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { PluginRegistry } from '@ferry/runtime'
import { installAuthentication, restAuthentication } from '../../src/auth/authentication.ts'
import { basicCredentials, jaasFilePath } from '../../src/auth/basic-auth.ts'
import { createRestServer } from '../../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from '../fake-herder.ts'
import { memoryLogger } from '../helpers.ts'

const EXTENSION = 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension'
const MODULE = 'org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-rest-auth-'))
})
after(() => rm(dir, { recursive: true, force: true }))

async function jaasFile(name: string, credentials: string, entry = 'KafkaConnect'): Promise<string> {
  const creds = join(dir, `${name}.properties`)
  await writeFile(creds, Buffer.from(credentials, 'latin1'))
  const jaas = join(dir, `${name}.jaas`)
  await writeFile(jaas, `// Apache's example\n${entry} {\n  ${MODULE} required\n  file="${creds}";\n};\n`)
  return jaas
}

function app(t: { after(fn: () => unknown): void }, originals: Record<string, string>, env = {}) {
  const auth = restAuthentication(originals, env)
  assert.ok(auth)
  const server = createRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig(originals),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
    auth,
  })
  t.after(() => server.close())
  return server
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

test('basic auth from the JAAS file in KAFKA_OPTS: Apache’s 401 without or with wrong credentials, 200 with right ones', async (t) => {
  const jaas = await jaasFile('users', 'alice=secret\nbob=builder\n')
  const server = app(
    t,
    { 'rest.extension.classes': EXTENSION },
    { KAFKA_OPTS: `-Xmx1g -Djava.security.auth.login.config=${jaas}` },
  )
  for (const authorization of [undefined, basic('alice', 'wrong'), basic('carol', 'secret'), 'Bearer secret']) {
    const res = await server.inject({ url: '/connectors', headers: authorization ? { authorization } : {} })
    assert.equal(res.statusCode, 401)
    assert.equal(res.body, 'User cannot access the resource.')
    assert.equal(res.headers['content-type'], 'application/json')
    assert.equal(res.headers['www-authenticate'], undefined)
  }
  for (const [user, password] of [
    ['alice', 'secret'],
    ['bob', 'builder'],
  ] as const) {
    const res = await server.inject({ url: '/connectors', headers: { authorization: basic(user, password) } })
    assert.equal(res.statusCode, 200, user)
  }
  assert.equal((await server.inject({ url: '/health' })).statusCode, 401, '/health needs credentials, as in Apache')
  assert.equal((await server.inject({ url: '/metrics' })).statusCode, 401)
})

test('a path no route serves is 404 and a wrong method 405 without credentials; internal requests are not authenticated', async (t) => {
  const server = app(t, {
    'rest.extension.classes': 'BasicAuthSecurityRestExtension',
    'rest.auth.login.config': await jaasFile('internal', 'alice=secret\n'),
  })
  assert.equal((await server.inject({ url: '/nope' })).statusCode, 404)
  assert.equal((await server.inject({ method: 'DELETE', url: '/connectors' })).statusCode, 405)
  // Signed instead: the fake herder answers as a standalone worker does (500), not the filter.
  const tasks = await server.inject({
    method: 'POST',
    url: '/connectors/c/tasks',
    headers: { 'content-type': 'application/json' },
    payload: '[]',
  })
  assert.notEqual(tasks.statusCode, 401)
  assert.equal((await server.inject({ method: 'PUT', url: '/connectors/c/fence' })).statusCode !== 401, true)
  assert.equal((await server.inject({ method: 'PUT', url: '/connectors/c/pause' })).statusCode, 401)
})

test('the web UI asks the browser for basic credentials; the API never does', async (t) => {
  const server = app(t, {
    'rest.extension.classes': EXTENSION,
    'rest.auth.login.config': await jaasFile('ui', 'alice=secret\n'),
  })
  const ui = await server.inject({ url: '/ui' })
  assert.equal(ui.statusCode, 401)
  assert.match(String(ui.headers['www-authenticate']), /^Basic realm="Kafka Connect"/)
  const page = await server.inject({ url: '/ui', headers: { authorization: basic('alice', 'secret') } })
  assert.equal(page.statusCode, 200)
  const call = await server.inject({ url: '/connectors', headers: { 'x-ferry-ui': '1' } })
  assert.equal(call.statusCode, 401)
  assert.match(String(call.headers['www-authenticate']), /^Basic /, 'the UI’s own API calls are challenged too')
})

test('bearer tokens from rest.auth.bearer.tokens.file, alone or beside basic auth', async (t) => {
  const tokens = join(dir, 'tokens.properties')
  await writeFile(tokens, 'ci=tok-123\nprometheus = tok-456\n')
  const only = app(t, { 'rest.auth.bearer.tokens.file': tokens })
  assert.equal((await only.inject({ url: '/', headers: { authorization: 'Bearer tok-123' } })).statusCode, 200)
  assert.equal((await only.inject({ url: '/', headers: { authorization: 'bearer tok-456' } })).statusCode, 200)
  assert.equal((await only.inject({ url: '/', headers: { authorization: 'Bearer tok-12' } })).statusCode, 401)
  assert.equal((await only.inject({ url: '/', headers: { authorization: basic('ci', 'tok-123') } })).statusCode, 401)
  assert.equal((await only.inject({ url: '/ui' })).headers['www-authenticate'], undefined, 'no basic prompt')

  const both = app(t, {
    'rest.extension.classes': EXTENSION,
    'rest.auth.login.config': await jaasFile('both', 'alice=secret\n'),
    'rest.auth.bearer.tokens.file': tokens,
  })
  assert.equal((await both.inject({ url: '/', headers: { authorization: 'Bearer tok-123' } })).statusCode, 200)
  assert.equal((await both.inject({ url: '/', headers: { authorization: basic('alice', 'secret') } })).statusCode, 200)
  assert.equal((await both.inject({ url: '/' })).statusCode, 401)
})

test('an empty credentials file lets every request in, as Apache’s PropertyFileLoginModule does', async (t) => {
  const server = app(t, { 'rest.extension.classes': EXTENSION, 'rest.auth.login.config': await jaasFile('empty', '') })
  assert.equal((await server.inject({ url: '/connectors' })).statusCode, 200)
})

test('credentials files are ISO-8859-1 as Java reads them; the header is UTF-8', async (t) => {
  const server = app(t, {
    'rest.extension.classes': EXTENSION,
    'rest.auth.login.config': await jaasFile('latin1', 'jos\u00e9=p\u00e4ss\n'),
  })
  const res = await server.inject({ url: '/', headers: { authorization: basic('jos\u00e9', 'p\u00e4ss') } })
  assert.equal(res.statusCode, 200)
})

test('configuration problems stop the worker at start, naming the key or the file', async () => {
  const refused = (originals: Record<string, string>, pattern: RegExp, env = {}) =>
    assert.throws(() => restAuthentication(originals, env), pattern)
  refused(
    { 'rest.extension.classes': 'com.example.MyRestExtension' },
    /rest\.extension\.classes: Ferry cannot load the REST extension com\.example\.MyRestExtension/,
  )
  refused({ 'rest.extension.classes': EXTENSION }, /needs a JAAS file with a KafkaConnect entry/)
  refused(
    { 'rest.extension.classes': EXTENSION, 'rest.auth.login.config': await jaasFile('other', 'a=b\n', 'KafkaServer') },
    /other\.jaas \(rest\.auth\.login\.config\) has no KafkaConnect entry/,
  )
  const ldap = join(dir, 'ldap.jaas')
  await writeFile(ldap, 'KafkaConnect { com.sun.security.auth.module.LdapLoginModule required; };')
  refused(
    { 'rest.extension.classes': EXTENSION },
    /names the login module com\.sun\.security\.auth\.module\.LdapLoginModule: Ferry cannot load Java login modules/,
    { KAFKA_OPTS: `-Djava.security.auth.login.config=${ldap}` },
  )
  const missing = join(dir, 'missing.jaas')
  await writeFile(missing, `KafkaConnect { ${MODULE} required file="${join(dir, 'nope.properties')}"; };`)
  refused(
    { 'rest.extension.classes': EXTENSION, 'rest.auth.login.config': missing },
    /nope\.properties, which cannot be read/,
  )
  refused({ 'rest.auth.bearer.tokens.file': join(dir, 'none') }, /rest\.auth\.bearer\.tokens\.file: cannot be read/)
  const emptyToken = join(dir, 'empty-token.properties')
  await writeFile(emptyToken, 'ci=\n')
  refused({ 'rest.auth.bearer.tokens.file': emptyToken }, /the token of ci is empty/)
  assert.equal(restAuthentication({}, {}), null, 'no keys: an open API, as Apache')
})

test('the JAAS file comes from rest.auth.login.config, else KAFKA_OPTS (Java’s == form too)', () => {
  const env = { KAFKA_OPTS: '-Dfoo=1 -Djava.security.auth.login.config==/etc/connect.jaas' }
  assert.deepEqual(jaasFilePath({}, env)?.path, '/etc/connect.jaas')
  assert.deepEqual(jaasFilePath({ 'rest.auth.login.config': '/own.jaas' }, env)?.path, '/own.jaas')
  assert.equal(jaasFilePath({}, {}), null)
})

test('Authorization headers are read as Apache’s BasicAuthCredentials reads them', () => {
  assert.deepEqual(basicCredentials(basic('a', 'b:c')), { user: 'a', password: 'b:c' })
  assert.deepEqual(basicCredentials(`BASIC ${Buffer.from('a:').toString('base64')}`), { user: 'a', password: '' })
  assert.equal(basicCredentials(`Basic ${Buffer.from(':pw').toString('base64')}`), null, 'an empty user')
  assert.equal(basicCredentials('Basic'), null)
  assert.equal(basicCredentials('Basic !!!'), null)
  assert.equal(basicCredentials(undefined), null)
})

test('installAuthentication leaves CORS preflights to the CORS filter', async (t) => {
  const auth = restAuthentication({ 'rest.auth.bearer.tokens.file': join(dir, 'tokens.properties') }, {})
  const server = createRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig({ 'access.control.allow.origin': '*' }),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
    auth,
  })
  t.after(() => server.close())
  assert.equal(typeof installAuthentication, 'function')
  const res = await server.inject({
    method: 'OPTIONS',
    url: '/connectors',
    headers: { origin: 'http://ui.example', 'access-control-request-method': 'GET' },
  })
  assert.equal(res.statusCode, 204)
})
