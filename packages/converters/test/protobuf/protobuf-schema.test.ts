import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException } from '@ferry/api'
import { parseProtobufSchema } from '../../src/protobuf/protobuf-schema.ts'

/** A FileDescriptorProto as Confluent's JavaScript serializer registers it: package js.x, message P { int32 a; string s }. */
const JS_DESCRIPTOR = 'Cgpqcy9wLnByb3RvEgRqcy54IiEKAVASDQoBYRgBIAEoBUICEAASDQoBcxgCIAEoCUICEABiBnByb3RvMw=='

test('a base64 FileDescriptorProto schema is read like .proto text', () => {
  const schema = parseProtobufSchema(JS_DESCRIPTOR)
  assert.equal(schema.name(), 'js.x.P')
  assert.equal(schema.syntax, 'proto3')
  assert.deepEqual(
    schema.message.fieldsArray.map((f) => [f.name, f.type, f.id]),
    [
      ['a', 'int32', 1],
      ['s', 'string', 2],
    ],
  )
})

test('nested messages are found by message indexes and back', () => {
  const schema = parseProtobufSchema(
    'syntax = "proto3";\npackage n;\nmessage A { message B { int32 b = 1; } message C { int32 c = 1; } }\nmessage D { int32 d = 1; }\n',
  )
  assert.equal(schema.messageAt([0, 1]).name, 'C')
  assert.equal(schema.messageAt([1]).name, 'D')
  assert.deepEqual(schema.indexesOf(schema.root.lookupType('n.A.C')), [0, 1])
  assert.throws(() => schema.messageAt([2]), DataException)
})

test('a file with syntax errors is a DataException saying so', () => {
  assert.throws(
    () => parseProtobufSchema('syntax = "proto3";\nmessage {\n'),
    (e: unknown) => e instanceof DataException && /Invalid Protobuf schema/.test(e.message),
  )
})
