import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NotFoundException } from '@ferry/api'
import {
  generateSessionKey,
  signatureHeaders,
  verifySignature,
} from '../../../runtime/src/herder/distributed/request-signature.ts'
import { FencingConflictException } from '../../../runtime/src/herder/distributed/zombie-fencing.ts'
import { BadRequestException, type InternalRequestSignature } from '../../../runtime/src/herder/herder.ts'
import { call, testServer } from '../helpers.ts'

const SOURCE = { 'connector.class': 'FileStreamSource', topic: 't', file: '/tmp/in.txt' }

async function withConnector(t: Parameters<typeof testServer>[0], name = 'fs') {
  const server = testServer(t)
  await server.herder.putConnectorConfig(name, { ...SOURCE, name }, false)
  return server
}

test('GET /connectors lists the names, and expand adds status and info per connector', async (t) => {
  const { app } = await withConnector(t)
  assert.deepEqual((await call(app, 'GET', '/connectors')).body, ['fs'])
  const expanded = await call(app, 'GET', '/connectors?expand=status&expand=info&expand=bogus')
  assert.equal(expanded.status, 200)
  assert.deepEqual(Object.keys(expanded.body.fs), ['status', 'info'])
  assert.equal(expanded.body.fs.status.connector.state, 'RUNNING')
  assert.equal(expanded.body.fs.info.name, 'fs')
  assert.deepEqual((await call(app, 'GET', '/connectors?expand=bogus')).body, { fs: {} })
})

test('POST /connectors creates with 201, an absolute Location and the ConnectorInfo', async (t) => {
  const { app, herder } = testServer(t)
  const res = await call(app, 'POST', '/connectors', { name: ' fs ', config: SOURCE, initial_state: 'paused' })
  assert.equal(res.status, 201)
  assert.equal(res.headers.location, 'http://localhost:80/connectors/fs')
  assert.deepEqual(res.body, {
    name: 'fs',
    config: { ...SOURCE, name: 'fs' },
    tasks: [{ connector: 'fs', task: 0 }],
    type: 'source',
  })
  assert.ok(herder.calls.includes('put fs false PAUSED'))
})

test('POST /connectors with an existing name is 409 with Apache’s message', async (t) => {
  const { app } = await withConnector(t)
  const res = await call(app, 'POST', '/connectors', { name: 'fs', config: SOURCE })
  assert.deepEqual([res.status, res.body], [409, { error_code: 409, message: 'Connector fs already exists' }])
})

test('a config name that differs from the connector name is 400', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'POST', '/connectors', { name: 'a', config: { ...SOURCE, name: 'b' } })
  assert.deepEqual(res.body, {
    error_code: 400,
    message: "Connector name configuration (b) doesn't match connector name in the URL (a)",
  })
  const put = await call(app, 'PUT', '/connectors/a/config', { ...SOURCE, name: 'b' })
  assert.equal(put.status, 400)
})

test('an invalid config is 400 listing every error, nulls included', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'POST', '/connectors', {
    name: 'x',
    config: { 'connector.class': 'FileStreamSource', file: null },
  })
  assert.equal(res.status, 400)
  assert.equal(
    res.body.message,
    'Connector configuration is invalid and contains the following 2 error(s):\nMissing required configuration "topic" which has no default value.\nNull value can not be supplied as the configuration value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`',
  )
  const noClass = await call(app, 'POST', '/connectors', { name: 'x', config: {} })
  assert.deepEqual(noClass.body, { error_code: 400, message: 'Connector config contains no connector type' })
})

test('bodies Apache’s JSON reader rejects are 500s that say what was wrong', async (t) => {
  const { app } = testServer(t)
  const malformed = await call(app, 'POST', '/connectors', '{bad')
  assert.equal(malformed.status, 500)
  assert.match(malformed.body.message, /^Malformed JSON in the request body: /)
  const array = await call(app, 'POST', '/connectors', [])
  assert.deepEqual(array.body, {
    error_code: 500,
    message:
      'Cannot deserialize value of type `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest` from Array value (token `JsonToken.START_ARRAY`)',
  })
  const unknown = await call(app, 'POST', '/connectors', { name: 'x', config: SOURCE, extra: 1 })
  assert.equal(
    unknown.body.message,
    'Unrecognized field "extra" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), not marked as ignorable (3 known properties: "config", "name", "initial_state")',
  )
  const nested = await call(app, 'POST', '/connectors', { name: 'x', config: { topic: { a: 1 } } })
  assert.equal(
    nested.body.message,
    'Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`)',
  )
  const state = await call(app, 'POST', '/connectors', { name: 'x', config: SOURCE, initial_state: 'bogus' })
  assert.match(state.body.message, /No enum constant .*InitialState\.BOGUS$/)
  const empty = await call(app, 'POST', '/connectors', '')
  assert.equal(empty.status, 500)
  const noConfig = await call(app, 'POST', '/connectors', { name: 'x' })
  assert.equal(noConfig.status, 500)
  assert.match(noConfig.body.message, /"config"/)
})

test('JSON scalars in a config become strings, as Jackson reads them', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'POST', '/connectors', { name: 5, config: { ...SOURCE, 'tasks.max': 2, x: true } })
  assert.equal(res.status, 201)
  assert.deepEqual(res.body.config, { ...SOURCE, 'tasks.max': '2', x: 'true', name: '5' })
})

test('a body that is not JSON is 415, as Jersey answers it', async (t) => {
  const { app } = testServer(t)
  const res = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: 'x',
    headers: { 'content-type': 'text/plain' },
  })
  assert.deepEqual([res.statusCode, res.json()], [415, { error_code: 415, message: 'HTTP 415 Unsupported Media Type' }])
})

test('GET a connector, its config and its status; unknown connectors are 404 with Apache’s messages', async (t) => {
  const { app } = await withConnector(t)
  assert.equal((await call(app, 'GET', '/connectors/fs')).body.type, 'source')
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/config')).body, { ...SOURCE, name: 'fs' })
  assert.equal((await call(app, 'GET', '/connectors/fs/status')).body.connector.state, 'RUNNING')
  assert.deepEqual((await call(app, 'GET', '/connectors/nope')).body, {
    error_code: 404,
    message: 'Connector nope not found',
  })
  assert.deepEqual((await call(app, 'GET', '/connectors/nope/config')).body.message, 'Connector nope not found')
  assert.deepEqual((await call(app, 'GET', '/connectors/nope/status')).body, {
    error_code: 404,
    message: 'No status found for connector nope',
  })
})

test('PUT config creates with 201 and Location, then updates with 200', async (t) => {
  const { app } = testServer(t)
  const created = await call(app, 'PUT', '/connectors/fs/config', SOURCE)
  assert.equal(created.status, 201)
  assert.equal(created.headers.location, 'http://localhost:80/connectors/fs')
  const updated = await call(app, 'PUT', '/connectors/fs/config', { ...SOURCE, topic: 'u' })
  assert.equal(updated.status, 200)
  assert.equal(updated.headers.location, undefined)
  assert.equal(updated.body.config.topic, 'u')
  assert.equal((await call(app, 'PUT', '/connectors/fs/config', [])).status, 500)
})

test('PATCH config merges keys and removes those set to null', async (t) => {
  const { app } = await withConnector(t)
  const res = await call(app, 'PATCH', '/connectors/fs/config', { file: null, 'tasks.max': '1' })
  assert.equal(res.status, 200)
  assert.deepEqual(res.body.config, { 'connector.class': 'FileStreamSource', topic: 't', name: 'fs', 'tasks.max': '1' })
  assert.equal((await call(app, 'PATCH', '/connectors/nope/config', {})).status, 404)
})

test('restart without options is 204; with includeTasks or onlyFailed it is 202 with the plan', async (t) => {
  const { app, herder } = await withConnector(t)
  const plain = await call(app, 'POST', '/connectors/fs/restart')
  assert.deepEqual([plain.status, plain.text], [204, ''])
  assert.ok(herder.calls.includes('restart fs'))
  const plan = await call(app, 'POST', '/connectors/fs/restart?includeTasks=TRUE&onlyFailed=1')
  assert.equal(plan.status, 202)
  assert.equal(plan.body.connector.state, 'RESTARTING')
  assert.equal(plan.body.tasks[0].state, 'RESTARTING')
  assert.ok(herder.calls.includes('restart fs includeTasks=true onlyFailed=false'))
  const unknown = await call(app, 'POST', '/connectors/nope/restart?onlyFailed=true')
  assert.deepEqual(unknown.body, { error_code: 404, message: 'Unknown connector: nope' })
})

test('pause and resume are 202 with no body; stop is 204; unknown connectors are 404', async (t) => {
  const { app } = await withConnector(t)
  assert.deepEqual((await call(app, 'PUT', '/connectors/fs/pause')).status, 202)
  assert.equal((await call(app, 'GET', '/connectors/fs/status')).body.connector.state, 'PAUSED')
  assert.deepEqual((await call(app, 'PUT', '/connectors/fs/resume')).status, 202)
  assert.deepEqual((await call(app, 'PUT', '/connectors/fs/stop')).status, 204)
  assert.equal((await call(app, 'GET', '/connectors/fs/status')).body.connector.state, 'STOPPED')
  assert.deepEqual((await call(app, 'PUT', '/connectors/nope/pause')).body, {
    error_code: 404,
    message: 'Unknown connector nope',
  })
  assert.equal((await call(app, 'PUT', '/connectors/nope/resume')).status, 404)
  assert.equal((await call(app, 'PUT', '/connectors/nope/stop')).status, 404)
})

test('tasks, the deprecated tasks-config, task status and task restart', async (t) => {
  const { app, herder, log } = await withConnector(t)
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/tasks')).body, [
    { id: { connector: 'fs', task: 0 }, config: { 'task.class': 'T' } },
  ])
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/tasks-config')).body, { 'fs-0': { 'task.class': 'T' } })
  assert.ok(log.lines.some((l) => l.includes('tasks-config') && l.startsWith('warn')))
  assert.equal((await call(app, 'GET', '/connectors/fs/tasks/0/status')).body.state, 'RUNNING')
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/tasks/5/status')).body, {
    error_code: 404,
    message: 'No status found for task fs-5',
  })
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/tasks/x/status')).body, {
    error_code: 404,
    message: 'HTTP 404 Not Found',
  })
  assert.equal((await call(app, 'POST', '/connectors/fs/tasks/0/restart')).status, 204)
  assert.ok(herder.calls.includes('restart task fs-0'))
  assert.deepEqual((await call(app, 'POST', '/connectors/fs/tasks/5/restart')).body, {
    error_code: 404,
    message: 'Task fs-5 not found',
  })
})

test('DELETE removes the connector with 204; a second DELETE is 404', async (t) => {
  const { app } = await withConnector(t)
  assert.equal((await call(app, 'DELETE', '/connectors/fs')).status, 204)
  assert.deepEqual((await call(app, 'DELETE', '/connectors/fs')).body, {
    error_code: 404,
    message: 'Connector fs not found',
  })
})

test('topics are keyed by connector; reset is 202; both are 403 when tracking is disabled', async (t) => {
  const { app, herder } = await withConnector(t)
  herder.topics.set('fs', ['t'])
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/topics')).body, { fs: { topics: ['t'] } })
  assert.equal((await call(app, 'PUT', '/connectors/fs/topics/reset')).status, 202)
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/topics')).body, { fs: { topics: [] } })

  const disabled = testServer(t, { originals: { 'topic.tracking.enable': 'false' } })
  assert.deepEqual((await call(disabled.app, 'GET', '/connectors/fs/topics')).body, {
    error_code: 403,
    message: 'Topic tracking is disabled.',
  })
  assert.equal(
    (await call(disabled.app, 'PUT', '/connectors/fs/topics/reset')).body.message,
    'Topic tracking is disabled.',
  )
  const noReset = testServer(t, { originals: { 'topic.tracking.allow.reset': 'false' } })
  assert.deepEqual((await call(noReset.app, 'PUT', '/connectors/fs/topics/reset')).body, {
    error_code: 403,
    message: 'Topic tracking reset is disabled.',
  })
})

test('offsets: GET, and PATCH/DELETE only on a stopped connector with Apache’s messages', async (t) => {
  const { app } = await withConnector(t)
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/offsets')).body, {
    offsets: [{ partition: { filename: '/tmp/in.txt' }, offset: { position: 42 } }],
  })
  const offsets = { offsets: [{ partition: { filename: '/tmp/in.txt' }, offset: { position: 1 } }] }
  const running = await call(app, 'PATCH', '/connectors/fs/offsets', offsets)
  assert.deepEqual(running.body, {
    error_code: 400,
    message:
      "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/fs/stop' endpoint",
  })
  for (const body of [{}, { offsets: [] }]) {
    assert.deepEqual((await call(app, 'PATCH', '/connectors/fs/offsets', body)).body, {
      error_code: 400,
      message: 'Partitions / offsets need to be provided for an alter offsets request',
    })
  }
  await call(app, 'PUT', '/connectors/fs/stop')
  assert.deepEqual((await call(app, 'PATCH', '/connectors/fs/offsets', offsets)).body, {
    message: 'The offsets for this connector have been altered successfully',
  })
  assert.deepEqual((await call(app, 'GET', '/connectors/fs/offsets')).body, offsets)
  assert.deepEqual((await call(app, 'DELETE', '/connectors/fs/offsets')).body, {
    message: 'The offsets for this connector have been reset successfully',
  })
  assert.equal((await call(app, 'GET', '/connectors/nope/offsets')).status, 404)
  assert.equal((await call(app, 'DELETE', '/connectors/nope/offsets')).status, 404)
  const extra = await call(app, 'PATCH', '/connectors/fs/offsets', { offsets: [], x: 1 })
  assert.equal(extra.status, 500)
})

test('the internal endpoints answer 500 in standalone mode, as Apache’s standalone herder does', async (t) => {
  const { app } = await withConnector(t)
  assert.deepEqual((await call(app, 'POST', '/connectors/fs/tasks', [])).body, {
    error_code: 500,
    message: 'Kafka Connect in standalone mode does not support externally setting task configurations.',
  })
  assert.deepEqual((await call(app, 'PUT', '/connectors/fs/fence')).body, {
    error_code: 500,
    message: 'Kafka Connect in standalone mode does not support exactly-once source connectors.',
  })
})

test('a herder request that takes too long is 500 "Request timed out"', async (t) => {
  const { app, herder } = testServer(t, { requestTimeoutMs: 20 })
  herder.restartConnector = () => new Promise(() => {})
  await herder.putConnectorConfig('fs', SOURCE, false)
  assert.deepEqual((await call(app, 'POST', '/connectors/fs/restart')).body, {
    error_code: 500,
    message: 'Request timed out',
  })
})

test('a connector with a name of 8,000 characters can be read, paused and deleted (not only created)', async (t) => {
  const { app } = testServer(t)
  const name = 'n'.repeat(8000)
  assert.equal((await call(app, 'POST', '/connectors', { name, config: SOURCE })).status, 201)
  assert.equal((await call(app, 'GET', `/connectors/${name}`)).body.name, name)
  assert.equal((await call(app, 'GET', `/connectors/${name}/status`)).status, 200)
  assert.equal((await call(app, 'PUT', `/connectors/${name}/pause`)).status, 202)
  assert.equal((await call(app, 'DELETE', `/connectors/${name}`)).status, 204)
  assert.deepEqual((await call(app, 'GET', '/connectors')).body, [])
})

test('a name no URL could reach is refused at create with 400: a lone surrogate, . or .., or too long once encoded', async (t) => {
  const { app, herder } = testServer(t)
  const lone = await call(app, 'POST', '/connectors', { name: 'x\ud800y', config: SOURCE })
  assert.deepEqual(lone.body, {
    error_code: 400,
    message: 'Connector name is invalid: it has a lone UTF-16 surrogate (\\uD800 at index 1), which no URL can name',
  })
  const low = await call(app, 'POST', '/connectors', { name: '\udc00', config: SOURCE })
  assert.match(low.body.message, /\\uDC00 at index 0/)
  const long = await call(app, 'POST', '/connectors', { name: 'é'.repeat(5000), config: SOURCE })
  assert.deepEqual(long.body, {
    error_code: 400,
    message:
      'Connector name is too long: 30000 characters once URL-encoded, at most 8192 (its URLs must fit in an HTTP request line)',
  })
  for (const name of ['.', '..']) {
    const dots = await call(app, 'POST', '/connectors', { name, config: SOURCE })
    assert.deepEqual(dots.body, {
      error_code: 400,
      message: `Connector name ${name} is invalid: URL clients resolve it as a dot segment, so no URL can name it`,
    })
  }
  assert.deepEqual(herder.connectors(), [])
  // A pair of surrogates is one character, and fine.
  const emoji = await call(app, 'POST', '/connectors', { name: 'fish-\ud83d\udc1f', config: SOURCE })
  assert.equal(emoji.status, 201)
  assert.equal(emoji.headers.location, 'http://localhost:80/connectors/fish-%F0%9F%90%9F')
  assert.equal((await call(app, 'DELETE', '/connectors/fish-%F0%9F%90%9F')).status, 204)
})

test('names are trimmed as Java trims them: trailing U+00A0 or U+2028 make other names, as in Apache', async (t) => {
  const { app } = testServer(t)
  for (const name of ['n', 'n\u00a0', 'n\u2028', ' n\t']) {
    const res = await call(app, 'POST', '/connectors', { name, config: SOURCE })
    assert.equal(res.status, name === ' n\t' ? 409 : 201, JSON.stringify(name))
  }
  assert.deepEqual((await call(app, 'GET', '/connectors')).body, ['n', 'n\u00a0', 'n\u2028'])
  assert.equal((await call(app, 'GET', '/connectors/n%C2%A0/config')).body.name, 'n\u00a0')
  assert.equal((await call(app, 'DELETE', '/connectors/n%E2%80%A8')).status, 204)
  assert.deepEqual((await call(app, 'GET', '/connectors')).body, ['n', 'n\u00a0'])
})

test('PATCH config with a null or missing body is 404 for an unknown connector and 500 for a known one', async (t) => {
  const { app } = await withConnector(t)
  assert.deepEqual((await call(app, 'PATCH', '/connectors/nope/config', 'null')).body, {
    error_code: 404,
    message: 'Connector nope not found',
  })
  assert.equal((await call(app, 'PATCH', '/connectors/nope/config', '')).status, 404)
  const known = await call(app, 'PATCH', '/connectors/fs/config', 'null')
  assert.equal(known.status, 500)
  assert.match(known.body.message, /^The request body is missing/)
})

test('a malformed body is not read where the route takes none, nor on a wrong method', async (t) => {
  const { app } = await withConnector(t)
  assert.equal((await call(app, 'PUT', '/connectors/fs/pause', '{bad')).status, 202)
  assert.equal((await call(app, 'POST', '/connectors/fs/restart', '{bad')).status, 204)
  assert.equal((await call(app, 'PUT', '/connectors/fs/stop', '{bad')).status, 204)
  const offsets = await call(app, 'DELETE', '/connectors/fs/offsets', '{bad')
  assert.equal(offsets.status, 200)
  for (const [method, url] of [
    ['DELETE', '/connectors'],
    ['PATCH', '/connectors'],
    ['POST', '/connectors/fs/pause'],
    ['PUT', '/connectors/fs/restart'],
  ] as const) {
    assert.deepEqual((await call(app, method, url, '{bad')).body, {
      error_code: 405,
      message: 'HTTP 405 Method Not Allowed',
    })
  }
})

test('numbers in a config keep the text they were written as, as Jackson reads them into strings', async (t) => {
  const { app } = testServer(t)
  const res = await call(
    app,
    'POST',
    '/connectors',
    `{"name":"n","config":{"connector.class":"FileStreamSource","topic":"t","a":1.0,"b":12345678901234567890123,"c":1e400,"d":-0}}`,
  )
  assert.equal(res.status, 201)
  assert.deepEqual(
    [res.body.config.a, res.body.config.b, res.body.config.c, res.body.config.d],
    ['1.0', '12345678901234567890123', '1e400', '-0'],
  )
})

test('a "__proto__" config key is kept as a key', async (t) => {
  const { app } = testServer(t)
  const res = await call(
    app,
    'PUT',
    '/connectors/p/config',
    `{"connector.class":"FileStreamSource","topic":"t","__proto__":"x"}`,
  )
  assert.equal(res.status, 201)
  assert.equal(Object.hasOwn(res.body.config, '__proto__'), true)
})

test('PUT /connectors/{c}/fence hands the connector and the request’s signature to the herder and answers 204', async (t) => {
  const { app, herder } = testServer(t)
  const asked: Array<[string, unknown]> = []
  Object.assign(herder, {
    fenceZombieSourceTasks: async (name: string, signature: unknown) => {
      asked.push([name, signature])
    },
  })
  const signed = await call(app, 'PUT', '/connectors/src/fence', undefined, {
    'x-connect-authorization': 'c2lnbmVk',
    'x-connect-request-signature-algorithm': 'HmacSHA256',
  })
  assert.equal(signed.status, 204)
  assert.equal(signed.text, '')
  assert.equal(asked[0]?.[0], 'src')
  assert.deepEqual(
    { ...(asked[0]?.[1] as object), body: undefined },
    { body: undefined, algorithm: 'HmacSHA256', signature: 'c2lnbmVk' },
  )
  assert.equal((await call(app, 'PUT', '/connectors/src/fence')).status, 204)
  assert.equal(asked[1]?.[1], null, 'an unsigned request reaches the herder without a signature (it decides)')
})

test('PUT /connectors/{c}/fence answers as Apache’s: 400 unsigned, 403 a bad signature, 404 unknown, 400 a sink, 409 overtaken', async (t) => {
  const { app, herder } = testServer(t)
  const key = generateSessionKey('HmacSHA256', null, 0)
  // The distributed herder's checks, in its order: the signature, then what the leader's fencing round finds.
  Object.assign(herder, {
    fenceZombieSourceTasks: async (name: string, signature: InternalRequestSignature | null) => {
      verifySignature(signature, key, ['HmacSHA256'])
      if (name === 'gone') throw new NotFoundException('Connector gone not found')
      if (name === 'sink') throw new BadRequestException('Connector sink is not a source connector')
      if (name === 'moved')
        throw new FencingConflictException(
          'Failed to complete zombie fencing because a new set of task configs was generated',
        )
    },
  })
  const signed = (body: Buffer) => signatureHeaders(key, 'HmacSHA256', body)
  const answer = async (name: string, headers?: Record<string, string>) => {
    const res = await call(app, 'PUT', `/connectors/${name}/fence`, undefined, headers)
    return { status: res.status, body: res.status === 204 ? res.text : res.body }
  }
  assert.deepEqual(await answer('src', signed(Buffer.alloc(0))), { status: 204, body: '' })
  assert.deepEqual(await answer('src'), {
    status: 400,
    body: { error_code: 400, message: 'Internal request missing required signature' },
  })
  assert.deepEqual(await answer('src', signed(Buffer.from('another body'))), {
    status: 403,
    body: { error_code: 403, message: 'Internal request contained invalid signature.' },
  })
  assert.deepEqual(await answer('gone', signed(Buffer.alloc(0))), {
    status: 404,
    body: { error_code: 404, message: 'Connector gone not found' },
  })
  assert.deepEqual(await answer('sink', signed(Buffer.alloc(0))), {
    status: 400,
    body: { error_code: 400, message: 'Connector sink is not a source connector' },
  })
  assert.deepEqual(await answer('moved', signed(Buffer.alloc(0))), {
    status: 409,
    body: {
      error_code: 409,
      message: 'Failed to complete zombie fencing because a new set of task configs was generated',
    },
  })
})
