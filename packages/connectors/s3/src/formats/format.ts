/**
 * The object formats (Confluent's `format.class`): each turns the records of one object into bytes.
 *
 * - JsonFormat: each value as JSON (Apache's JsonConverter without schemas), one per line; `.json`.
 * - ByteArrayFormat: each value's bytes followed by `format.bytearray.separator`; `format.bytearray.extension`.
 * - AvroFormat: an Avro object container file, schema and values from the records' Connect schema and values by the
 *   AvroConverter's mapping (Confluent's AvroData, as Confluent's AvroFormat uses it, with `connect.meta.data`,
 *   `enhanced.avro.schema.support`, `allow.optional.map.keys` and `schemas.cache.config`; avsc encodes); `.avro`.
 * - ParquetFormat: a Parquet file, schema from the records' Connect schema (hyparquet-writer); `.parquet`.
 *
 * With `s3.compression.type=gzip` JSON and bytes objects are gzip streams and `.gz` is appended to the extension.
 */
import { createHash } from 'node:crypto'
import { deflateRawSync } from 'node:zlib'
import { DataException, type Schema, type SinkRecord, untouchedJson } from '@ferry/api'
import { AvroFormat, type AvroSchemaInfo, DEFAULT_AVRO_DATA_CONFIG, JsonConverter } from '@ferry/converters'
import avro from 'avsc'
import type { S3SinkSettings } from '../config.ts'
import { ParquetRows } from './parquet.ts'

/** Where a record writer puts its bytes. */
export interface ByteSink {
  write(chunk: Uint8Array): void
}

/** Writes the records of one object. `write` throws DataException for a record the format cannot hold. */
export interface RecordWriter {
  write(record: SinkRecord): void
  /** Writes what the format still holds back (Avro's last block, Parquet's whole file). */
  finish(): void | Promise<void>
}

export interface Format {
  /** The object name's extension, with its dot (`.json`, `.json.gz`). */
  readonly extension: string
  /** Whether the object bytes go through gzip. */
  readonly gzip: boolean
  /** A writer for the object `key` (the key seeds what must be unique per file, so a rewrite makes the same bytes). */
  newWriter(out: ByteSink, key: string, schema: Schema | null): RecordWriter
}

export function newFormat(s: S3SinkSettings): Format {
  const gzip = s.compression === 'gzip'
  const gz = gzip ? '.gz' : ''
  switch (s.format) {
    case 'json': {
      const converter = new JsonConverter()
      converter.configure({ 'schemas.enable': 'false', 'decimal.format': s.jsonDecimalFormat }, false)
      return {
        extension: `.json${gz}`,
        gzip,
        newWriter: (out) => {
          // Lines are joined as text and encoded once per JSON_CHUNK_CHARS, not once per record.
          let lines = ''
          return {
            write(record) {
              lines += `${untouchedJson(record) ?? converter.fromConnectDataText(record.valueSchema, record.value) ?? 'null'}\n`
              if (lines.length >= JSON_CHUNK_CHARS) {
                out.write(Buffer.from(lines, 'utf8'))
                lines = ''
              }
            },
            finish() {
              if (lines.length > 0) out.write(Buffer.from(lines, 'utf8'))
              lines = ''
            },
          }
        },
      }
    }
    case 'bytearray': {
      const separator = s.bytearraySeparator
      return {
        extension: `${s.bytearrayExtension}${gz}`,
        gzip,
        newWriter: (out) => ({
          write(record) {
            const v = record.value
            if (!(v instanceof Uint8Array)) {
              throw new DataException(
                `ByteArrayFormat writes byte values only; ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} has a ${v === null ? 'null' : typeof v} value (use the ByteArrayConverter)`,
              )
            }
            out.write(v)
            out.write(separator)
          },
          finish() {},
        }),
      }
    }
    case 'avro': {
      // Confluent's StorageSinkConnectorConfig.avroDataConfig(): these four keys, AvroData's defaults otherwise.
      const avroFormat = new AvroFormat(
        {
          ...DEFAULT_AVRO_DATA_CONFIG,
          connectMetaData: s.connectMetaData,
          enhancedSchemaSupport: s.enhancedAvroSchemaSupport,
          allowOptionalMapKeys: s.allowOptionalMapKeys,
        },
        { removeJavaProps: false, failOnTrailingData: false, cacheSize: s.schemaCacheSize },
      )
      return {
        extension: '.avro',
        gzip: false,
        newWriter: (out, key, schema) =>
          new AvroContainerWriter(out, key, requireSchema(schema, 'AvroFormat'), avroFormat, s.avroCodec),
      }
    }
    case 'parquet':
      return {
        extension: '.parquet',
        gzip: false,
        newWriter: (out, _key, schema) => new ParquetRows(out, requireSchema(schema, 'ParquetFormat'), s),
      }
  }
}

/**
 * Whether the task takes values' JSON text as it came (`SinkTask.writesJsonText`): with JsonFormat, unless the
 * partitioner reads fields of the value (FieldPartitioner, or TimeBasedPartitioner's RecordField extractor).
 */
export function writesJsonText(s: S3SinkSettings): boolean {
  return s.format === 'json' && s.partitioner !== 'field' && s.timestampExtractor !== 'RecordField'
}

/** How much JSON text (UTF-16 code units) a JsonFormat writer holds before handing it on as bytes. */
const JSON_CHUNK_CHARS = 64 * 1024

function requireSchema(schema: Schema | null, format: string): Schema {
  if (!schema) {
    throw new DataException(
      `${format} needs records with a value schema (e.g. JsonConverter with schemas.enable=true, or Avro): this record has none`,
    )
  }
  return schema
}

/** Java's DataFileConstants.DEFAULT_SYNC_INTERVAL: a block is written once this many bytes are buffered. */
const SYNC_INTERVAL = 64_000
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]) // "Obj" 1

/**
 * An Avro object container file (the spec's "Object Container Files"): header (magic, metadata map with
 * `avro.schema` and `avro.codec`, 16-byte sync marker), then blocks of `count, size, data, sync`. The sync marker is
 * the MD5 of the object key, so a file written again for the same key has the same bytes.
 */
class AvroContainerWriter implements RecordWriter {
  readonly #out: ByteSink
  readonly #schema: Schema
  readonly #format: AvroFormat
  readonly #avro: AvroSchemaInfo
  readonly #sync: Buffer
  readonly #deflate: boolean
  #block: Uint8Array[] = []
  #blockBytes = 0
  #count = 0

  constructor(out: ByteSink, key: string, schema: Schema, format: AvroFormat, codec: S3SinkSettings['avroCodec']) {
    this.#out = out
    this.#schema = schema
    this.#format = format
    this.#avro = format.fromConnectSchema(schema)
    this.#sync = createHash('md5').update(key).digest()
    this.#deflate = codec === 'deflate'
    out.write(MAGIC)
    out.write(
      HEADER_META.toBuffer({
        'avro.schema': Buffer.from(this.#avro.text),
        'avro.codec': Buffer.from(codec),
      }),
    )
    out.write(this.#sync)
  }

  write(record: SinkRecord): void {
    let bytes: Uint8Array
    try {
      bytes = this.#format.serialize(this.#avro, this.#schema, record.value)
    } catch (e) {
      if (e instanceof DataException) throw e
      throw new DataException(`Could not write the record as Avro: ${(e as Error).message}`)
    }
    this.#block.push(bytes)
    this.#blockBytes += bytes.length
    this.#count++
    if (this.#blockBytes >= SYNC_INTERVAL) this.#writeBlock()
  }

  finish(): void {
    if (this.#count > 0) this.#writeBlock()
  }

  #writeBlock(): void {
    let data = Buffer.concat(this.#block, this.#blockBytes)
    if (this.#deflate) data = deflateRawSync(data)
    this.#out.write(LONG_HEADER.toBuffer(this.#count))
    this.#out.write(LONG_HEADER.toBuffer(data.length))
    this.#out.write(data)
    this.#out.write(this.#sync)
    this.#block = []
    this.#blockBytes = 0
    this.#count = 0
  }
}

const LONG_HEADER = avro.Type.forSchema('long')
const HEADER_META = avro.Type.forSchema({ type: 'map', values: 'bytes' })
