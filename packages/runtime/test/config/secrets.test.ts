// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { HIDDEN, hidePasswords, isPasswordKey, SecretRedactor } from '../../src/config/secrets.ts'
import { createLogger } from '../../src/logger.ts'

test('Apache’s client PASSWORD keys are recognised bare and under any prefix', () => {
  for (const key of [
    'ssl.keystore.password',
    'ssl.key.password',
    'ssl.truststore.password',
    'ssl.keystore.key',
    'sasl.jaas.config',
    'producer.ssl.key.password',
    'consumer.override.sasl.jaas.config',
    'admin.override.ssl.truststore.password',
    'listeners.https.ssl.keystore.password',
  ]) {
    assert.ok(isPasswordKey(key), key)
  }
  for (const key of ['ssl.keystore.location', 'xssl.key.password', 'ssl.key.password.file', 'sasl.mechanism']) {
    assert.ok(!isPasswordKey(key), key)
  }
})

test('hidePasswords shows PASSWORD keys, the client ones and the given ones, as [hidden]', () => {
  const shown = hidePasswords(
    { 'producer.sasl.jaas.config': 'jaas', 'connection.password': 'pw', topic: 't', 'ssl.key.password': null },
    new Set(['connection.password']),
  )
  assert.deepEqual(shown, {
    'producer.sasl.jaas.config': HIDDEN,
    'connection.password': HIDDEN,
    topic: 't',
    'ssl.key.password': null,
  })
})

test('the redactor replaces known secrets, longest first, and ignores values too short to tell from text', () => {
  const redactor = new SecretRedactor()
  assert.equal(redactor.redact('nothing known yet'), 'nothing known yet')
  assert.ok(redactor.add('s3cret', '${file:/s:pw}'))
  assert.ok(redactor.add('s3cret-longer', '${env:LONG}'))
  assert.ok(!redactor.add('abc', '${env:SHORT}'), 'shorter than MIN_LENGTH')
  assert.ok(!redactor.add('s3cret', '${other:x}'), 'the first replacement wins')
  assert.equal(redactor.redact('a s3cret, a s3cret-longer and abc'), 'a ${file:/s:pw}, a ${env:LONG} and abc')
})

test('the redactor rewrites JSON log lines where the secret shows escaped', () => {
  const redactor = new SecretRedactor()
  redactor.add('pa"ss\\word', '${file:C:\\s.properties:pw}')
  const line = `${JSON.stringify({ msg: 'failed with pa"ss\\word' })}\n`
  const redacted = redactor.redactJsonLine(line)
  assert.deepEqual(JSON.parse(redacted), { msg: 'failed with ${file:C:\\s.properties:pw}' })
})

test('the redactor rewrites an error’s message, stack and causes in place', () => {
  const redactor = new SecretRedactor()
  redactor.add('topsecret', '${env:PW}')
  const cause = new Error('inner topsecret')
  const error = new TypeError('outer topsecret', { cause })
  assert.equal(redactor.redactError(error), error)
  assert.ok(error instanceof TypeError)
  assert.equal(error.message, 'outer ${env:PW}')
  assert.ok(!error.stack?.includes('topsecret'))
  assert.equal(cause.message, 'inner ${env:PW}')
  assert.ok(!cause.stack?.includes('topsecret'))
})

test('a logger given the redactor’s line hook never writes a known secret', () => {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const redactor = new SecretRedactor()
  const log = createLogger({ level: 'info', destination, redact: redactor.redactJsonLine })
  redactor.add('hunter2-secret', '${file:/s.properties:pw}')
  log.child({ task: 'x-0' }).error({ err: new Error('bad password hunter2-secret') }, 'task failed: hunter2-secret')
  assert.equal(lines.length, 1)
  assert.ok(!lines[0]!.includes('hunter2'), lines[0])
  const entry = JSON.parse(lines[0]!)
  assert.equal(entry.msg, 'task failed: ${file:/s.properties:pw}')
  assert.equal(entry.err.message, 'bad password ${file:/s.properties:pw}')
})
