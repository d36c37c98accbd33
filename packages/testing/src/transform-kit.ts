/**
 * Test helpers for single message transforms and predicates (`@ferry/api`'s `Transformation` and `Predicate`):
 * `runTransform` runs a transform over records, `transformConformance` / `predicateConformance` check the contract
 * every transform must keep, on records with and without schemas, tombstones and headers.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import {
  ConfigDef,
  ConnectException,
  type ConnectRecord,
  Headers,
  type Predicate,
  type Schema,
  SchemaBuilder,
  SinkRecord,
  SourceRecord,
  Struct,
  Timestamp,
  type Transformation,
  valueEquals,
} from '@ferry/api'

/**
 * Configures `transform` with `configs`, applies it to each record in turn and closes it. Returns one output per
 * record: the transformed record, or null for a dropped one. An exception from `apply` propagates (after `close`).
 */
export function runTransform<R extends ConnectRecord>(
  transform: Transformation<R>,
  configs: Record<string, unknown>,
  records: readonly R[],
): (R | null)[] {
  transform.configure(configs)
  try {
    return records.map((record) => transform.apply(record))
  } finally {
    transform.close()
  }
}

function sampleSchema(optional: boolean): Schema {
  const builder = SchemaBuilder.struct()
    .name('ferry.Sample')
    .field('id', SchemaBuilder.int64().build())
    .field('name', SchemaBuilder.string().optional().build())
    .field('score', SchemaBuilder.float64().optional().defaultValue(1.5).build())
    .field('ts', Timestamp.builder().optional().build())
    .field('tags', SchemaBuilder.array(SchemaBuilder.string().build()).optional().build())
  return (optional ? builder.optional() : builder).build()
}

/** The struct schema of the sample records `transformConformance` uses when it is given none. */
export const SAMPLE_SCHEMA: Schema = sampleSchema(false)
/** SAMPLE_SCHEMA, optional (the schema of the sample record whose value is null). */
export const SAMPLE_OPTIONAL_SCHEMA: Schema = sampleSchema(true)

function sampleStruct(): Struct {
  return new Struct(SAMPLE_SCHEMA)
    .put('id', 7)
    .put('name', 'seven')
    .put('ts', new Date(1_700_000_000_123))
    .put('tags', ['a', 'b'])
}

function sampleHeaders(): Headers {
  return new Headers().addString('trace', 'abc').addInt('attempt', 2).add('raw', 5, null)
}

/**
 * The default sample records: a tombstone, a record with a null key, schemaless values as a `Map` and as a plain
 * object, a Struct value with its schema, a Struct key, headers, a record without timestamp, and a source record.
 */
export function sampleRecords(): ConnectRecord[] {
  const sink = (
    key: unknown,
    keySchema: Schema | null,
    value: unknown,
    valueSchema: Schema | null,
    timestamp: number | null = 1_700_000_000_123,
  ) =>
    new SinkRecord(
      'sample-topic',
      3,
      keySchema,
      key,
      valueSchema,
      value,
      17,
      timestamp,
      timestamp === null ? 'NoTimestampType' : 'CreateTime',
      sampleHeaders(),
    )
  return [
    sink('k', SchemaBuilder.string().build(), null, null),
    sink(null, null, null, SAMPLE_OPTIONAL_SCHEMA),
    sink(
      null,
      null,
      new Map<string, unknown>([
        ['id', 7],
        ['name', 'seven'],
        ['nested', new Map([['x', 1.5]])],
      ]),
      null,
    ),
    sink(null, null, { id: 7, name: 'seven', nested: { x: 1.5 } }, null),
    sink('k', SchemaBuilder.string().build(), sampleStruct(), SAMPLE_SCHEMA),
    sink(sampleStruct(), SAMPLE_SCHEMA, 'v', SchemaBuilder.string().build(), null),
    new SourceRecord(
      { file: 'f' },
      { position: 1 },
      'sample-topic',
      null,
      null,
      { id: 8 },
      SAMPLE_SCHEMA,
      sampleStruct(),
      null,
      sampleHeaders(),
    ),
  ]
}

export interface ConformanceOptions {
  /** Records to run the transform on (default: `sampleRecords()`). */
  records?: ConnectRecord[]
  /** The part of the record the transform works on, for `nullValues` (default `'value'`). */
  side?: 'key' | 'value'
  /**
   * What the transform does with a record whose key or value (see `side`) is null, a tombstone for the value:
   * `'pass'` returns it with that part still null, `'drop'` returns null, `'any'` (the default) accepts any output or
   * a ConnectException (some of Apache's transforms reject null values, e.g. MaskField, ValueToKey).
   */
  nullValues?: 'pass' | 'drop' | 'any'
  /** Whether the transform changes headers (HeaderFrom, InsertHeader, DropHeaders); otherwise they must be equal. */
  changesHeaders?: boolean
}

/** Everything about a record, for comparisons that must not depend on object identity. */
function snapshot(r: ConnectRecord): unknown[] {
  const extra =
    r instanceof SinkRecord
      ? [r.kafkaOffset, r.timestampType, r.originalTopic, r.originalKafkaPartition, r.originalKafkaOffset]
      : r instanceof SourceRecord
        ? [JSON.stringify(r.sourcePartition), JSON.stringify(r.sourceOffset)]
        : []
  return [
    r.constructor.name,
    r.topic,
    r.kafkaPartition,
    r.keySchema,
    deepCopy(r.key),
    r.valueSchema,
    deepCopy(r.value),
    r.timestamp,
    r.headers.toArray().map((h) => [h.key, h.schema, deepCopy(h.value)]),
    ...extra,
  ]
}

/** A structural copy of a Connect value (Structs are described field by field, so a mutation is seen). */
function deepCopy(value: unknown): unknown {
  if (value instanceof Struct) {
    return { struct: value.schema, fields: value.schema.fields().map((f) => deepCopy(value.getWithoutDefault(f.name))) }
  }
  if (Array.isArray(value)) return value.map(deepCopy)
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [deepCopy(k), deepCopy(v)]) }
  if (value instanceof Uint8Array) return { bytes: [...value] }
  if (value instanceof Date) return { date: value.getTime() }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return { object: Object.entries(value).map(([k, v]) => [k, deepCopy(v)]) }
  }
  return value
}

function sameSnapshot(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false
  return a.every((x, i) => valueEquals(x, b[i]) || JSON.stringify(x, replacer) === JSON.stringify(b[i], replacer))
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}

function isNullOn(r: ConnectRecord, side: 'key' | 'value'): boolean {
  return (side === 'key' ? r.key : r.value) == null
}

/**
 * Checks the contract of a transform on `options.records` (default: `sampleRecords()`), as subtests of `t`:
 * `config()` is a ConfigDef and `configure(configs)` accepts `configs`; each record is either transformed into a
 * record of the same class (a SinkRecord keeps its offset and original coordinates), dropped, or rejected with a
 * ConnectException (never another kind of error, unless the transform is Apache's and Apache throws one too:
 * pass `records` that avoid those); the input record is never mutated; headers are preserved unless
 * `changesHeaders`; an output's headers are not the input's object (so later changes do not leak back); null
 * keys or values and tombstones follow `nullValues`; and a second `configure` + `close` works.
 */
export async function transformConformance(
  t: TestContext,
  create: () => Transformation<ConnectRecord>,
  configs: Record<string, unknown>,
  options: ConformanceOptions = {},
): Promise<void> {
  const records = options.records ?? sampleRecords()
  const side = options.side ?? 'value'
  await t.test('config() is a ConfigDef and configure() accepts the configs', () => {
    const transform = create()
    assert.ok(transform.config() instanceof ConfigDef, 'config() must return a ConfigDef')
    transform.configure({ ...configs })
    transform.close()
  })
  await t.test('each record is transformed, dropped or rejected with a ConnectException, without mutating it', () => {
    const transform = create()
    transform.configure({ ...configs })
    for (const [i, record] of records.entries()) {
      const before = snapshot(record)
      let output: ConnectRecord | null
      try {
        output = transform.apply(record)
      } catch (e) {
        assert.ok(e instanceof ConnectException, `record #${i}: apply threw a non-Connect error: ${String(e)}`)
        assert.ok(sameSnapshot(snapshot(record), before), `record #${i}: the input record was mutated`)
        if (isNullOn(record, side) && options.nullValues === 'pass') {
          assert.fail(`record #${i}: a null value must pass through, but apply threw ${String(e)}`)
        }
        continue
      }
      assert.ok(sameSnapshot(snapshot(record), before), `record #${i}: the input record was mutated`)
      if (isNullOn(record, side) && options.nullValues === 'drop') {
        assert.equal(output, null, `record #${i}: a null value must be dropped`)
      }
      if (output === null) continue
      assert.equal(output.constructor, record.constructor, `record #${i}: the output has another record class`)
      if (record instanceof SinkRecord && output instanceof SinkRecord) {
        assert.equal(output.kafkaOffset, record.kafkaOffset, `record #${i}: the offset changed`)
        assert.equal(output.originalTopic, record.originalTopic, `record #${i}: the original topic changed`)
        assert.equal(
          output.originalKafkaOffset,
          record.originalKafkaOffset,
          `record #${i}: the original offset changed`,
        )
      }
      if (isNullOn(record, side) && options.nullValues === 'pass') {
        assert.equal(side === 'key' ? output.key : output.value, null, `record #${i}: a null ${side} must pass through`)
      }
      if (!options.changesHeaders) {
        assert.ok(output.headers.equals(record.headers), `record #${i}: the headers changed`)
      }
      if (output !== record) {
        assert.notEqual(output.headers, record.headers, `record #${i}: the output shares the input's Headers object`)
      }
    }
    transform.close()
  })
  await t.test('a transform can be configured again and closed twice', () => {
    const transform = create()
    transform.configure({ ...configs })
    transform.configure({ ...configs })
    transform.close()
    transform.close()
  })
}

/**
 * Checks the contract of a predicate on `records` (default: `sampleRecords()`): `config()` is a ConfigDef,
 * `configure` accepts `configs`, `test` returns a boolean for every record (tombstones included) without mutating it.
 */
export async function predicateConformance(
  t: TestContext,
  create: () => Predicate<ConnectRecord>,
  configs: Record<string, unknown>,
  records: ConnectRecord[] = sampleRecords(),
): Promise<void> {
  await t.test('test() answers a boolean for every record without mutating it', () => {
    const predicate = create()
    assert.ok(predicate.config() instanceof ConfigDef, 'config() must return a ConfigDef')
    predicate.configure({ ...configs })
    for (const [i, record] of records.entries()) {
      const before = snapshot(record)
      const result = predicate.test(record)
      assert.equal(typeof result, 'boolean', `record #${i}: test() must return a boolean`)
      assert.ok(sameSnapshot(snapshot(record), before), `record #${i}: the input record was mutated`)
    }
    predicate.close()
  })
}
