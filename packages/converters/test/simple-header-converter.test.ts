import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { Schema, SchemaAndValue } from '@ferry/api'
import { SimpleHeaderConverter } from '../src/simple-header-converter.ts'
import {
  assertJavaError,
  assertSchema,
  assertValue,
  buildSchema,
  buildValue,
  type JavaError,
  type NeutralSchema,
  type Tagged,
} from './json/vectors.ts'

interface HeaderCase {
  name: string
  text?: string
  base64?: string | null
  result?: { schema?: NeutralSchema | null; value?: Tagged; error?: JavaError; nullResult?: true }
  schema?: NeutralSchema | null
  value?: Tagged
  bytes?: string | null
  error?: JavaError
}

const headers = JSON.parse(
  readFileSync(new URL('./fixtures/json-converter/headers.json', import.meta.url), 'utf8'),
) as { _generated: string; cases: HeaderCase[] }

function converter(): SimpleHeaderConverter {
  const c = new SimpleHeaderConverter()
  c.configure({})
  return c
}

/**
 * Where Ferry deliberately differs from Apache (docs/compat.md): Apache reads the first value of `1,2` and drops the
 * rest; Ferry keeps the whole text as a STRING rather than lose data.
 */
const FERRY_READS: Record<string, { schema: Schema; value: unknown }> = {
  "toConnectHeader '1,2'": { schema: Schema.STRING_SCHEMA, value: '1,2' },
}

describe('SimpleHeaderConverter checked against Apache Kafka 4.4.0', () => {
  for (const c of headers.cases) {
    test(c.name, () => {
      const ferry = FERRY_READS[c.name]
      if (ferry && c.text !== undefined) {
        const sv = converter().toConnectHeader('topic', 'key', Buffer.from(c.text, 'utf8'))
        assert.equal(sv.schema?.type, ferry.schema.type)
        assert.deepEqual(sv.value, ferry.value)
        return
      }
      if (c.result !== undefined) {
        const bytes =
          c.text !== undefined ? Buffer.from(c.text, 'utf8') : c.base64 == null ? null : Buffer.from(c.base64, 'base64')
        const read = () => converter().toConnectHeader('topic', 'key', bytes)
        if (c.result.error !== undefined) {
          assert.throws(read, (e) => assertJavaError(e, c.result!.error!))
          return
        }
        const sv = read()
        if (c.result.nullResult) {
          // Apache returns no SchemaAndValue at all; Ferry returns the null one.
          assert.equal(sv, SchemaAndValue.NULL)
          return
        }
        assertSchema(sv.schema, c.result.schema)
        assertValue(sv.value, c.result.value ?? null)
        return
      }
      const schema = buildSchema(c.schema)
      const write = () => converter().fromConnectHeader('topic', 'key', schema, buildValue(schema, c.value ?? null))
      if (c.error !== undefined) {
        assert.throws(write, (e) => assertJavaError(e, c.error!))
        return
      }
      const bytes = write()
      assert.equal(bytes === null ? null : Buffer.from(bytes).toString('utf8'), c.bytes)
    })
  }
})

describe('SimpleHeaderConverter', () => {
  test('text that cannot be parsed falls back to the raw bytes as BYTES', () => {
    // Values.parseString reads a string for almost anything; the fallback is for its failures.
    const sv = converter().toConnectHeader('t', 'h', Buffer.from('hello'))
    assert.equal(sv.schema, Schema.STRING_SCHEMA)
  })

  test('a null value is a null header both ways', () => {
    assert.equal(converter().fromConnectHeader('t', 'h', Schema.OPTIONAL_STRING_SCHEMA, null), null)
    assert.equal(converter().toConnectHeader('t', 'h', null), SchemaAndValue.NULL)
  })

  test('config() is empty', () => {
    assert.equal(converter().config().names().size, 0)
  })
})
