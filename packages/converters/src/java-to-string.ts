/**
 * Java's `Object.toString()` of Connect values, as Apache's StringConverter writes them (`value.toString()`):
 * FLOAT32/FLOAT64 as `Float.toString`/`Double.toString`, lists `[a, b]`, maps `{k=v}`, structs `Struct{a=1}`,
 * decimals as `BigDecimal.toString()`, dates as `java.util.Date.toString()` in UTC (`Tue Nov 14 22:13:20 UTC 2023`).
 *
 * JS has one number type: with a FLOAT32 / FLOAT64 schema a number prints as Java's float / double; without a schema
 * an integral number prints as an integer (`1`) and any other number as a double. Bytes print as their values
 * (`[1, 2]`), where Java would print an identity hash (`[B@1b6d3586`).
 */
import { BigDecimal, javaDoubleToString, javaFloatToString, type Schema, Struct } from '@ferry/api'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`
}

/** `java.util.Date.toString()` with the UTC time zone. */
export function javaDateToString(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'Invalid Date'
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad2(date.getUTCDate())} ${pad2(date.getUTCHours())}:${pad2(
    date.getUTCMinutes(),
  )}:${pad2(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`
}

/** Java's `double` / `float` / integer text of a number, by schema type when there is one. */
function numberToString(value: number, schema: Schema | null): string {
  if (schema !== null) {
    if (schema.type === 'FLOAT64') return Number.isFinite(value) ? javaDoubleToString(value) : String(value)
    if (schema.type === 'FLOAT32') {
      const f = Math.fround(value)
      return Number.isFinite(f) ? javaFloatToString(f) : String(f)
    }
    if (Number.isInteger(value)) return `${value === 0 ? 0 : value}`
  }
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return `${value}`
  return Number.isFinite(value) ? javaDoubleToString(value) : String(value)
}

/** Java's `String.valueOf(value)` for a Connect value; `schema` (may be null) tells FLOAT32 from FLOAT64. */
export function javaToString(value: unknown, schema: Schema | null = null): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
      return numberToString(value, schema)
    case 'bigint':
    case 'boolean':
      return String(value)
    case 'undefined':
      return 'null'
  }
  if (value === null) return 'null'
  if (value instanceof Date) return javaDateToString(value)
  if (value instanceof BigDecimal || value instanceof Struct) return value.toString()
  if (value instanceof Uint8Array) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + ((value[i]! << 24) >> 24)
    return `${out}]`
  }
  if (Array.isArray(value)) {
    const element = schema?.type === 'ARRAY' ? schema.valueSchema() : null
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + javaToString(value[i], element)
    return `${out}]`
  }
  if (value instanceof Map || isPlainObject(value)) {
    const isMap = schema?.type === 'MAP'
    const keySchema = isMap ? schema.keySchema() : null
    const valueSchema = isMap ? schema.valueSchema() : null
    const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value : Object.entries(value)
    let out = '{'
    let first = true
    for (const [k, v] of entries) {
      out += `${first ? '' : ', '}${javaToString(k, keySchema)}=${javaToString(v, valueSchema)}`
      first = false
    }
    return `${out}}`
  }
  return String(value)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
