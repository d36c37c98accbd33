import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  ConfigException,
  ConnectDate,
  DataException,
  Decimal,
  PendingException,
  RetriableException,
  Schema,
  type SchemaAndValue,
  SchemaBuilder,
  Struct,
  schemaEquals,
  Time,
  Timestamp,
  valueEquals,
} from '@ferry/api'
import { AvroConverter } from '../../src/avro/avro-converter.ts'
import { RestClientException } from '../../src/schema-registry/rest-service.ts'
import type {
  RegistrySchema,
  SchemaMetadata,
  SchemaRegistryClient,
} from '../../src/schema-registry/schema-registry-client.ts'

/** An in-memory registry that counts its calls; `fail` makes the next calls throw. */
class FakeRegistry implements SchemaRegistryClient {
  readonly calls: string[] = []
  readonly schemas: RegistrySchema[] = []
  readonly subjects = new Map<string, number[]>()
  fail: (() => Error) | null = null

  #check(call: string): void {
    this.calls.push(call)
    if (this.fail) throw this.fail()
  }

  #idOf(schema: RegistrySchema): number {
    let id = this.schemas.findIndex((s) => s.schema === schema.schema)
    if (id < 0) id = this.schemas.push({ schema: schema.schema }) - 1
    return id + 1
  }

  async register(subject: string, schema: RegistrySchema): Promise<number> {
    this.#check(`register ${subject}`)
    const id = this.#idOf(schema)
    const versions = this.subjects.get(subject) ?? []
    if (!versions.includes(id)) versions.push(id)
    this.subjects.set(subject, versions)
    return id
  }

  async getId(subject: string, schema: RegistrySchema): Promise<number> {
    this.#check(`getId ${subject}`)
    const id = this.schemas.findIndex((s) => s.schema === schema.schema) + 1
    if (id === 0 || !this.subjects.get(subject)?.includes(id))
      throw new RestClientException('Schema not found', 404, 40403)
    return id
  }

  async getVersion(subject: string, schema: RegistrySchema): Promise<number> {
    this.#check(`getVersion ${subject}`)
    const id = this.schemas.findIndex((s) => s.schema === schema.schema) + 1
    const version = (this.subjects.get(subject) ?? []).indexOf(id) + 1
    if (version === 0) throw new RestClientException('Schema not found', 404, 40403)
    return version
  }

  async getSchemaById(id: number): Promise<RegistrySchema> {
    this.#check(`getSchemaById ${id}`)
    const schema = this.schemas[id - 1]
    if (schema === undefined) throw new RestClientException('Schema not found', 404, 40403)
    return schema
  }

  async getLatestSchemaMetadata(subject: string): Promise<SchemaMetadata> {
    this.#check(`getLatest ${subject}`)
    const versions = this.subjects.get(subject)
    if (!versions) throw new RestClientException('Subject not found', 404, 40401)
    const id = versions[versions.length - 1]!
    return { ...this.schemas[id - 1]!, id, version: versions.length, subject }
  }

  async getSchemaMetadata(subject: string, version: number): Promise<SchemaMetadata> {
    this.#check(`getVersion ${subject} ${version}`)
    const id = this.subjects.get(subject)?.[version - 1]
    if (id === undefined) throw new RestClientException('Version not found', 404, 40402)
    return { ...this.schemas[id - 1]!, id, version, subject }
  }

  close(): void {}
}

function converter(registry: SchemaRegistryClient, config: Record<string, unknown> = {}, isKey = false) {
  const c = new AvroConverter(registry)
  c.configure({ 'schema.registry.url': 'http://registry.invalid', ...config }, isKey)
  return c
}

/** Runs a converter call, waiting whenever it has to fetch a schema first (as the runtime does). */
async function settled<T>(call: () => T): Promise<T> {
  for (;;) {
    try {
      return call()
    } catch (e) {
      if (!(e instanceof PendingException)) throw e
      await e.ready
    }
  }
}

/** `schema` with `version` (top-level copy; the children are shared). */
function withVersion(schema: Schema, version: number | null): Schema {
  const builder =
    schema.type === 'ARRAY'
      ? SchemaBuilder.array(schema.valueSchema()!)
      : schema.type === 'MAP'
        ? SchemaBuilder.map(schema.keySchema()!, schema.valueSchema()!)
        : SchemaBuilder.type(schema.type)
  if (schema.name !== null) builder.name(schema.name)
  if (schema.doc !== null) builder.doc(schema.doc)
  if (schema.isOptional) builder.optional()
  for (const [k, v] of Object.entries(schema.parameters ?? {})) builder.parameter(k, v)
  if (schema.type === 'STRUCT') for (const f of schema.fields()) builder.field(f.name, f.schema)
  return builder.version(version).build()
}

async function roundTrip(
  c: AvroConverter,
  schema: Schema | null,
  value: unknown,
  topic = 'topic',
): Promise<SchemaAndValue> {
  const bytes = await settled(() => c.fromConnectData(topic, null, schema, value))
  return settled(() => c.toConnectData(topic, null, bytes))
}

const ADDRESS = SchemaBuilder.struct()
  .name('com.example.Address')
  .field('street', Schema.STRING_SCHEMA)
  .field('zip', Schema.OPTIONAL_INT32_SCHEMA)
  .build()

const EVERYTHING = SchemaBuilder.struct()
  .name('com.example.Everything')
  .version(3)
  .doc('all the types')
  .field('i8', Schema.INT8_SCHEMA)
  .field('i16', Schema.INT16_SCHEMA)
  .field('i32', Schema.INT32_SCHEMA)
  .field('i64', Schema.INT64_SCHEMA)
  .field('big', Schema.INT64_SCHEMA)
  .field('f32', Schema.FLOAT32_SCHEMA)
  .field('f64', Schema.FLOAT64_SCHEMA)
  .field('flag', Schema.BOOLEAN_SCHEMA)
  .field('text', Schema.STRING_SCHEMA)
  .field('blob', Schema.BYTES_SCHEMA)
  .field('maybe', Schema.OPTIONAL_STRING_SCHEMA)
  .field('absent', Schema.OPTIONAL_INT64_SCHEMA)
  .field('withDefault', SchemaBuilder.int32().defaultValue(42).build())
  .field('optionalWithDefault', SchemaBuilder.string().optional().defaultValue('x').build())
  .field('price', Decimal.builder(2).parameter('connect.decimal.precision', '10').build())
  .field('day', ConnectDate.SCHEMA ?? ConnectDate.builder().build())
  .field('time', Time.builder().build())
  .field('at', Timestamp.builder().build())
  .field('tags', SchemaBuilder.array(Schema.STRING_SCHEMA).build())
  .field('counts', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
  .field('byId', SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
  .field('home', ADDRESS)
  .field(
    'work',
    SchemaBuilder.struct()
      .name('com.example.Address')
      .field('street', Schema.STRING_SCHEMA)
      .field('zip', Schema.OPTIONAL_INT32_SCHEMA)
      .optional()
      .build(),
  )
  .field('anonymous', SchemaBuilder.struct().field('a', Schema.BOOLEAN_SCHEMA).build())
  .build()

function everything(): Struct {
  return new Struct(EVERYTHING)
    .put('i8', -8)
    .put('i16', 1600)
    .put('i32', -320000)
    .put('i64', 1_700_000_000_000)
    .put('big', 9007199254740993n)
    .put('f32', 1.5)
    .put('f64', Math.PI)
    .put('flag', true)
    .put('text', 'héllo')
    .put('blob', Buffer.from([0, 1, 254, 255]))
    .put('maybe', 'here')
    .put('price', new BigDecimal(12345n, 2))
    .put('day', new Date(Date.UTC(2024, 1, 29)))
    .put('time', new Date(Date.UTC(1970, 0, 1, 13, 14, 15, 16)))
    .put('at', new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 16)))
    .put('tags', ['a', 'b'])
    .put(
      'counts',
      new Map([
        ['x', 1],
        ['y', 2],
      ]),
    )
    .put(
      'byId',
      new Map([
        [1, 'one'],
        [2, 'two'],
      ]),
    )
    .put('home', new Struct(ADDRESS).put('street', 'Main St').put('zip', 12345))
    .put('anonymous', new Struct(EVERYTHING.field('anonymous')!.schema).put('a', false))
}

test('a struct of every Connect type round-trips: schema (name, version, doc, defaults, logical types) and value', async () => {
  const c = converter(new FakeRegistry())
  const value = everything()
  const back = await roundTrip(c, EVERYTHING, value)
  assert.ok(schemaEquals(back.schema, EVERYTHING), `schema read back:\n${back.schema}\nwritten:\n${EVERYTHING}`)
  const struct = back.value as Struct
  for (const f of EVERYTHING.fields()) {
    assert.ok(
      valueEquals(struct.get(f.name), value.get(f.name)),
      `${f.name}: ${String(struct.get(f.name))} vs ${String(value.get(f.name))}`,
    )
  }
  assert.equal(struct.get('big'), 9007199254740993n, 'a long beyond 2^53 keeps its digits')
  assert.equal(struct.get('withDefault'), 42, 'a null field with a default is written as the default')
})

test('primitives at the top level round-trip with their Connect types', async () => {
  const c = converter(new FakeRegistry())
  const cases: Array<[Schema, unknown]> = [
    [Schema.INT8_SCHEMA, 7],
    [Schema.INT16_SCHEMA, -300],
    [Schema.INT32_SCHEMA, 123456],
    [Schema.INT64_SCHEMA, -5],
    [Schema.FLOAT32_SCHEMA, 0.25],
    [Schema.FLOAT64_SCHEMA, 1e300],
    [Schema.BOOLEAN_SCHEMA, false],
    [Schema.STRING_SCHEMA, ''],
    [Schema.BYTES_SCHEMA, Buffer.from('bytes')],
    [Schema.OPTIONAL_STRING_SCHEMA, 'opt'],
    [SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build(), [1, null, 3]],
    [SchemaBuilder.map(Schema.OPTIONAL_STRING_SCHEMA, Schema.BOOLEAN_SCHEMA).build(), new Map([['k', true]])],
    [Decimal.schema(-2), new BigDecimal(5n, -2)],
  ]
  for (const [i, [schema, value]] of cases.entries()) {
    const back = await roundTrip(c, schema, value, `topic-${i}`)
    // A schema without a version of its own gets the registry's (the first version of its subject), unless it is
    // optional: the version goes to the union, which Connect does not see (as with Confluent's AvroData).
    const version = schema.version ?? (schema.isOptional ? null : 1)
    assert.ok(schemaEquals(back.schema, withVersion(schema, version)), `${schema}: read back ${back.schema}`)
    assert.ok(valueEquals(back.value, value), `${schema}: ${String(back.value)}`)
  }
})

test('null values: a tombstone for no schema or an optional one, a DataException for a required schema', async () => {
  const c = converter(new FakeRegistry())
  assert.equal(c.fromConnectData('t', null, null, null), null)
  assert.equal(c.fromConnectData('t', null, Schema.OPTIONAL_STRING_SCHEMA, null), null)
  assert.deepEqual(c.toConnectData('t', null, null), { schema: null, value: null })
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, null)),
    (e: unknown) => e instanceof DataException && /non-optional/.test((e as Error).message),
  )
})

test("the registered Avro schema is Confluent's: optional fields are unions with null first and default null, int8 keeps connect.type, Decimal is bytes with logicalType decimal", async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const schema = SchemaBuilder.struct()
    .name('com.example.Row')
    .field('small', Schema.INT8_SCHEMA)
    .field('note', Schema.OPTIONAL_STRING_SCHEMA)
    .field('amount', Decimal.schema(2))
    .field('at', Timestamp.SCHEMA)
    .build()
  await settled(() =>
    c.fromConnectData(
      'orders',
      null,
      schema,
      new Struct(schema).put('small', 1).put('amount', new BigDecimal(1n, 2)).put('at', new Date(0)),
    ),
  )
  assert.deepEqual(registry.calls, ['register orders-value'])
  assert.equal(
    registry.schemas[0]!.schema,
    '{"type":"record","name":"Row","namespace":"com.example","fields":[' +
      '{"name":"small","type":{"type":"int","connect.type":"int8"}},' +
      '{"name":"note","type":["null","string"],"default":null},' +
      '{"name":"amount","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}},' +
      '{"name":"at","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}}' +
      '],"connect.name":"com.example.Row"}',
  )
})

test('maps with non-string keys are arrays of io.confluent.connect.avro.MapEntry records; an unnamed struct is ConnectDefault', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const schema = SchemaBuilder.struct()
    .field('m', SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.STRING_SCHEMA).build())
    .build()
  const back = await roundTrip(c, schema, new Struct(schema).put('m', new Map([[5, 'five']])))
  const text = registry.schemas[0]!.schema
  assert.match(text, /"name":"ConnectDefault","namespace":"io.confluent.connect.avro"/)
  assert.match(
    text,
    /"type":"array","items":\{"type":"record","name":"MapEntry","fields":\[\{"name":"key","type":"long"\}/,
  )
  assert.ok(valueEquals((back.value as Struct).get('m'), new Map([[5, 'five']])))
  assert.equal(back.schema!.name, null, 'ConnectDefault is not given back as a name')
})

test('enums: with enhanced.avro.schema.support a string with io.confluent.connect.avro.Enum parameters is an Avro enum, read back with the same parameters', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'enhanced.avro.schema.support': 'true' })
  const suit = SchemaBuilder.string()
    .name('com.example.Suit')
    .parameter('io.confluent.connect.avro.Enum', 'com.example.Suit')
    .parameter('io.confluent.connect.avro.Enum.HEARTS', 'HEARTS')
    .parameter('io.confluent.connect.avro.Enum.SPADES', 'SPADES')
    .build()
  const back = await roundTrip(c, suit, 'SPADES')
  assert.match(
    registry.schemas[0]!.schema,
    /^\{"type":"enum","name":"Suit","namespace":"com.example","symbols":\["HEARTS","SPADES"\]/,
  )
  assert.equal(back.value, 'SPADES')
  assert.ok(schemaEquals(back.schema, withVersion(suit, 1)), String(back.schema))
  await assert.rejects(
    settled(() => c.fromConnectData('topic', null, suit, 'CLUBS')),
    DataException,
  )
})

test('a Connect union (io.confluent.connect.avro.Union struct) is an Avro union and comes back as one', async () => {
  const c = converter(new FakeRegistry())
  const union = SchemaBuilder.struct()
    .name('io.confluent.connect.avro.Union')
    .field('int', Schema.OPTIONAL_INT32_SCHEMA)
    .field('string', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  const back = await roundTrip(c, union, new Struct(union).put('string', 's'))
  assert.ok(schemaEquals(back.schema, withVersion(union, 1)), String(back.schema))
  assert.equal((back.value as Struct).get('string'), 's')
  assert.equal((back.value as Struct).get('int'), null)
})

test('connect.meta.data=false leaves out the Connect metadata: no name, version or doc comes back', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'connect.meta.data': 'false' })
  const schema = SchemaBuilder.struct()
    .name('com.example.R')
    .version(2)
    .doc('d')
    .field('x', Schema.INT16_SCHEMA)
    .build()
  const back = await roundTrip(c, schema, new Struct(schema).put('x', 3))
  assert.doesNotMatch(registry.schemas[0]!.schema, /connect\./)
  assert.equal(back.schema!.doc, null)
  assert.equal(back.schema!.fields()[0]!.schema.type, 'INT32', 'without connect.type an int is INT32')
  assert.equal(back.schema!.name, 'com.example.R', 'the record name is still the Avro one')
})

test('scrub.invalid.names makes field and record names valid Avro names; without it such a name is a DataException', async () => {
  const schema = SchemaBuilder.struct().name('my-ns.my-record').field('a-b', Schema.STRING_SCHEMA).build()
  const value = new Struct(schema).put('a-b', 'v')
  const unscrubbed = converter(new FakeRegistry())
  await assert.rejects(
    settled(() => unscrubbed.fromConnectData('t', null, schema, value)),
    DataException,
  )
  const registry = new FakeRegistry()
  const back = await roundTrip(converter(registry, { 'scrub.invalid.names': 'true' }), schema, value)
  assert.match(registry.schemas[0]!.schema, /"name":"my_record","namespace":"my_ns"/)
  assert.match(registry.schemas[0]!.schema, /"name":"a_b"/)
  assert.equal((back.value as Struct).get('a_b'), 'v', 'read back under the scrubbed name, as Confluent does')
})

test('the hot path makes no registry call: 1,100 records of one schema (100 of them in equal but distinct schema objects) cost one registration, and reading them one schema lookup and one version lookup', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const schema = SchemaBuilder.struct().name('com.example.Hot').field('n', Schema.INT32_SCHEMA).build()
  const written: Array<Uint8Array | null> = []
  for (let i = 0; i < 1000; i++)
    written.push(await settled(() => c.fromConnectData('hot', null, schema, new Struct(schema).put('n', i))))
  // Schemas equal to the first but other objects (a connector building one per record): found without the registry too.
  for (let i = 1000; i < 1100; i++) {
    const again = SchemaBuilder.struct().name('com.example.Hot').field('n', Schema.INT32_SCHEMA).build()
    written.push(await settled(() => c.fromConnectData('hot', null, again, new Struct(again).put('n', i))))
  }
  const reader = converter(registry)
  for (const [i, bytes] of written.entries()) {
    const back = await settled(() => reader.toConnectData('hot', null, bytes))
    assert.equal((back.value as Struct).get('n'), i)
  }
  assert.deepEqual(registry.calls, ['register hot-value', 'getSchemaById 1', 'getVersion hot-value'])
})

test('a registered schema read back carries the registry version as its Connect version when it has none of its own', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const v1 = SchemaBuilder.struct().name('com.example.E').field('a', Schema.STRING_SCHEMA).build()
  const v2 = SchemaBuilder.struct()
    .name('com.example.E')
    .field('a', Schema.STRING_SCHEMA)
    .field('b', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  await roundTrip(c, v1, new Struct(v1).put('a', 'x'))
  const back = await roundTrip(c, v2, new Struct(v2).put('a', 'x').put('b', 'y'))
  assert.equal(back.schema!.version, 2)
})

test('subject name strategies: RecordNameStrategy and TopicRecordNameStrategy name the subject after the record', async () => {
  const schema = SchemaBuilder.struct().name('com.example.Named').field('a', Schema.INT32_SCHEMA).build()
  const value = new Struct(schema).put('a', 1)
  for (const [strategy, subject] of [
    ['io.confluent.kafka.serializers.subject.RecordNameStrategy', 'com.example.Named'],
    ['io.confluent.kafka.serializers.subject.TopicRecordNameStrategy', 'events-com.example.Named'],
  ]) {
    const registry = new FakeRegistry()
    const back = await roundTrip(
      converter(registry, { 'value.subject.name.strategy': strategy }),
      schema,
      value,
      'events',
    )
    assert.equal(registry.calls[0], `register ${subject}`)
    assert.equal(registry.calls[2], `getVersion ${subject}`)
    assert.equal((back.value as Struct).get('a'), 1)
  }
  const keys = new FakeRegistry()
  await roundTrip(converter(keys, {}, true), Schema.STRING_SCHEMA, 'k', 'events')
  assert.equal(keys.calls[0], 'register events-key')
})

test('auto.register.schemas=false looks the schema up, and a schema that is not registered is a DataException', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'auto.register.schemas': 'false' })
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    (e: unknown) => {
      assert.ok(e instanceof DataException)
      assert.match((e as Error).message, /Failed to serialize Avro data from topic t: Schema not found/)
      return true
    },
  )
  await registry.register('t-value', { schema: '"string"' })
  assert.ok(await settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')))
})

test('use.latest.version writes with the latest registered version; latest.compatibility.strict refuses one that cannot read the record', async () => {
  const registry = new FakeRegistry()
  const latest =
    '{"type":"record","name":"L","namespace":"com.example","fields":[{"name":"a","type":"string"},{"name":"extra","type":["null","long"],"default":null}]}'
  await registry.register('t-value', { schema: latest })
  const schema = SchemaBuilder.struct().name('com.example.L').field('a', Schema.STRING_SCHEMA).build()
  const c = converter(registry, { 'auto.register.schemas': 'false', 'use.latest.version': 'true' })
  const bytes = await settled(() => c.fromConnectData('t', null, schema, new Struct(schema).put('a', 'v')))
  assert.equal(Buffer.from(bytes!).readInt32BE(1), 1, 'written with the id of the latest version')
  const reader = converter(registry)
  const back = await settled(() => reader.toConnectData('t', null, bytes))
  assert.equal((back.value as Struct).get('a'), 'v')
  assert.equal((back.value as Struct).get('extra'), null)

  const other = SchemaBuilder.struct().name('com.example.L').field('z', Schema.BOOLEAN_SCHEMA).build()
  const strict = converter(registry, { 'use.latest.version': 'true', 'auto.register.schemas': 'false' })
  await assert.rejects(
    settled(() => strict.fromConnectData('t', null, other, new Struct(other).put('z', true))),
    (e: unknown) =>
      e instanceof DataException &&
      /incompatible with the latest version \(1\) of subject t-value/.test((e as Error).message),
  )
})

test('registry errors: unreachable stays retriable, 409 is a DataException saying the schema is incompatible, 401 is one line; nothing failed is cached', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  registry.fail = () => new RetriableException('Schema registry http://registry.invalid could not be reached')
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    RetriableException,
  )
  registry.fail = () =>
    new RestClientException('Schema being registered is incompatible with an earlier schema', 409, 409)
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    (e: unknown) => {
      assert.ok(e instanceof DataException && !(e instanceof RetriableException))
      assert.match((e as Error).message, /incompatible with an earlier schema of its subject/)
      return true
    },
  )
  registry.fail = () =>
    new RestClientException(
      'Schema registry http://registry.invalid refused the request (401 Unauthorized) with basic auth credentials',
      401,
      40101,
    )
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    (e: unknown) => {
      assert.ok(!(e instanceof DataException))
      assert.doesNotMatch((e as Error).message, /\n/)
      return true
    },
  )
  registry.fail = null
  assert.ok(
    await settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    'the next call asks the registry again',
  )
})

test('the first record of a new schema throws PendingException; once ready, the same call converts', async () => {
  const c = converter(new FakeRegistry())
  let pending: unknown
  try {
    c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')
  } catch (e) {
    pending = e
  }
  assert.ok(pending instanceof PendingException)
  await pending.ready
  assert.ok(c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x'))
})

test('bytes that are not in Confluent’s format, or an unknown schema id, are DataExceptions', async () => {
  const c = converter(new FakeRegistry())
  assert.throws(() => c.toConnectData('t', null, Buffer.from([1, 0, 0, 0, 1, 2])), /Unknown magic byte/)
  await assert.rejects(
    settled(() => c.toConnectData('t', null, Buffer.from([0, 0, 0, 0, 9, 2]))),
    DataException,
  )
})

test('keys Ferry does not implement are refused at configure, naming the key', () => {
  for (const [key, value] of [
    ['avro.reflection.allow.null', 'true'],
    ['use.latest.with.metadata', 'a=b'],
    ['request.header.X-Tenant', 'a'],
    ['generalized.sum.type.support', 'true'],
  ]) {
    assert.throws(
      () => converter(new FakeRegistry(), { [key!]: value }),
      (e: unknown) => e instanceof ConfigException && (e as Error).message.includes(key!),
      key,
    )
  }
  assert.throws(() => new AvroConverter().configure({}, false), /schema.registry.url/)
  assert.throws(
    () => converter(new FakeRegistry(), { 'value.subject.name.strategy': 'com.example.Mine' }),
    /value.subject.name.strategy/,
  )
})

test("schemaless values are Confluent's io.confluent.connect.avro.Anything records and come back without a schema", async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const value = new Map<unknown, unknown>([
    ['n', 42],
    ['x', 1.5],
    ['big', 9007199254740993n],
    ['ok', true],
    ['list', ['a', null, 3]],
    ['nested', new Map([['k', 'v']])],
  ])
  const back = await roundTrip(c, null, value)
  assert.equal(back.schema, null)
  assert.ok(valueEquals(back.value, value), String(back.value))
  assert.match(
    registry.schemas[0]!.schema,
    /^\{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro"/,
  )
  assert.equal((await roundTrip(c, null, 'text')).value, 'text')
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, null, new Date())),
    (e: unknown) => e instanceof DataException && /schemaless/.test((e as Error).message),
  )
})

test('INT64 keeps every bit: safe integers come back as numbers, the rest as bigints, negative ones included', async () => {
  const c = converter(new FakeRegistry())
  const values: Array<number | bigint> = [
    0,
    -1,
    4294967296,
    -4294967297,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    9007199254740992n,
    -9007199254740992n,
    -9007199254740993n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ]
  for (const v of values) {
    const back = await roundTrip(c, Schema.INT64_SCHEMA, v)
    const safe = typeof v === 'number' || (v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER)
    assert.equal(back.value, safe ? Number(v) : v, String(v))
  }
})
