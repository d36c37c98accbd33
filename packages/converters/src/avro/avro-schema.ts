/**
 * Avro schemas as Ferry's Avro converter holds them: a tree of `AvroNode`s parsed from (or written to) the JSON of
 * the Avro specification, with the attributes Avro does not define (`connect.name`, `logicalType`, ...) kept in order
 * as properties. Named types (record, enum, fixed) used twice are the same node.
 *
 * `writeSchema` writes the text exactly as Java's `org.apache.avro.Schema.toString()` does (attribute order, a named
 * type written in full once and by name after that, namespaces relative to the enclosing one), so a schema Ferry
 * registers is the text Confluent's Java converter registers for the same Connect schema.
 */
import { DataException } from '@ferry/api'

export type PrimitiveKind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

export interface AvroField {
  name: string
  type: AvroNode
  doc: string | null
  /** The default as JSON; `undefined`: none. */
  default: unknown
  props: Map<string, unknown>
}

export type AvroNode =
  | { kind: PrimitiveKind; props: Map<string, unknown> }
  | {
      kind: 'record'
      name: string
      namespace: string | null
      doc: string | null
      fields: AvroField[]
      props: Map<string, unknown>
    }
  | {
      kind: 'enum'
      name: string
      namespace: string | null
      doc: string | null
      symbols: string[]
      default: string | null
      props: Map<string, unknown>
    }
  | {
      kind: 'fixed'
      name: string
      namespace: string | null
      doc: string | null
      size: number
      props: Map<string, unknown>
    }
  | { kind: 'array'; items: AvroNode; props: Map<string, unknown> }
  | { kind: 'map'; values: AvroNode; props: Map<string, unknown> }
  | { kind: 'union'; types: AvroNode[]; props: Map<string, unknown> }

export type NamedNode = Extract<AvroNode, { kind: 'record' | 'enum' | 'fixed' }>

const PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
])

export function isNamed(node: AvroNode): node is NamedNode {
  return node.kind === 'record' || node.kind === 'enum' || node.kind === 'fixed'
}

export function fullName(node: NamedNode): string {
  return node.namespace ? `${node.namespace}.${node.name}` : node.name
}

export function primitive(kind: PrimitiveKind): AvroNode {
  return { kind, props: new Map() }
}

/** A property of `node` (`connect.name`, `logicalType`, ...), or undefined. */
export function prop(node: AvroNode, name: string): unknown {
  return node.props.get(name)
}

// --- parsing -------------------------------------------------------------------------------------------------------

const RESERVED: Readonly<Record<string, ReadonlySet<string>>> = {
  record: new Set(['type', 'name', 'namespace', 'doc', 'fields', 'aliases']),
  enum: new Set(['type', 'name', 'namespace', 'doc', 'symbols', 'aliases', 'default']),
  fixed: new Set(['type', 'name', 'namespace', 'doc', 'size', 'aliases']),
  array: new Set(['type', 'items']),
  map: new Set(['type', 'values']),
  primitive: new Set(['type']),
}
const FIELD_RESERVED: ReadonlySet<string> = new Set(['name', 'type', 'doc', 'default', 'order', 'aliases'])

function propsOf(json: Record<string, unknown>, reserved: ReadonlySet<string>): Map<string, unknown> {
  const props = new Map<string, unknown>()
  for (const [k, v] of Object.entries(json)) if (!reserved.has(k)) props.set(k, v)
  return props
}

/** Parses Avro schema JSON text; `named` holds the named types already known (referenced schemas), by full name. */
export function parseSchema(text: string, named: Map<string, NamedNode> = new Map()): AvroNode {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new DataException(`Invalid Avro schema: ${(e as Error).message}`)
  }
  return parseNode(json, null, named)
}

function splitFull(name: string, namespace: string | null): { name: string; namespace: string | null } {
  const dot = name.lastIndexOf('.')
  if (dot >= 0) return { name: name.slice(dot + 1), namespace: name.slice(0, dot) || null }
  return { name, namespace }
}

function parseNode(json: unknown, namespace: string | null, named: Map<string, NamedNode>): AvroNode {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return primitive(json as PrimitiveKind)
    const found =
      (json.includes('.') ? named.get(json) : undefined) ??
      (namespace ? named.get(`${namespace}.${json}`) : undefined) ??
      named.get(json)
    if (found === undefined) throw new DataException(`Invalid Avro schema: undefined name: ${json}`)
    return found
  }
  if (Array.isArray(json))
    return { kind: 'union', types: json.map((t) => parseNode(t, namespace, named)), props: new Map() }
  if (json === null || typeof json !== 'object')
    throw new DataException(`Invalid Avro schema: not a schema: ${JSON.stringify(json)}`)
  const obj = json as Record<string, unknown>
  const type = obj.type
  if (typeof type !== 'string') return parseNode(type, namespace, named)
  if (PRIMITIVES.has(type)) return { kind: type as PrimitiveKind, props: propsOf(obj, RESERVED.primitive!) }
  switch (type) {
    case 'record':
    case 'error': {
      const names = namedParts(obj, namespace)
      const node: NamedNode = {
        kind: 'record',
        ...names,
        doc: typeof obj.doc === 'string' ? obj.doc : null,
        fields: [],
        props: propsOf(obj, RESERVED.record!),
      }
      named.set(fullName(node), node)
      if (!Array.isArray(obj.fields))
        throw new DataException(`Invalid Avro schema: record ${fullName(node)} has no fields`)
      for (const f of obj.fields as Array<Record<string, unknown>>) {
        node.fields.push({
          name: String(f.name),
          type: parseNode(f.type, names.namespace, named),
          doc: typeof f.doc === 'string' ? f.doc : null,
          default: f.default,
          props: propsOf(f, FIELD_RESERVED),
        })
      }
      return node
    }
    case 'enum': {
      const node: NamedNode = {
        kind: 'enum',
        ...namedParts(obj, namespace),
        doc: typeof obj.doc === 'string' ? obj.doc : null,
        symbols: (obj.symbols as string[]) ?? [],
        default: typeof obj.default === 'string' ? obj.default : null,
        props: propsOf(obj, RESERVED.enum!),
      }
      named.set(fullName(node), node)
      return node
    }
    case 'fixed': {
      const node: NamedNode = {
        kind: 'fixed',
        ...namedParts(obj, namespace),
        doc: typeof obj.doc === 'string' ? obj.doc : null,
        size: Number(obj.size),
        props: propsOf(obj, RESERVED.fixed!),
      }
      named.set(fullName(node), node)
      return node
    }
    case 'array':
      return { kind: 'array', items: parseNode(obj.items, namespace, named), props: propsOf(obj, RESERVED.array!) }
    case 'map':
      return { kind: 'map', values: parseNode(obj.values, namespace, named), props: propsOf(obj, RESERVED.map!) }
    default:
      return parseNode(type, namespace, named)
  }
}

function namedParts(obj: Record<string, unknown>, namespace: string | null) {
  const name = String(obj.name)
  if (name.includes('.')) return splitFull(name, null)
  const ns = typeof obj.namespace === 'string' ? obj.namespace || null : namespace
  return { name, namespace: ns }
}

// --- writing -------------------------------------------------------------------------------------------------------

/** The schema's text as Java's `Schema.toString()` writes it. */
export function writeSchema(node: AvroNode): string {
  return write(node, new Map(), null)
}

function write(node: AvroNode, names: Map<string, NamedNode>, space: string | null): string {
  switch (node.kind) {
    case 'union':
      return `[${node.types.map((t) => write(t, names, space)).join(',')}]`
    case 'array':
      return `{"type":"array","items":${write(node.items, names, space)}${writeProps(node.props)}}`
    case 'map':
      return `{"type":"map","values":${write(node.values, names, space)}${writeProps(node.props)}}`
    case 'record':
    case 'enum':
    case 'fixed': {
      const full = fullName(node)
      const known = names.get(full)
      if (known !== undefined) {
        if (known !== node) throw new DataException(`Can't redefine: ${full}`)
        return JSON.stringify(node.namespace === null || node.namespace === space ? node.name : full)
      }
      names.set(full, node)
      let out = `{"type":"${node.kind}","name":${JSON.stringify(node.name)}`
      if (node.namespace !== null) {
        if (node.namespace !== space) out += `,"namespace":${JSON.stringify(node.namespace)}`
      } else if (space !== null) out += ',"namespace":""'
      if (node.doc !== null) out += `,"doc":${JSON.stringify(node.doc)}`
      if (node.kind === 'record') {
        const inner = node.namespace
        out += `,"fields":[${node.fields
          .map((f) => {
            let field = `{"name":${JSON.stringify(f.name)},"type":${write(f.type, names, inner)}`
            if (f.doc !== null) field += `,"doc":${JSON.stringify(f.doc)}`
            if (f.default !== undefined) field += `,"default":${JSON.stringify(f.default)}`
            return `${field}${writeProps(f.props)}}`
          })
          .join(',')}]`
      } else if (node.kind === 'enum') {
        out += `,"symbols":${JSON.stringify(node.symbols)}`
        if (node.default !== null) out += `,"default":${JSON.stringify(node.default)}`
      } else out += `,"size":${node.size}`
      return `${out}${writeProps(node.props)}}`
    }
    default:
      if (node.props.size === 0) return JSON.stringify(node.kind)
      return `{"type":"${node.kind}"${writeProps(node.props)}}`
  }
}

function writeProps(props: Map<string, unknown>): string {
  let out = ''
  for (const [k, v] of props) out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`
  return out
}
