/**
 * The file Apache's standalone `FileOffsetBackingStore` keeps: a `java.util.HashMap<byte[], byte[]>` written with
 * `ObjectOutputStream` (Java Object Serialization Stream Protocol, version 5). Keys and values are the JSON bytes
 * of the offsets topic's records (`["connector",{partition}]` and `{offset}`); a null value is a removed offset.
 *
 * ```
 * AC ED 00 05                                  magic, version
 * 73 72 0011 "java.util.HashMap"               TC_OBJECT, TC_CLASSDESC, name (handle 0x7E0000)
 *    0507DAC1C31660D1 03 0002                  serialVersionUID, SC_WRITE_METHOD|SC_SERIALIZABLE, 2 fields
 *    46 000A "loadFactor"  49 0009 "threshold" float and int fields
 *    78 70                                     end of class annotations, no superclass
 *    3F400000 <threshold:int>                  the field values (object handle 0x7E0001)
 *    77 08 <buckets:int> <size:int>            HashMap.writeObject's block data
 *    size × (<key> <value>)                    each a byte[] or TC_NULL
 * 78                                           TC_ENDBLOCKDATA
 *
 * byte[]: 75 72 0002 "[B" ACF317F8060854E0 02 0000 78 70 <length:int> <bytes>   (the class the first time, 0x7E0002)
 *         75 71 007E0002 <length:int> <bytes>                                    (a reference to it afterwards)
 * ```
 *
 * The reader takes what any Java version writes for this map (class descriptors by value or by reference, byte
 * arrays shared by reference, block data split anywhere); anything else (another class, a corrupt stream) is an
 * error saying what was found.
 */
import { grownCapacity } from '../java/hash-order.ts'

const MAGIC = 0xaced
const VERSION = 5
const TC_NULL = 0x70
const TC_REFERENCE = 0x71
const TC_CLASSDESC = 0x72
const TC_OBJECT = 0x73
const TC_STRING = 0x74
const TC_ARRAY = 0x75
const TC_BLOCKDATA = 0x77
const TC_ENDBLOCKDATA = 0x78
const TC_BLOCKDATALONG = 0x7a
const TC_LONGSTRING = 0x7c
const BASE_HANDLE = 0x7e0000

const HASH_MAP = 'java.util.HashMap'
const HASH_MAP_UID = Buffer.from('0507dac1c31660d1', 'hex')
const BYTE_ARRAY = '[B'
const BYTE_ARRAY_UID = Buffer.from('acf317f8060854e0', 'hex')

/** Whether the bytes start as a Java serialisation stream does. */
export function isJavaSerialized(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt16BE(0) === MAGIC
}

/** A stream that is not the map this module reads; the message says what was found and where. */
export class JavaSerializationError extends Error {
  override name = 'JavaSerializationError'
}

interface ClassDesc {
  name: string
  fields: Array<{ type: string; name: string }>
}

/** The entries of a serialised `HashMap<byte[], byte[]>`, in the stream's order (null keys and values kept). */
export function readSerializedByteArrayMap(bytes: Buffer): Array<[Buffer | null, Buffer | null]> {
  let pos = 0
  const handles: unknown[] = []
  const fail = (message: string): never => {
    throw new JavaSerializationError(`${message} at byte ${pos}`)
  }
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('the stream ends early')
  }
  const u8 = () => {
    need(1)
    return bytes[pos++]!
  }
  const u16 = () => {
    need(2)
    pos += 2
    return bytes.readUInt16BE(pos - 2)
  }
  const i32 = () => {
    need(4)
    pos += 4
    return bytes.readInt32BE(pos - 4)
  }
  const i64 = () => {
    need(8)
    pos += 8
    return Number(bytes.readBigInt64BE(pos - 8))
  }
  const utf = (length: number) => {
    need(length)
    pos += length
    return bytes.toString('utf8', pos - length, pos)
  }
  const newHandle = (value: unknown) => handles.push(value) - 1
  const reference = (): unknown => {
    const handle = i32() - BASE_HANDLE
    if (handle < 0 || handle >= handles.length) fail(`unknown object reference ${handle + BASE_HANDLE}`)
    return handles[handle]
  }
  // Primitive data written by HashMap.writeObject comes in block data records, which may split it anywhere.
  let block = Buffer.alloc(0)
  const blockInt = () => {
    while (block.length < 4) {
      const tc = u8()
      const length =
        tc === TC_BLOCKDATA
          ? u8()
          : tc === TC_BLOCKDATALONG
            ? i32()
            : fail(`expected block data, found 0x${tc.toString(16)}`)
      need(length)
      block = Buffer.concat([block, bytes.subarray(pos, pos + length)])
      pos += length
    }
    const value = block.readInt32BE(0)
    block = block.subarray(4)
    return value
  }
  const classDesc = (): ClassDesc | null => {
    const tc = u8()
    if (tc === TC_NULL) return null
    if (tc === TC_REFERENCE) {
      const desc = reference() as ClassDesc
      if (typeof desc?.name !== 'string') fail('a reference to something that is not a class')
      return desc
    }
    if (tc !== TC_CLASSDESC) return fail(`expected a class descriptor, found 0x${tc.toString(16)}`)
    const name = utf(u16())
    need(9)
    pos += 9 // serialVersionUID, flags
    const desc: ClassDesc = { name, fields: [] }
    newHandle(desc)
    const count = u16()
    for (let i = 0; i < count; i++) {
      const type = String.fromCharCode(u8())
      const fieldName = utf(u16())
      if (type === 'L' || type === '[') content() // the field's class name, a string
      desc.fields.push({ type, name: fieldName })
    }
    skipAnnotations()
    if (classDesc() !== null) fail(`${name} has a superclass, which ${HASH_MAP} and byte[] do not`)
    return desc
  }
  const skipAnnotations = () => {
    for (;;) {
      const tc = bytes[pos]
      if (tc === TC_ENDBLOCKDATA) {
        pos++
        return
      }
      if (tc === TC_BLOCKDATA) {
        pos++
        pos += u8()
      } else content()
    }
  }
  const content = (): unknown => {
    const tc = u8()
    switch (tc) {
      case TC_NULL:
        return null
      case TC_REFERENCE:
        return reference()
      case TC_STRING:
      case TC_LONGSTRING: {
        const length = tc === TC_STRING ? u16() : i64()
        const s = utf(length)
        newHandle(s)
        return s
      }
      case TC_ARRAY: {
        const desc = classDesc()
        if (desc?.name !== BYTE_ARRAY) return fail(`expected byte[] keys and values, found an array of ${desc?.name}`)
        const length = i32()
        need(length)
        const array = Buffer.from(bytes.subarray(pos, pos + length))
        pos += length
        newHandle(array)
        return array
      }
      case TC_OBJECT: {
        const desc = classDesc()
        return fail(`expected byte[] keys and values, found an object of class ${desc?.name}`)
      }
      default:
        return fail(`unexpected type code 0x${tc.toString(16)}`)
    }
  }

  if (bytes.length < 4 || bytes.readUInt16BE(0) !== MAGIC) fail('not a Java serialisation stream')
  pos = 2
  if (u16() !== VERSION) fail('not version 5 of the Java serialisation protocol')
  if (u8() !== TC_OBJECT) fail(`expected a ${HASH_MAP}`)
  const desc = classDesc()
  if (desc?.name !== HASH_MAP) fail(`expected a ${HASH_MAP}, found ${desc?.name ?? 'null'}`)
  newHandle(null)
  for (const field of desc!.fields) {
    const size = { B: 1, Z: 1, C: 2, S: 2, I: 4, F: 4, J: 8, D: 8 }[field.type]
    if (size === undefined) fail(`unexpected ${HASH_MAP} field ${field.name}`)
    need(size!)
    pos += size!
  }
  blockInt() // buckets
  const size = blockInt()
  if (size < 0) fail(`a negative map size ${size}`)
  const entries: Array<[Buffer | null, Buffer | null]> = []
  for (let i = 0; i < size; i++) {
    const key = content() as Buffer | null
    const value = content() as Buffer | null
    entries.push([key, value])
  }
  if (u8() !== TC_ENDBLOCKDATA) fail(`expected the end of the ${HASH_MAP}`)
  return entries
}

/** `entries` as Java's `ObjectOutputStream.writeObject(hashMap)` writes a `HashMap<byte[], byte[]>`. */
export function writeSerializedByteArrayMap(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): Buffer {
  const parts: Buffer[] = []
  const u8 = (v: number) => parts.push(Buffer.from([v]))
  const u16 = (v: number) => {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(v)
    parts.push(b)
  }
  const i32 = (v: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(v)
    parts.push(b)
  }
  const utf = (s: string) => {
    u16(Buffer.byteLength(s))
    parts.push(Buffer.from(s))
  }
  const buckets = grownCapacity(entries.length)
  u16(MAGIC)
  u16(VERSION)
  u8(TC_OBJECT)
  u8(TC_CLASSDESC)
  utf(HASH_MAP)
  parts.push(HASH_MAP_UID)
  u8(0x03)
  u16(2)
  u8(0x46) // F
  utf('loadFactor')
  u8(0x49) // I
  utf('threshold')
  u8(TC_ENDBLOCKDATA)
  u8(TC_NULL)
  parts.push(Buffer.from([0x3f, 0x40, 0x00, 0x00])) // 0.75f
  i32(buckets * 0.75)
  u8(TC_BLOCKDATA)
  u8(8)
  i32(buckets)
  i32(entries.length)
  let byteArrayClass = false
  const array = (value: Buffer | null) => {
    if (value === null) return u8(TC_NULL)
    u8(TC_ARRAY)
    if (byteArrayClass) {
      u8(TC_REFERENCE)
      i32(BASE_HANDLE + 2)
    } else {
      byteArrayClass = true
      u8(TC_CLASSDESC)
      utf(BYTE_ARRAY)
      parts.push(BYTE_ARRAY_UID)
      u8(0x02)
      u16(0)
      u8(TC_ENDBLOCKDATA)
      u8(TC_NULL)
    }
    i32(value.length)
    parts.push(value)
  }
  for (const [key, value] of entries) {
    array(key)
    array(value)
  }
  u8(TC_ENDBLOCKDATA)
  return Buffer.concat(parts)
}
