import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWorkerConfig } from '@ferry/runtime'
import { testServer } from '../helpers.ts'

test('/ui/ serves the page with its scripts and style sheet, under a policy that allows only its own scripts', async (t) => {
  const { app } = testServer(t)
  const page = await app.inject({ method: 'GET', url: '/ui/' })
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(String(page.headers['content-security-policy']), /script-src 'self';/)
  assert.equal(page.headers['x-content-type-options'], 'nosniff')
  assert.match(page.body, /<script type="module" src="\.\/app\.js"><\/script>/)
  for (const [file, type] of [
    ['app.js', /^text\/javascript/],
    ['api.js', /^text\/javascript/],
    ['dom.js', /^text\/javascript/],
    ['form.js', /^text\/javascript/],
    ['style.css', /^text\/css/],
  ] as const) {
    const res = await app.inject({ method: 'GET', url: `/ui/${file}` })
    assert.equal(res.statusCode, 200, file)
    assert.match(String(res.headers['content-type']), type, file)
    assert.ok(res.body.length > 100, file)
  }
})

test('/ui without the slash links its files under ui/, so they resolve to /ui/ from either address', async (t) => {
  const { app } = testServer(t)
  const page = await app.inject({ method: 'GET', url: '/ui' })
  assert.equal(page.statusCode, 200)
  assert.match(page.body, /src="ui\/app\.js"/)
  assert.match(page.body, /href="ui\/style\.css"/)
  assert.doesNotMatch(page.body, /__BASE__/)
})

test('a file that is not part of the UI is a 404 with Apache’s body, path tricks included', async (t) => {
  const { app } = testServer(t)
  for (const url of [
    '/ui/nope.js',
    '/ui/..%2Fserver.ts',
    '/ui/%2E%2E%2Fpackage.json',
    '/ui/constructor',
    '/ui/ui-routes.ts',
  ]) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 404, url)
    assert.deepEqual(res.json(), { error_code: 404, message: 'HTTP 404 Not Found' }, url)
  }
})

test('the UI never writes server data as HTML: no innerHTML, outerHTML, insertAdjacentHTML or document.write', async (t) => {
  const { app } = testServer(t)
  for (const file of ['app.js', 'api.js', 'dom.js', 'form.js']) {
    const source = (await app.inject({ method: 'GET', url: `/ui/${file}` })).body
    assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, file)
  }
})

test('ui.enabled=false leaves the UI out: /ui is a 404', async (t) => {
  const { app } = testServer(t, { originals: { 'ui.enabled': 'false' } })
  for (const url of ['/ui', '/ui/', '/ui/app.js']) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 404, url)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/connectors' })).statusCode, 200)
})

test('ui.enabled is a declared worker key: a value that is not a boolean stops the worker, naming it', () => {
  const base = {
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': '/tmp/unused-offsets.json',
  }
  assert.throws(() => parseWorkerConfig({ ...base, 'ui.enabled': 'maybe' }, 'standalone'), /ui\.enabled/)
  assert.doesNotThrow(() => parseWorkerConfig({ ...base, 'ui.enabled': 'false' }, 'standalone'))
})
