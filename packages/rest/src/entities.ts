/**
 * Request bodies as Apache's Jackson reads them: scalars become strings where a string is expected, objects and
 * arrays there are rejected, unknown fields of an entity are rejected. Apache answers these with 500 and Jackson's
 * message; Ferry keeps the status and says what was wrong in the same words where it can.
 */
import type { ConnectorOffset, TargetState } from '@ferry/runtime'
import { ConnectRestException } from './errors.ts'

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

/** A JSON scalar as Jackson turns it into a Java String (null stays null). */
function asJavaString(value: unknown, where: string): string | null {
  if (value === null) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw cannotDeserialize(where, value)
}

/** A `Map<String, String>` body (connector configs); values may be null. */
export function stringMap(body: unknown): Record<string, string | null> {
  if (body === undefined) throw missingBody('a JSON object of config keys and string values')
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw cannotDeserialize('java.util.LinkedHashMap<java.lang.String,java.lang.String>', body)
  }
  const out: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(body)) out[key] = asJavaString(value, 'java.lang.String')
  return out
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
  if (body === undefined) throw missingBody('{"name": ..., "config": {...}}')
  const type = `${ENTITIES}.CreateConnectorRequest`
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw cannotDeserialize(type, body)
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
  const name = raw.name === undefined ? null : asJavaString(raw.name, 'java.lang.String')
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
