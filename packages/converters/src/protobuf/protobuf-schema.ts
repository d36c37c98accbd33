/**
 * A Protobuf schema as the registry holds it (Confluent's `ProtobufSchema`): the text of one .proto file, the files it
 * imports (schema references, or built-in files: see well-known.ts), parsed with protobufjs into one resolved root.
 * Its name is its first message's full name (what the RecordName strategies use); a payload names its message by
 * message indexes (message-indexes.ts), resolved here.
 *
 * The text is .proto source; a base64 `FileDescriptorProto` (what Confluent's JavaScript serializer registers) is
 * read too.
 */
import { DataException } from '@ferry/api'
import protobuf from 'protobufjs'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { loadWellKnown } from './well-known.ts'

const PARSE_OPTIONS = { keepCase: true }

export class ProtobufSchema {
  /** The file's text, as registered. */
  readonly text: string
  /** The root holding this file, its imports and their types, resolved. */
  readonly root: protobuf.Root
  /** The file's package ('' when none). */
  readonly packageName: string
  /** `proto2` or `proto3`. */
  readonly syntax: 'proto2' | 'proto3'
  /** The file's top-level messages, in order. */
  readonly messages: readonly protobuf.Type[]
  /** The message Connect data is written as (the first one, unless the schema was made for another). */
  readonly message: protobuf.Type

  constructor(
    text: string,
    root: protobuf.Root,
    packageName: string,
    syntax: 'proto2' | 'proto3',
    messages: protobuf.Type[],
    message?: protobuf.Type,
  ) {
    this.text = text
    this.root = root
    this.packageName = packageName
    this.syntax = syntax
    this.messages = messages
    const first = message ?? messages[0]
    if (first === undefined) throw new DataException('The Protobuf schema has no message')
    this.message = first
  }

  /** The first message's full name (`package.Name`): the schema's name. */
  name(): string {
    return fullName(this.message)
  }

  /** The message at `indexes` (see message-indexes.ts). */
  messageAt(indexes: readonly number[]): protobuf.Type {
    let candidates: readonly protobuf.Type[] = this.messages
    let found: protobuf.Type | undefined
    for (const index of indexes) {
      found = candidates[index]
      if (found === undefined)
        throw new DataException(
          `Protobuf message index ${index} out of range: the schema has ${candidates.length} message(s) there`,
        )
      candidates = nestedMessages(found)
    }
    if (found === undefined) throw new DataException('Empty Protobuf message indexes')
    return found
  }

  /** The message indexes of `type` in this file. */
  indexesOf(type: protobuf.Type): number[] {
    const path: number[] = []
    let current: protobuf.Type = type
    for (;;) {
      const parent = current.parent
      if (parent instanceof protobuf.Type) {
        path.unshift(nestedMessages(parent).indexOf(current))
        current = parent
      } else {
        path.unshift(this.messages.indexOf(current))
        break
      }
    }
    if (path.some((i) => i < 0)) throw new DataException(`The Protobuf message ${fullName(type)} is not in the schema`)
    return path
  }
}

/** The full name of a type, without protobufjs's leading dot. */
export function fullName(type: protobuf.ReflectionObject): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName
}

function nestedMessages(type: protobuf.Type): protobuf.Type[] {
  return type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)
}

/**
 * Parses `text` with the files it imports: `references` by import name (the texts of schema references), else the
 * built-in files. An import that is neither is a DataException naming it.
 */
export function parseProtobufSchema(text: string, references: ReadonlyMap<string, string> = new Map()): ProtobufSchema {
  const root = new protobuf.Root()
  const loaded = new Set<string>()
  try {
    const file = isDescriptorText(text) ? descriptorFile(text) : null
    const source = file === null ? text : null
    const own = source !== null ? protobuf.parse(source, new protobuf.Root(), PARSE_OPTIONS) : null
    const imports = own !== null ? [...(own.imports ?? []), ...(own.weakImports ?? [])] : (file?.dependency ?? [])
    for (const name of imports) loadFile(root, name, references, loaded)
    let packageName: string
    let syntax: 'proto2' | 'proto3'
    let topNames: string[]
    if (own !== null && source !== null) {
      protobuf.parse(source, root, PARSE_OPTIONS)
      packageName = own.package ?? ''
      syntax = /^\s*syntax\s*=\s*["']proto3["']/m.test(source) ? 'proto3' : 'proto2'
      const ns = packageName === '' ? own.root : own.root.lookup(packageName)
      topNames =
        ns instanceof protobuf.Namespace
          ? ns.nestedArray.filter((n) => n instanceof protobuf.Type).map((n) => n.name)
          : []
    } else {
      const fd = file as DescriptorFile
      addDescriptor(root, fd)
      packageName = fd.package
      syntax = fd.syntax === 'proto3' ? 'proto3' : 'proto2'
      topNames = fd.messageNames
    }
    root.resolveAll()
    const messages = topNames.map((n) => root.lookupType(packageName === '' ? n : `${packageName}.${n}`))
    return new ProtobufSchema(text, root, packageName, syntax, messages)
  } catch (e) {
    if (e instanceof DataException) throw e
    throw new DataException(`Invalid Protobuf schema: ${e instanceof Error ? e.message : String(e)}`, e)
  }
}

function loadFile(
  root: protobuf.Root,
  name: string,
  references: ReadonlyMap<string, string>,
  loaded: Set<string>,
): void {
  if (loaded.has(name)) return
  loaded.add(name)
  const text = references.get(name)
  if (text !== undefined) {
    if (isDescriptorText(text)) {
      const fd = descriptorFile(text)
      for (const dep of fd.dependency) loadFile(root, dep, references, loaded)
      addDescriptor(root, fd)
      return
    }
    const parsed = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS)
    for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])])
      loadFile(root, dep, references, loaded)
    protobuf.parse(text, root, PARSE_OPTIONS)
    return
  }
  if (!loadWellKnown(root, name))
    throw new DataException(
      `The Protobuf schema imports ${name}, which is neither a schema reference nor a file Ferry knows (google/protobuf/*, google/type/date.proto, google/type/timeofday.proto, confluent/meta.proto, confluent/type/decimal.proto)`,
    )
}

// A FileDescriptorProto, base64: what Confluent's JavaScript serializer registers.

interface DescriptorFile {
  proto: Record<string, unknown>
  package: string
  syntax: string
  dependency: string[]
  messageNames: string[]
}

/**
 * Adds the types of a FileDescriptorProto to `root`. protobufjs's `Root.fromDescriptor` resolves the types it builds
 * at once, which fails for types of other files (imports): resolving is held back for that call and done by the
 * caller on `root`, which holds the imports.
 */
function addDescriptor(root: protobuf.Root, fd: DescriptorFile): void {
  const prototype = protobuf.Root.prototype as unknown as { resolveAll(): protobuf.Root }
  const resolveAll = prototype.resolveAll
  let built: protobuf.Root
  prototype.resolveAll = function unresolved(this: protobuf.Root) {
    return this
  }
  try {
    built = (protobuf.Root as unknown as { fromDescriptor(d: unknown, o: unknown): protobuf.Root }).fromDescriptor(
      { file: [fd.proto] },
      { keepCase: true },
    )
  } finally {
    prototype.resolveAll = resolveAll
  }
  const ns = fd.package === '' ? built : built.lookup(fd.package)
  if (ns instanceof protobuf.Namespace)
    for (const nested of ns.nestedArray) (nested as unknown as { _edition: string })._edition = fd.syntax
  for (const nested of [...built.nestedArray]) {
    built.remove(nested)
    mergeInto(root, nested)
  }
}

/** Adds `object` to `into`, merging namespaces that exist already (two files of one package). */
function mergeInto(into: protobuf.Namespace, object: protobuf.ReflectionObject): void {
  const existing = into.get(object.name)
  if (
    existing instanceof protobuf.Namespace &&
    !(existing instanceof protobuf.Type) &&
    object instanceof protobuf.Namespace &&
    !(object instanceof protobuf.Type)
  ) {
    for (const nested of [...object.nestedArray]) {
      object.remove(nested)
      mergeInto(existing, nested)
    }
    return
  }
  into.add(object)
}

function isDescriptorText(text: string): boolean {
  return !/[\s;{]/.test(text.trim()) && /^[A-Za-z0-9+/=_-]+$/.test(text.trim())
}

function descriptorFile(text: string): DescriptorFile {
  const FileDescriptorProto = (descriptor as unknown as { FileDescriptorProto: protobuf.Type }).FileDescriptorProto
  const message = FileDescriptorProto.decode(Buffer.from(text.trim(), 'base64'))
  const proto = FileDescriptorProto.toObject(message, { defaults: false }) as Record<string, unknown>
  const types = (proto.messageType as { name: string }[] | undefined) ?? []
  return {
    proto: message as unknown as Record<string, unknown>,
    package: (proto.package as string | undefined) ?? '',
    syntax: (proto.syntax as string | undefined) ?? 'proto2',
    dependency: (proto.dependency as string[] | undefined) ?? [],
    messageNames: types.map((t) => t.name),
  }
}
