/**
 * ParquetFormat: the records of one object as a Parquet file, with the schema Confluent's ParquetFormat gets from
 * the Connect schema (through Avro, as parquet-avro maps it): a STRUCT value is the message, INT8/INT16/INT32 are
 * INT32, INT64 is INT64, STRING is UTF8 binary, Decimal is DECIMAL binary, Date is DATE, Time is TIME_MILLIS,
 * Timestamp is TIMESTAMP_MILLIS, structs are groups, arrays are 3-level LISTs and maps are MAPs; optional schemas
 * are OPTIONAL. Written by hyparquet-writer with `parquet.codec` when the object is finished (Parquet's footer comes
 * last, so the file is built in memory; a file holds at most `flush.size` records).
 */
import { gzipSync } from 'node:zlib'
import { BigDecimal, DataException, type Schema, type SinkRecord, Struct } from '@ferry/api'
import { ByteWriter, parquetWrite } from 'hyparquet-writer'
import type { S3SinkSettings } from '../config.ts'
import type { ByteSink, RecordWriter } from './format.ts'

const DECIMAL = 'org.apache.kafka.connect.data.Decimal'
const DATE = 'org.apache.kafka.connect.data.Date'
const TIME = 'org.apache.kafka.connect.data.Time'
const TIMESTAMP = 'org.apache.kafka.connect.data.Timestamp'

type Element = Record<string, unknown> & { name: string }

/** The flat (depth-first) Parquet schema of a Connect STRUCT schema. */
export function toParquetSchema(schema: Schema): Element[] {
  if (schema.type !== 'STRUCT') {
    throw new DataException(`ParquetFormat writes Struct values; the value schema is ${schema.type}`)
  }
  const out: Element[] = [
    {
      name: schema.name?.slice(schema.name.lastIndexOf('.') + 1) || 'ConnectDefault',
      num_children: schema.fields().length,
    },
  ]
  for (const f of schema.fields()) addField(out, f.name, f.schema, f.schema.isOptional ? 'OPTIONAL' : 'REQUIRED')
  return out
}

function addField(out: Element[], name: string, s: Schema, repetition: string): void {
  const leaf = leafType(s)
  if (leaf) {
    out.push({ name, repetition_type: repetition, ...leaf })
    return
  }
  switch (s.type) {
    case 'STRUCT':
      out.push({ name, repetition_type: repetition, num_children: s.fields().length })
      for (const f of s.fields()) addField(out, f.name, f.schema, f.schema.isOptional ? 'OPTIONAL' : 'REQUIRED')
      break
    case 'ARRAY': {
      const items = s.valueSchema()
      if (!items) throw new DataException(`Array field ${name} has no element schema`)
      out.push({ name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 })
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 })
      addField(out, 'element', items, items.isOptional ? 'OPTIONAL' : 'REQUIRED')
      break
    }
    case 'MAP': {
      const k = s.keySchema()
      const v = s.valueSchema()
      if (!k || !v) throw new DataException(`Map field ${name} has no key or value schema`)
      out.push({ name, repetition_type: repetition, converted_type: 'MAP', num_children: 1 })
      out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 })
      addField(out, 'key', k, 'REQUIRED')
      addField(out, 'value', v, v.isOptional ? 'OPTIONAL' : 'REQUIRED')
      break
    }
  }
}

/** The type of a primitive or logical schema's column; null for STRUCT, ARRAY and MAP. */
function leafType(s: Schema): Record<string, unknown> | null {
  switch (s.name) {
    case DECIMAL:
      return {
        type: 'BYTE_ARRAY',
        converted_type: 'DECIMAL',
        scale: Number(s.parameters?.scale ?? 0),
        precision: Number(s.parameters?.['connect.decimal.precision'] ?? 38),
      }
    case DATE:
      return { type: 'INT32', converted_type: 'DATE' }
    case TIME:
      return { type: 'INT32', converted_type: 'TIME_MILLIS' }
    case TIMESTAMP:
      return { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }
  }
  switch (s.type) {
    case 'BOOLEAN':
      return { type: 'BOOLEAN' }
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { type: 'INT32' }
    case 'INT64':
      return { type: 'INT64' }
    case 'FLOAT32':
      return { type: 'FLOAT' }
    case 'FLOAT64':
      return { type: 'DOUBLE' }
    case 'STRING':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8' }
    case 'BYTES':
      return { type: 'BYTE_ARRAY' }
    default:
      return null
  }
}

/** A Connect value as hyparquet-writer takes it for the element `toParquetSchema` made. */
function toParquetValue(s: Schema, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (s.defaultValue !== null && s.defaultValue !== undefined) return toParquetValue(s, s.defaultValue)
    if (s.isOptional) return null
    throw new DataException(`Found null value for non-optional schema ${s.type}`)
  }
  switch (s.name) {
    case DECIMAL:
      if (!(value instanceof BigDecimal)) throw new DataException('Decimal value is not a BigDecimal')
      return value.unscaledValue
    case DATE:
      return Math.floor((value as Date).getTime() / 86_400_000)
    case TIME:
      return (value as Date).getTime()
    case TIMESTAMP:
      return BigInt((value as Date).getTime())
  }
  switch (s.type) {
    case 'INT64':
      return BigInt(value as number | bigint)
    case 'BYTES':
      return value instanceof Uint8Array ? value : Buffer.from(value as ArrayBuffer)
    case 'STRUCT': {
      if (!(value instanceof Struct)) throw new DataException('Expected a Struct value')
      const out: Record<string, unknown> = {}
      for (const f of s.fields()) out[f.name] = toParquetValue(f.schema, value.get(f))
      return out
    }
    case 'ARRAY':
      return (value as unknown[]).map((v) => toParquetValue(s.valueSchema()!, v))
    case 'MAP': {
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>)
      return entries.map(([k, v]) => ({
        key: toParquetValue(s.keySchema()!, k),
        value: toParquetValue(s.valueSchema()!, v),
      }))
    }
    default:
      return value
  }
}

const COMPRESSORS = { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) }

/** The rows of one Parquet object, written as a file by `finish`. */
export class ParquetRows implements RecordWriter {
  readonly #out: ByteSink
  readonly #schema: Schema
  readonly #elements: Element[]
  readonly #columns: unknown[][]
  readonly #codec: S3SinkSettings['parquetCodec']

  constructor(out: ByteSink, schema: Schema, s: S3SinkSettings) {
    this.#out = out
    this.#schema = schema
    this.#elements = toParquetSchema(schema)
    this.#columns = schema.fields().map(() => [])
    this.#codec = s.parquetCodec
  }

  write(record: SinkRecord): void {
    const value = record.value
    if (!(value instanceof Struct)) throw new DataException('ParquetFormat writes Struct values')
    const fields = this.#schema.fields()
    const row = fields.map((f) => toParquetValue(f.schema, value.get(f)))
    for (let i = 0; i < row.length; i++) this.#columns[i]!.push(row[i])
  }

  async finish(): Promise<void> {
    const writer = new ByteWriter()
    await parquetWrite({
      writer,
      schema: this.#elements as never,
      columnData: this.#schema.fields().map((f, i) => ({ name: f.name, data: this.#columns[i]! as never })),
      codec: this.#codec,
      compressors: COMPRESSORS,
      createdBy: 'Ferry S3 sink (hyparquet-writer)',
    })
    this.#out.write(new Uint8Array(writer.getBuffer()))
  }
}
