import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException } from '@ferry/api'
import { parseSchemaJson } from '../../src/mapping/schema-json.ts'
import { schemaText, valueText } from '../helpers/connect-text.ts'

test('a declared schema in the JsonConverter envelope notation builds the Connect schema, defaults included', () => {
  const schema = parseSchemaJson(
    'value.schema',
    JSON.stringify({
      type: 'struct',
      name: 'shop.Order',
      fields: [
        { field: 'id', type: 'int64' },
        { field: 'tags', type: 'array', items: { type: 'string' }, optional: true },
        { field: 'attrs', type: 'map', keys: { type: 'string' }, values: { type: 'double' } },
        {
          field: 'at',
          type: 'int64',
          name: 'org.apache.kafka.connect.data.Timestamp',
          default: '2024-01-01T00:00:00Z',
        },
        { field: 'price', type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } },
      ],
    }),
  )
  assert.equal(
    schemaText(schema),
    'struct<shop.Order>{id:int64,tags:array<string>?,attrs:map<string,float64>,at:Timestamp,price:Decimal(2)}',
  )
  assert.equal(valueText(schema.field('at')!.schema.defaultValue), '2024-01-01T00:00:00.000Z')
})

test('a declared schema that is wrong is a ConfigException naming the key and what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['{"type":', /for configuration value\.schema: not JSON: /],
    ['[]', /schema must be a JSON object with a "type"/],
    [
      '{"type":"text"}',
      /schema has the type "text"; valid types: boolean, int8, int16, int32, int64, float, double, bytes, string, array, map, struct/,
    ],
    ['{"type":"string","nullable":true}', /schema has "nullable", which is not a schema key/],
    ['{"type":"struct","fields":[{"type":"string"}]}', /schema\.fields\[0\] has no "field" name/],
    [
      '{"type":"struct","fields":[{"field":"a","type":"string"},{"field":"a","type":"int8"}]}',
      /has the field "a" twice/,
    ],
    ['{"type":"array"}', /schema\.items must be a JSON object/],
    [
      '{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"}',
      /is a Decimal without an integer "scale" parameter/,
    ],
    [
      '{"type":"string","name":"org.apache.kafka.connect.data.Date"}',
      /named org\.apache\.kafka\.connect\.data\.Date, which needs the type int32/,
    ],
    ['{"type":"int8","default":300}', /schema\.default is the number 300, where the schema has a required int8/],
    ['{"type":"string","optional":"yes"}', /schema\.optional must be true or false/],
  ]
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseSchemaJson('value.schema', text),
      (e: unknown) => e instanceof ConfigException && pattern.test((e as Error).message),
      text,
    )
  }
})
