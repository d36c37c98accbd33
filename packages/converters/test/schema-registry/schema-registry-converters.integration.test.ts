import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { create, createFileRegistry, type DescFile, fromBinary } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema, file_google_protobuf_timestamp } from '@bufbuild/protobuf/wkt'
import {
  SchemaRegistryClient as ConfluentClient,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  type SchemaInfo,
  SerdeType,
} from '@confluentinc/schemaregistry'
import { BigDecimal, Decimal, SchemaBuilder, Struct, Timestamp } from '@ferry/api'
import { randomName } from '@ferry/testing'
import type protobuf from 'protobufjs'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { type SchemaRegistryServer, startApicurio } from '../../../../scripts/apicurio/harness.ts'
import { JsonSchemaConverter } from '../../src/json-schema/json-schema-converter.ts'
import { ProtobufConverter } from '../../src/protobuf/protobuf-converter.ts'
import { parseProtobufSchema } from '../../src/protobuf/protobuf-schema.ts'
import { settled } from '../schema-registry/fake-registry.ts'

/**
 * Confluent's client with a request timeout (it has none by default, and retries a timed-out request): a request lost
 * on a keep-alive connection the registry was closing would otherwise wait forever, as one did in a CI run.
 */
const CONFLUENT_REQUEST_TIMEOUT_MS = 10_000

let registry: SchemaRegistryServer

before(async () => {
  registry = await startApicurio()
})
after(async () => {
  await registry?.stop()
})

const ORDER = SchemaBuilder.struct()
  .name('ferry.test.Order')
  .field('id', SchemaBuilder.int64().build())
  .field('customer', SchemaBuilder.string().optional().build())
  .field('amount', Decimal.builder(2).optional().build())
  .field('at', Timestamp.builder().optional().build())
  .field('tags', SchemaBuilder.array(SchemaBuilder.string().build()).optional().build())
  .build()

function order(id: number): Struct {
  return new Struct(ORDER)
    .put('id', id)
    .put('customer', `c${id}`)
    .put('amount', new BigDecimal(1999n, 2))
    .put('at', new Date(1_700_000_000_123))
    .put('tags', ['x', 'y'])
}

function configured<T extends ProtobufConverter | JsonSchemaConverter>(c: T): T {
  c.configure({ 'schema.registry.url': registry.confluentUrl }, false)
  return c
}

test('against Apicurio: ProtobufConverter registers its .proto schema and a second converter reads the records back', async () => {
  const topic = randomName('proto')
  const writer = configured(new ProtobufConverter())
  const reader = configured(new ProtobufConverter())
  for (const id of [1, 2]) {
    const bytes = await settled(() => writer.fromConnectData(topic, null, ORDER, order(id)))
    const back = await settled(() => reader.toConnectData(topic, null, bytes))
    const s = back.value as Struct
    assert.equal(back.schema?.name, 'Order')
    assert.equal(s.get('id'), id)
    assert.equal(s.get('customer'), `c${id}`)
    assert.ok((s.get('amount') as BigDecimal).equals(new BigDecimal(1999n, 2)))
    assert.equal((s.get('at') as Date).getTime(), 1_700_000_000_123)
    assert.deepEqual(s.get('tags'), ['x', 'y'])
  }
  writer.close()
  reader.close()
})

test("against Apicurio: JsonSchemaConverter's bytes are read by Confluent's JsonDeserializer, and its JsonSerializer's by Ferry", async () => {
  const topic = randomName('json')
  const ferry = configured(new JsonSchemaConverter())
  const bytes = await settled(() => ferry.fromConnectData(topic, null, ORDER, order(7)))
  const client = new ConfluentClient({
    baseURLs: [registry.confluentUrl],
    createAxiosDefaults: { timeout: CONFLUENT_REQUEST_TIMEOUT_MS },
  })
  // Not validate: true: Confluent's JavaScript serdes compile schemas with Ajv in strict mode, which refuses the
  // connect.* keywords of every schema a Connect converter (Confluent's Java one too) registers.
  const deserializer = new JsonDeserializer(client, SerdeType.VALUE, {})
  const read = (await deserializer.deserialize(topic, Buffer.from(bytes as Uint8Array))) as Record<string, unknown>
  assert.equal(read.id, 7)
  assert.equal(read.customer, 'c7')
  assert.equal(read.amount, Buffer.from([0x07, 0xcf]).toString('base64'))
  assert.equal(read.at, 1_700_000_000_123)
  assert.deepEqual(read.tags, ['x', 'y'])

  const serializer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false })
  const theirs = await serializer.serialize(topic, {
    id: 8,
    customer: null,
    amount: Buffer.from([0x01]).toString('base64'),
    at: 5,
    tags: [],
  })
  const back = await settled(() => ferry.toConnectData(topic, null, theirs))
  const s = back.value as Struct
  assert.equal(s.get('id'), 8)
  assert.equal(s.get('customer'), null)
  assert.ok((s.get('amount') as BigDecimal).equals(new BigDecimal(1n, 2)))
  assert.equal((s.get('at') as Date).getTime(), 5)
  assert.deepEqual(s.get('tags'), [])
  ferry.close()
})

/**
 * The FileDescriptorProto of a .proto text (its imports as dependencies), as protobufjs builds it: what Confluent's
 * registry answers for `format=serialized`, base64-encoded.
 */
function fileDescriptor(text: string, fileName: string): Uint8Array {
  const schema = parseProtobufSchema(text)
  const set = (
    schema.root as unknown as { toDescriptor(edition: string): { file: Record<string, unknown>[] } }
  ).toDescriptor('proto3')
  const file = set.file.find((f) => f.package === schema.packageName)
  if (file === undefined) throw new Error(`no file for package ${schema.packageName}`)
  file.name = fileName
  file.dependency = [...text.matchAll(/^import "([^"]+)";/gm)].map((m) => m[1])
  qualify((file.messageType ?? []) as DescriptorMessage[], schema.packageName === '' ? '' : `.${schema.packageName}`)
  const type = (descriptor as unknown as { FileDescriptorProto: protobuf.Type }).FileDescriptorProto
  return type.encode(type.fromObject(file)).finish()
}

interface DescriptorMessage {
  name: string
  field?: { typeName?: string }[]
  nestedType?: (DescriptorMessage & { options?: { mapEntry?: boolean } })[]
  enumType?: { name: string }[]
}

/** protobufjs writes type names relative to their scope and map entries without protoc's `Entry`: as protoc does. */
function qualify(messages: DescriptorMessage[], scope: string): void {
  for (const m of messages) {
    const inner = `${scope}.${m.name}`
    for (const nested of m.nestedType ?? []) {
      if (!nested.options?.mapEntry) continue
      for (const f of m.field ?? []) if (f.typeName === nested.name) f.typeName = `${nested.name}Entry`
      nested.name = `${nested.name}Entry`
    }
    const local = new Set([...(m.nestedType ?? []).map((n) => n.name), ...(m.enumType ?? []).map((e) => e.name)])
    for (const f of m.field ?? []) {
      if (!f.typeName || f.typeName.startsWith('.')) continue
      f.typeName = local.has(f.typeName) ? `${inner}.${f.typeName}` : `.${f.typeName}`
    }
    qualify(m.nestedType ?? [], inner)
  }
}

/**
 * Confluent's client, answering `format=serialized` as Confluent's registry does (the base64 FileDescriptorProto):
 * Apicurio 3.3.3 answers it with the descriptor's raw bytes in a JSON string, which Confluent's deserializer cannot
 * decode, and fails for schemas importing confluent/*.proto.
 */
class SerializedFormatClient extends ConfluentClient {
  override async getBySubjectAndId(subject: string, id: number, format?: string): Promise<SchemaInfo> {
    const info = await super.getBySubjectAndId(subject, id)
    if (format !== 'serialized') return info
    return { ...info, schema: Buffer.from(fileDescriptor(info.schema, `${subject}.proto`)).toString('base64') }
  }
}

test("against Apicurio: ProtobufConverter's bytes are decoded by Confluent's ProtobufDeserializer", async () => {
  const topic = randomName('proto-out')
  const ferry = configured(new ProtobufConverter())
  const small = SchemaBuilder.struct()
    .name('ferry.test.Small')
    .field('id', SchemaBuilder.int64().build())
    .field('tiny', SchemaBuilder.int8().build())
    .field('at', Timestamp.builder().build())
    .field('tags', SchemaBuilder.array(SchemaBuilder.string().build()).build())
    .build()
  const value = new Struct(small)
    .put('id', 9007199254740993n)
    .put('tiny', -3)
    .put('at', new Date(1_700_000_000_123))
    .put('tags', ['x'])
  const bytes = await settled(() => ferry.fromConnectData(topic, null, small, value))
  const client = new SerializedFormatClient({
    baseURLs: [registry.confluentUrl],
    createAxiosDefaults: { timeout: CONFLUENT_REQUEST_TIMEOUT_MS },
  })
  const message = (await new ProtobufDeserializer(client, SerdeType.VALUE, {}).deserialize(
    topic,
    Buffer.from(bytes as Uint8Array),
  )) as unknown as Record<string, any>
  assert.equal(message.$typeName, 'ferry.test.Small')
  assert.equal(message.id, 9007199254740993n)
  assert.equal(message.tiny, -3)
  assert.equal(message.at.seconds, 1_700_000_000n)
  assert.equal(message.at.nanos, 123_000_000)
  assert.deepEqual(message.tags, ['x'])
  ferry.close()
})

test("against Apicurio: bytes from Confluent's ProtobufSerializer (a base64 descriptor schema) are read by ProtobufConverter", async () => {
  const topic = randomName('proto-in')
  const text = `syntax = "proto3";
package js.shop;

import "google/protobuf/timestamp.proto";

message Order {
  int64 id = 1;
  string customer = 2;
  google.protobuf.Timestamp at = 3;
  repeated string tags = 4;
  map<string, int32> counts = 5;
  Kind kind = 6;
  enum Kind {
    A = 0;
    B = 1;
  }
}
`
  const fdp = fromBinary(FileDescriptorProtoSchema, fileDescriptor(text, 'js/shop/order.proto'))
  const files = createFileRegistry(fdp, (name): DescFile | undefined =>
    name === 'google/protobuf/timestamp.proto' ? file_google_protobuf_timestamp : undefined,
  )
  const desc = files.getMessage('js.shop.Order')
  assert.ok(desc)
  const client = new ConfluentClient({
    baseURLs: [registry.confluentUrl],
    createAxiosDefaults: { timeout: CONFLUENT_REQUEST_TIMEOUT_MS },
  })
  const serializer = new ProtobufSerializer(client, SerdeType.VALUE, {
    autoRegisterSchemas: true,
    registry: files as never,
  })
  const bytes = await serializer.serialize(
    topic,
    create(desc, {
      id: 42n,
      customer: 'ann',
      at: { seconds: 10n, nanos: 5_000_000 },
      tags: ['a', 'b'],
      counts: { x: 1 },
      kind: 1,
    } as never),
  )
  const ferry = configured(new ProtobufConverter())
  const back = await settled(() => ferry.toConnectData(topic, null, Buffer.from(bytes)))
  const s = back.value as Struct
  assert.equal(back.schema?.name, 'Order')
  assert.equal(s.get('id'), 42)
  assert.equal(s.get('customer'), 'ann')
  assert.equal((s.get('at') as Date).getTime(), 10_005)
  assert.deepEqual(s.get('tags'), ['a', 'b'])
  assert.equal((s.get('counts') as Map<string, number>).get('x'), 1)
  assert.equal(s.get('kind'), 'B')
  ferry.close()
})
