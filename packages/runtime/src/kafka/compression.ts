/**
 * Record batch compression as Apache's Java clients write it (`compression.type`, `compression.<type>.level`), so
 * that brokers and Java consumers read what Ferry writes:
 *
 * - gzip: a gzip member (node:zlib) at `compression.gzip.level` (1-9; -1, the default, is zlib's 6).
 * - snappy: xerial's snappy-java stream framing, as Java's `SnappyOutputStream`: the 16-byte header
 *   (`\x82SNAPPY\0`, version 1, compatible version 1), then for each 32 KiB of input its raw snappy block prefixed
 *   with the block's length (int32). Snappy has no level.
 * - lz4: an LZ4 frame as Java's `Lz4BlockOutputStream` writes it: magic, FLG (version 1, independent blocks, no
 *   checksums), BD, the descriptor checksum (xxHash32, correct since magic 1), blocks, end mark. At the default
 *   level (9) Java uses lz4's fast compressor, as the client library's codec does; at any other level (1-17) Java's
 *   LZ4 HC compressor, which `lz4BlockHC` below mirrors: a hash-chain match finder that tries more candidates as the
 *   level goes up (2^(level-1), at most 4096, as lz4hc's levels), 64 KiB blocks.
 * - zstd: a zstd frame (node:zlib) at `compression.zstd.level` (-131072..22, default 3).
 */
import zlib from 'node:zlib'
import { compressionsAlgorithms } from '@platformatic/kafka'
import type { CompressionType } from './client-settings.ts'

/** The record batch attribute bits (0-2) of each codec. */
export const COMPRESSION_BITS: Record<CompressionType, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

/** Apache's level range and default of each codec that has levels (`CompressionType.minLevel/maxLevel/defaultLevel`). */
export const COMPRESSION_LEVELS = {
  gzip: { min: 1, max: 9, default: -1 },
  lz4: { min: 1, max: 17, default: 9 },
  zstd: { min: -131072, max: 22, default: 3 },
} as const

/**
 * Checks a level as Apache's `Compression.Builder.level` does; the message names the key and the valid range (gzip
 * also takes its default, -1).
 */
export function validateCompressionLevel(type: CompressionType, level: number | undefined): void {
  if (level === undefined || type === 'none' || type === 'snappy') return
  const range = COMPRESSION_LEVELS[type]
  const ok = Number.isInteger(level) && ((level >= range.min && level <= range.max) || level === range.default)
  if (!ok)
    throw new RangeError(
      `Invalid value ${level} for configuration compression.${type}.level: ${type} doesn't support given compression level: ${level} (valid: ${range.min}..${range.max}${type === 'gzip' ? ' or -1' : ''})`,
    )
}

/** Compresses the records section of a record batch. */
export function compress(type: CompressionType, level: number | undefined, data: Buffer): Buffer {
  switch (type) {
    case 'none':
      return data
    case 'gzip':
      return zlib.gzipSync(data, {
        level: level === undefined || level === -1 ? zlib.constants.Z_DEFAULT_COMPRESSION : level,
      })
    case 'snappy':
      return xerialSnappy(data)
    case 'lz4':
      return level === undefined || level === COMPRESSION_LEVELS.lz4.default
        ? compressionsAlgorithms.lz4.compressSync(data)
        : lz4Frame(data, level)
    case 'zstd':
      return zlib.zstdCompressSync(data, {
        params: { [zlib.constants.ZSTD_c_compressionLevel]: level ?? COMPRESSION_LEVELS.zstd.default },
      })
  }
}

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
const XERIAL_BLOCK = 32 * 1024

function xerialSnappy(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER]
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = compressionsAlgorithms.snappy.compressSync(data.subarray(at, at + XERIAL_BLOCK)) as Buffer
    const length = Buffer.allocUnsafe(4)
    length.writeInt32BE(block.length, 0)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

const LZ4_MAGIC = 0x184d2204
/** FLG: version 01, independent blocks, no block or content checksum, no content size. */
const LZ4_FLG = 0x60
/** BD: 64 KiB blocks (Java's `BLOCKSIZE_64KB`). */
const LZ4_BD = 0x40
const LZ4_BLOCK = 64 * 1024

/** An LZ4 frame of `data` with HC-compressed blocks at `level`. */
export function lz4Frame(data: Buffer, level: number): Buffer {
  const parts: Buffer[] = []
  const header = Buffer.allocUnsafe(7)
  header.writeUInt32LE(LZ4_MAGIC, 0)
  header[4] = LZ4_FLG
  header[5] = LZ4_BD
  header[6] = (xxhash32(header.subarray(4, 6), 0) >>> 8) & 0xff
  parts.push(header)
  for (let at = 0; at < data.length; at += LZ4_BLOCK) {
    const raw = data.subarray(at, Math.min(at + LZ4_BLOCK, data.length))
    const block = lz4BlockHC(raw, level)
    const size = Buffer.allocUnsafe(4)
    if (block.length < raw.length) {
      size.writeUInt32LE(block.length, 0)
      parts.push(size, block)
    } else {
      size.writeUInt32LE((raw.length | 0x80000000) >>> 0, 0)
      parts.push(size, raw)
    }
  }
  parts.push(Buffer.alloc(4)) // end mark
  return Buffer.concat(parts)
}

const MIN_MATCH = 4
/** The last match must start at least 12 bytes before the end, and the last 5 bytes are literals (LZ4's rules). */
const MF_LIMIT = 12
const LAST_LITERALS = 5
const MAX_DISTANCE = 65535
const HASH_LOG = 15

/**
 * One LZ4 block (no frame) of `src`: greedy parsing with a hash chain over every position, trying up to
 * 2^(level-1) earlier positions (4096 at most) for the longest match within 64 KiB.
 */
export function lz4BlockHC(src: Buffer, level: number): Buffer {
  const n = src.length
  const out = Buffer.allocUnsafe(n + Math.ceil(n / 255) + 16)
  let op = 0
  let anchor = 0
  const maxAttempts = Math.min(2 ** (Math.max(1, Math.min(level, 13)) - 1), 4096)
  const head = new Int32Array(1 << HASH_LOG).fill(-1)
  const chain = new Int32Array(n)
  const hash = (i: number) => (Math.imul(src.readUInt32LE(i), 2654435761) >>> (32 - HASH_LOG)) & ((1 << HASH_LOG) - 1)
  let inserted = 0
  const insertUpTo = (limit: number) => {
    for (; inserted < limit; inserted++) {
      const h = hash(inserted)
      chain[inserted] = head[h]!
      head[h] = inserted
    }
  }
  const matchLimit = n - LAST_LITERALS
  let ip = 0
  if (n >= MF_LIMIT + 1) {
    while (ip < n - MF_LIMIT) {
      insertUpTo(ip)
      let bestLength = 0
      let bestPos = -1
      let candidate = head[hash(ip)]!
      for (let attempts = maxAttempts; candidate >= 0 && attempts > 0; attempts--) {
        if (ip - candidate > MAX_DISTANCE) break
        if (
          src[candidate + bestLength] === src[ip + bestLength] &&
          src.readUInt32LE(candidate) === src.readUInt32LE(ip)
        ) {
          let length = MIN_MATCH
          while (ip + length < matchLimit && src[candidate + length] === src[ip + length]) length++
          if (length > bestLength) {
            bestLength = length
            bestPos = candidate
          }
        }
        candidate = chain[candidate]!
      }
      if (bestLength < MIN_MATCH) {
        ip++
        continue
      }
      op = writeSequence(out, op, src, anchor, ip - anchor, ip - bestPos, bestLength)
      ip += bestLength
      anchor = ip
    }
  }
  // The last literals.
  const literals = n - anchor
  out[op++] = Math.min(literals, 15) << 4
  if (literals >= 15) op = writeLength(out, op, literals - 15)
  op += src.copy(out, op, anchor, n)
  return out.subarray(0, op)
}

function writeLength(out: Buffer, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255
    rest -= 255
  }
  out[op++] = rest
  return op
}

function writeSequence(
  out: Buffer,
  op: number,
  src: Buffer,
  anchor: number,
  literals: number,
  offset: number,
  matchLength: number,
): number {
  const ml = matchLength - MIN_MATCH
  out[op++] = (Math.min(literals, 15) << 4) | Math.min(ml, 15)
  if (literals >= 15) op = writeLength(out, op, literals - 15)
  op += src.copy(out, op, anchor, anchor + literals)
  out[op++] = offset & 0xff
  out[op++] = offset >>> 8
  if (ml >= 15) op = writeLength(out, op, ml - 15)
  return op
}

const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0
}

/** xxHash32 (for the LZ4 frame descriptor checksum). */
export function xxhash32(data: Buffer, seed: number): number {
  const n = data.length
  let i = 0
  let h: number
  if (n >= 16) {
    let v1 = (seed + P1 + P2) >>> 0
    let v2 = (seed + P2) >>> 0
    let v3 = seed >>> 0
    let v4 = (seed - P1) >>> 0
    const round = (v: number, lane: number) => Math.imul(rotl((v + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0
    for (; i + 16 <= n; i += 16) {
      v1 = round(v1, data.readUInt32LE(i))
      v2 = round(v2, data.readUInt32LE(i + 4))
      v3 = round(v3, data.readUInt32LE(i + 8))
      v4 = round(v4, data.readUInt32LE(i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0
  } else {
    h = (seed + P5) >>> 0
  }
  h = (h + n) >>> 0
  for (; i + 4 <= n; i += 4) h = Math.imul(rotl((h + Math.imul(data.readUInt32LE(i), P3)) >>> 0, 17), P4) >>> 0
  for (; i < n; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) >>> 0, 11), P1) >>> 0
  h ^= h >>> 15
  h = Math.imul(h, P2) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, P3) >>> 0
  h ^= h >>> 16
  return h >>> 0
}
