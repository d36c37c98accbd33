import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Schema } from '@ferry/api'
import { JsonConverter, plugins, SimpleHeaderConverter, StringConverter } from '../src/index.ts'

describe('plugins', () => {
  test('lists every Apache built-in converter by its class name', () => {
    assert.deepEqual(
      plugins.map((c) => c.className),
      [
        'org.apache.kafka.connect.json.JsonConverter',
        'org.apache.kafka.connect.storage.StringConverter',
        'org.apache.kafka.connect.converters.ByteArrayConverter',
        'org.apache.kafka.connect.converters.BooleanConverter',
        'org.apache.kafka.connect.converters.ShortConverter',
        'org.apache.kafka.connect.converters.IntegerConverter',
        'org.apache.kafka.connect.converters.LongConverter',
        'org.apache.kafka.connect.converters.FloatConverter',
        'org.apache.kafka.connect.converters.DoubleConverter',
        'org.apache.kafka.connect.storage.SimpleHeaderConverter',
        'io.confluent.connect.protobuf.ProtobufConverter',
        'io.confluent.connect.json.JsonSchemaConverter',
        'io.confluent.connect.avro.AvroConverter',
      ],
    )
  })

  test("every Apache converter is also a header converter, SimpleHeaderConverter is only one, Confluent's registry converters only converters", () => {
    for (const c of plugins) {
      const expected = c.className.endsWith('SimpleHeaderConverter')
        ? ['header_converter']
        : c.className.startsWith('io.confluent.')
          ? ['converter']
          : ['converter', 'header_converter']
      assert.deepEqual(c.kind, expected, c.className)
    }
  })

  test('create() returns a fresh, working instance each time', () => {
    for (const c of plugins) {
      const a = c.create() as { config(): unknown; configure(configs: Record<string, unknown>): void }
      assert.notEqual(a, c.create())
      assert.ok(a.config(), `${c.className} has a ConfigDef`)
      // Confluent's converters need a registry URL; nothing is fetched before the first record.
      a.configure(c.className.startsWith('io.confluent.') ? { 'schema.registry.url': 'http://localhost:1' } : {})
    }
    assert.ok(plugins[0]!.create() instanceof JsonConverter)
    assert.ok(plugins[1]!.create() instanceof StringConverter)
    assert.ok(plugins[9]!.create() instanceof SimpleHeaderConverter)
  })

  test('a configured converter from the table converts a record', () => {
    const json = plugins[0]!.create() as JsonConverter
    json.configure({ 'schemas.enable': 'false' }, false)
    assert.equal(Buffer.from(json.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')!).toString(), '"x"')
  })
})
