/**
 * The message indexes of Confluent's Protobuf wire format, between the schema id and the message: which message of
 * the schema's file the payload is, as the path of indexes from the file's top-level messages down through nested
 * ones. Written as a zig-zag varint count followed by that many zig-zag varint indexes, except that the first
 * top-level message (`[0]`, the usual case) is the single byte `0`.
 *
 * ```
 * [0]      -> 00
 * [1]      -> 02 02          (count 1, index 1)
 * [0, 2]   -> 04 00 04       (count 2, indexes 0 and 2)
 * ```
 */
import { DataException } from '@ferry/api'

const FIRST_MESSAGE = Uint8Array.of(0)

/** The bytes of `indexes`. */
export function writeMessageIndexes(indexes: readonly number[]): Uint8Array {
  if (indexes.length === 1 && indexes[0] === 0) return FIRST_MESSAGE
  const out: number[] = []
  writeZigZag(out, indexes.length)
  for (const i of indexes) writeZigZag(out, i)
  return Uint8Array.from(out)
}

/** The indexes at the start of `payload` and the offset of the message that follows them. */
export function readMessageIndexes(payload: Uint8Array): { indexes: number[]; offset: number } {
  const reader = { pos: 0 }
  const count = readZigZag(payload, reader)
  if (count === 0) return { indexes: [0], offset: reader.pos }
  if (count < 0 || count > payload.length)
    throw new DataException(`Invalid Protobuf message indexes: a count of ${count} in ${payload.length} bytes`)
  const indexes: number[] = []
  for (let i = 0; i < count; i++) {
    const index = readZigZag(payload, reader)
    if (index < 0) throw new DataException(`Invalid Protobuf message index ${index}`)
    indexes.push(index)
  }
  return { indexes, offset: reader.pos }
}

function writeZigZag(out: number[], value: number): void {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
}

function readZigZag(bytes: Uint8Array, reader: { pos: number }): number {
  let result = 0
  let shift = 0
  for (;;) {
    if (reader.pos >= bytes.length)
      throw new DataException('Invalid Protobuf message indexes: the payload ends inside them')
    const b = bytes[reader.pos++] as number
    result |= (b & 0x7f) << shift
    if ((b & 0x80) === 0) break
    shift += 7
    if (shift > 28) throw new DataException('Invalid Protobuf message indexes: a varint longer than 5 bytes')
  }
  result >>>= 0
  return (result >>> 1) ^ -(result & 1)
}
