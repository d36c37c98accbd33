/**
 * Confluent's wire format, shared by its Avro, Protobuf and JSON Schema serdes: a magic byte 0, the schema's id as a
 * 4-byte big-endian int, then the payload (Protobuf puts its message indexes between the id and the payload).
 */
import { DataException } from '@ferry/api'

export const MAGIC_BYTE = 0
/** The magic byte and the id. */
export const HEADER_SIZE = 5

/** `payload` behind the header of schema `id`. */
export function frame(id: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length)
  out[0] = MAGIC_BYTE
  out.writeInt32BE(id, 1)
  out.set(payload, HEADER_SIZE)
  return out
}

/** The schema id and the payload of framed bytes; a `DataException` when they are not in Confluent's format. */
export function unframe(bytes: Uint8Array): { id: number; payload: Buffer } {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (buffer.length < HEADER_SIZE)
    throw new DataException(`Unknown magic byte! (${buffer.length} bytes, shorter than the 5-byte header)`)
  if (buffer[0] !== MAGIC_BYTE) throw new DataException('Unknown magic byte!')
  return { id: buffer.readInt32BE(1), payload: buffer.subarray(HEADER_SIZE) }
}
