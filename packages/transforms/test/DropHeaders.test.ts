import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigDef, ConfigException, Headers, SinkRecord } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { DropHeaders } from '../src/DropHeaders.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.DropHeaders')

test('DropHeaders conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new DropHeaders(),
    { headers: 'trace' },
    { nullValues: 'pass', changesHeaders: true },
  )
})

test('DropHeaders removes every header with the name and keeps the others in order', () => {
  const headers = new Headers().addString('a', '1').addString('b', '2').addString('a', '3').addString('c', '4')
  const [out] = runTransform(new DropHeaders(), { headers: 'a' }, [
    new SinkRecord('t', 0, null, null, null, 'v', 0, null, 'NoTimestampType', headers),
  ])
  assert.deepEqual(
    out!.headers.toArray().map((h) => h.key),
    ['b', 'c'],
  )
  assert.equal(headers.size, 4)
})

test('DropHeaders reports duplicate names when validating but ignores them when configuring', () => {
  const config = new DropHeaders().config()
  assert.ok(config instanceof ConfigDef)
  const [value] = config.validate({ headers: 'a,a' })
  assert.deepEqual(value!.errorMessages, ["Configuration 'headers' values must not be duplicated."])
  new DropHeaders().configure({ headers: 'a,a' })
  assert.throws(() => new DropHeaders().configure({ headers: '' }), ConfigException)
})
