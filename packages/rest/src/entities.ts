/**
 * Request bodies as Apache's Jackson reads them: scalars become strings where a string is expected, objects and
 * arrays there are rejected, unknown fields of an entity are rejected. Apache answers these with 500 and Jackson's
 * message; Ferry keeps the status and says what was wrong in the same words where it can.
 */
import type { ConnectorOffset, TargetState } from '@ferry/runtime'
import { badRequest, ConnectRestException } from './errors.ts'
import { numberText } from './request-body.ts'

const ENTITIES = 'org.apache.kafka.connect.runtime.rest.entities'

function tokenOf(value: unknown): string {
  if (Array.isArray(value)) return 'Array value (token `JsonToken.START_ARRAY`)'
  if (value !== null && typeof value === 'object') return 'Object value (token `JsonToken.START_OBJECT`)'
  if (typeof value === 'string') return 'String value (token `JsonToken.VALUE_STRING`)'
  if (typeof value === 'boolean') return 'Boolean value (token `JsonToken.VALUE_TRUE`)'
  return 'Number value (token `JsonToken.VALUE_NUMBER_INT`)'
}

function cannotDeserialize(type: string, value: unknown): ConnectRestException {
  return new ConnectRestException(500, `Cannot deserialize value of type \`${type}\` from ${tokenOf(value)}`)
}

/** The request had no body where one is required. */
export function missingBody(what: string): ConnectRestException {
  return new ConnectRestException(500, `The request body is missing: expected ${what}`)
}

/**
 * A JSON scalar as Jackson turns it into a Java String (null stays null): a number keeps the text it was written as
 * when `holder[key]` came from the request body.
 */
function asJavaString(value: unknown, where: string, holder?: object, key?: string): string | null {
  if (value === null) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number') return (holder && key !== undefined && numberText(holder, key)) || String(value)
  if (typeof value === 'boolean') return String(value)
  throw cannotDeserialize(where, value)
}

/** A `Map<String, String>` body (connector configs); values may be null. A null body is as good as none. */
export function stringMap(body: unknown): Record<string, string | null> {
  if (body === undefined || body === null) throw missingBody('a JSON object of config keys and string values')
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw cannotDeserialize('java.util.LinkedHashMap<java.lang.String,java.lang.String>', body)
  }
  const out: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(body)) {
    // defineProperty: a "__proto__" key is a config key like any other, not the object's prototype.
    Object.defineProperty(out, key, {
      value: asJavaString(value, 'java.lang.String', body, key),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

/** Java's `String.trim()`: strips characters up to U+0020 only (not U+00A0, U+2028 or other Unicode spaces). */
export function javaTrim(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && text.charCodeAt(start) <= 0x20) start++
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--
  return text.slice(start, end)
}

/**
 * The longest connector name Ferry creates, in characters once percent-encoded: its URLs (`/connectors/{name}/...`)
 * must fit in a request line, which Node limits to 16 KiB with the headers (Jetty, Apache's server, to 8 KiB).
 */
export const MAX_CONNECTOR_NAME_URL_LENGTH = 8192

/**
 * 400 for a name no URL can reach, so a connector that could never be read, changed or deleted is not created:
 * a lone UTF-16 surrogate (Apache creates it and answers 400 to every URL for it), `.` or `..` (URL clients resolve
 * them as dot segments, `%2E` included), or a name too long for a URL.
 */
export function checkAddressableName(name: string): void {
  if (name === '.' || name === '..') {
    throw badRequest(
      `Connector name ${name} is invalid: URL clients resolve it as a dot segment, so no URL can name it`,
    )
  }
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(name)
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase()
    throw badRequest(
      `Connector name is invalid: it has a lone UTF-16 surrogate (\\u${unit} at index ${lone.index}), which no URL can name`,
    )
  }
  const length = encodeURIComponent(name).length
  if (length > MAX_CONNECTOR_NAME_URL_LENGTH) {
    throw badRequest(
      `Connector name is too long: ${length} characters once URL-encoded, at most ${MAX_CONNECTOR_NAME_URL_LENGTH} (its URLs must fit in an HTTP request line)`,
    )
  }
}

/** Apache's CreateConnectorRequest: `{"name", "config", "initial_state"}`. */
export interface CreateConnectorRequest {
  name: string | null
  config: Record<string, string | null> | null
  initialState: TargetState | null
}

const INITIAL_STATES: Readonly<Record<string, TargetState>> = {
  RUNNING: 'STARTED',
  PAUSED: 'PAUSED',
  STOPPED: 'STOPPED',
}

export function createConnectorRequest(body: unknown): CreateConnectorRequest {
  if (body === undefined || body === null) throw missingBody('{"name": ..., "config": {...}}')
  const type = `${ENTITIES}.CreateConnectorRequest`
  if (typeof body !== 'object' || Array.isArray(body)) throw cannotDeserialize(type, body)
  const known = ['config', 'name', 'initial_state']
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) {
      throw new ConnectRestException(
        500,
        `Unrecognized field "${key}" (class ${type}), not marked as ignorable (3 known properties: "config", "name", "initial_state")`,
      )
    }
  }
  const raw = body as { name?: unknown; config?: unknown; initial_state?: unknown }
  const name = raw.name === undefined ? null : asJavaString(raw.name, 'java.lang.String', raw, 'name')
  const config = raw.config === undefined || raw.config === null ? null : stringMap(raw.config)
  let initialState: TargetState | null = null
  if (raw.initial_state !== undefined && raw.initial_state !== null) {
    const text = asJavaString(raw.initial_state, `${type}$InitialState`) ?? ''
    const state = INITIAL_STATES[text.toUpperCase()]
    if (!state) {
      throw new ConnectRestException(
        500,
        `Cannot construct instance of \`${type}$InitialState\`, problem: No enum constant ${type}.InitialState.${text.toUpperCase()}`,
      )
    }
    initialState = state
  }
  return { name, config, initialState }
}

/** Apache's ConnectorOffsets body for `PATCH /connectors/{c}/offsets`; null when `offsets` is missing. */
export function connectorOffsets(body: unknown): ConnectorOffset[] | null {
  if (body === undefined || body === null) return null
  const type = `${ENTITIES}.ConnectorOffsets`
  if (typeof body !== 'object' || Array.isArray(body)) throw cannotDeserialize(type, body)
  for (const key of Object.keys(body)) {
    if (key !== 'offsets') {
      throw new ConnectRestException(
        500,
        `Unrecognized field "${key}" (class ${type}), not marked as ignorable (one known property: "offsets")`,
      )
    }
  }
  const offsets = (body as { offsets?: unknown }).offsets
  if (offsets === undefined || offsets === null) return null
  if (!Array.isArray(offsets)) throw cannotDeserialize(`java.util.ArrayList<${ENTITIES}.ConnectorOffset>`, offsets)
  return offsets.map((entry) => {
    const offsetType = `${ENTITIES}.ConnectorOffset`
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw cannotDeserialize(offsetType, entry)
    for (const key of Object.keys(entry)) {
      if (key !== 'partition' && key !== 'offset') {
        throw new ConnectRestException(
          500,
          `Unrecognized field "${key}" (class ${offsetType}), not marked as ignorable (2 known properties: "offset", "partition")`,
        )
      }
    }
    const { partition, offset } = entry as { partition?: unknown; offset?: unknown }
    const map = (value: unknown): Record<string, unknown> | null => {
      if (value === undefined || value === null) return null
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw cannotDeserialize('java.util.LinkedHashMap<java.lang.String,java.lang.Object>', value)
      }
      return value as Record<string, unknown>
    }
    return { partition: map(partition) as Record<string, unknown>, offset: map(offset) }
  })
}

/** Java's `Boolean.parseBoolean` for query parameters, with a default when absent. */
export function queryBoolean(value: unknown, fallback: boolean): boolean {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return fallback
  return String(text).toLowerCase() === 'true'
}

/** A JAX-RS `Integer` path parameter; anything else is a 404, as Jersey answers it. */
export function pathInteger(value: string): number | null {
  if (!/^[+-]?\d+$/.test(value)) return null
  const n = Number(value)
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : null
}
