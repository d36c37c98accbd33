/**
 * Apache's `FieldSyntaxVersion` and `SingleFieldPath` (KIP-821): `V1` paths name a top-level field; `V2` paths are
 * dotted (`a.b.c`), with backticks around a name that contains dots (`` `a.b`.c ``) and a backslash before a backtick
 * that is part of a name.
 */
import {
  type AbstractConfig,
  CaseInsensitiveValidString,
  type ConfigDef,
  ConfigException,
  type Field,
  type Schema,
  type Struct,
} from '@ferry/api'
import type { AnyMap } from './maps.ts'
import { mapGet } from './maps.ts'
import { requireMapOrNull, requireStructOrNull } from './requirements.ts'

export type FieldSyntaxVersion = 'V1' | 'V2'

export const FIELD_SYNTAX_VERSION_CONFIG = 'field.syntax.version'
export const FIELD_SYNTAX_VERSION_DOC =
  'Defines the version of the syntax to access fields. If set to <code>V1</code>, then the field paths are limited to access the elements at the root level of the struct or map. If set to <code>V2</code>, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield <code>baz</code> from a field named "foo.bar" in a struct/map the following format can be used to access its elements: "<code>foo.bar</code>.baz".'

/** Adds `field.syntax.version` (default `V1`) to a ConfigDef. */
export function appendFieldSyntaxVersion(def: ConfigDef): ConfigDef {
  return def.define({
    name: FIELD_SYNTAX_VERSION_CONFIG,
    type: 'STRING',
    defaultValue: 'V1',
    validator: CaseInsensitiveValidString.in('V1', 'V2'),
    importance: 'HIGH',
    documentation: FIELD_SYNTAX_VERSION_DOC,
  })
}

export function fieldSyntaxVersionFromConfig(config: AbstractConfig): FieldSyntaxVersion {
  const value = config.getString(FIELD_SYNTAX_VERSION_CONFIG)!
  const upper = value.toUpperCase()
  if (upper === 'V1' || upper === 'V2') return upper
  throw new ConfigException(FIELD_SYNTAX_VERSION_CONFIG, value, 'Unrecognized field syntax version')
}

const BACKTICK = '`'
const DOT = '.'
const BACKSLASH = '\\'

function failWhenIncompleteBacktickPair(path: string, backtickAt: number): never {
  throw new ConfigException(
    `Incomplete backtick pair in path: [${path}], consider adding a backslash before backtick at position ${backtickAt} to escape it`,
  )
}

function buildFieldPathV2(path: string): string[] {
  const steps: string[] = []
  let idx = 0
  while (idx < path.length && idx >= 0) {
    if (path.charAt(idx) !== BACKTICK) {
      const start = idx
      idx = path.indexOf(DOT, idx)
      if (idx >= 0) {
        steps.push(path.substring(start, idx))
        idx++
      } else {
        steps.push(path.substring(start))
      }
    } else {
      const backtickAt = idx
      idx++
      let field = ''
      let start = idx
      while (true) {
        idx = path.indexOf(BACKTICK, idx)
        if (idx === -1) failWhenIncompleteBacktickPair(path, backtickAt)
        const escaped = path.charAt(idx - 1) === BACKSLASH
        if (idx >= path.length - 1) {
          if (escaped) failWhenIncompleteBacktickPair(path, backtickAt)
          field += path.substring(start, idx)
          steps.push(field)
          idx++
          break
        }
        if (path.charAt(idx + 1) !== DOT) {
          idx++
          continue
        }
        if (escaped) {
          field += path.substring(start, idx - 1) + BACKTICK
          idx++
          start = idx
          continue
        }
        field += path.substring(start, idx)
        steps.push(field)
        idx += 2
        break
      }
    }
  }
  if (path.length > 0 && path.charAt(path.length - 1) === DOT) steps.push('')
  return steps
}

/** A path to a (possibly nested) field of a Struct or a schemaless map. */
export class SingleFieldPath {
  readonly version: FieldSyntaxVersion
  readonly steps: readonly string[]
  /** The steps to the field's parent, and the field's own step: read for every record, so computed once. */
  readonly #parents: readonly string[]
  readonly #last: string

  constructor(pathText: string, version: FieldSyntaxVersion) {
    this.version = version
    this.steps = Object.freeze(version === 'V1' ? [pathText] : buildFieldPathV2(pathText))
    this.#parents = Object.freeze(this.steps.slice(0, -1))
    this.#last = this.steps[this.steps.length - 1]!
  }

  /** The field at this path in a STRUCT schema, or null. */
  fieldFrom(schema: Schema | null): Field | null {
    if (schema == null) return null
    let current = schema
    for (const step of this.#parents) {
      const field = current.field(step)
      if (field === null) return null
      current = field.schema
    }
    return current.field(this.#last)
  }

  /** The value at this path in a Struct (defaults applied unless `withDefault` is false), or null. */
  valueFromStruct(struct: Struct | null, withDefault = true): unknown {
    if (struct == null) return null
    let current: Struct | null = struct
    for (const step of this.#parents) {
      if (current.schema.field(step) === null) return null
      current = requireStructOrNull(current.get(step), 'nested field access')
      if (current === null) return null
    }
    const last = this.#last
    if (current.schema.field(last) === null) return null
    return withDefault ? current.get(last) : current.getWithoutDefault(last)
  }

  /** The value at this path in a schemaless map, or null. */
  valueFromMap(map: AnyMap | null): unknown {
    if (map == null) return null
    let current: AnyMap | null = map
    for (const step of this.#parents) {
      current = requireMapOrNull(mapGet(current, step), 'nested field access')
      if (current === null) return null
    }
    return mapGet(current, this.#last)
  }

  toString(): string {
    return `SingleFieldPath{version=${this.version}, path=${this.steps.join('.')}}`
  }
}
