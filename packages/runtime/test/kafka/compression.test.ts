import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { compressionsAlgorithms } from '@platformatic/kafka'
import {
  COMPRESSION_BITS,
  compress,
  lz4BlockHC,
  lz4Frame,
  validateCompressionLevel,
  xxhash32,
} from '../../src/kafka/compression.ts'

/** Text with repeats (compressible) followed by random bytes (not), over several 64 KiB blocks. */
function sample(): Buffer {
  const lines: string[] = []
  for (let i = 0; i < 4000; i++) lines.push(`line ${i % 97} of the sample, value=${(i * 31) % 1000}\n`)
  return Buffer.concat([Buffer.from(lines.join('')), randomBytes(70000), Buffer.from('tail')])
}

function decompress(type: 'gzip' | 'snappy' | 'lz4' | 'zstd', data: Buffer): Buffer {
  return compressionsAlgorithms[type].decompressSync(data) as Buffer
}

test('every codec compresses what the client library decompresses back, at its default and other levels', () => {
  const input = sample()
  for (const [type, levels] of [
    ['gzip', [undefined, -1, 1, 9]],
    ['snappy', [undefined]],
    ['lz4', [undefined, 9, 1, 4, 12, 17]],
    ['zstd', [undefined, -5, 1, 3, 19]],
  ] as const) {
    for (const level of levels) {
      const compressed = compress(type, level, input)
      assert.ok(compressed.length < input.length, `${type} level ${level} compresses`)
      assert.deepEqual(decompress(type, compressed), input, `${type} level ${level} round trip`)
    }
  }
})

test('higher lz4 levels search harder and compress at least as well', () => {
  const input = sample().subarray(0, 150000)
  const low = lz4Frame(input, 1).length
  const high = lz4Frame(input, 12).length
  assert.ok(high <= low, `level 12 (${high} bytes) is no larger than level 1 (${low} bytes)`)
})

test('the lz4 HC block compressor handles tiny, incompressible and repetitive blocks', () => {
  for (const input of [
    Buffer.alloc(0),
    Buffer.from('a'),
    Buffer.from('abcdefghijklm'),
    randomBytes(5000),
    Buffer.alloc(70000, 7),
  ]) {
    const frame = lz4Frame(input, 5)
    assert.deepEqual(decompress('lz4', frame), input, `${input.length} bytes`)
  }
  // A run of one byte is compressed into a few bytes.
  assert.ok(lz4BlockHC(Buffer.alloc(60000, 1), 9).length < 300)
})

test('snappy output uses the xerial framing Java reads, and lz4 frames carry the descriptor checksum', () => {
  const snappy = compress('snappy', undefined, Buffer.from('hello hello hello hello'))
  assert.equal(snappy.subarray(0, 8).toString('hex'), '82534e4150505900')
  assert.equal(snappy.readInt32BE(8), 1)
  assert.equal(snappy.readInt32BE(12), 1)
  const frame = lz4Frame(Buffer.from('hello hello hello hello'), 3)
  assert.equal(frame.readUInt32LE(0), 0x184d2204)
  assert.equal(frame[6], (xxhash32(frame.subarray(4, 6), 0) >>> 8) & 0xff)
})

test('xxHash32 matches the reference values', () => {
  assert.equal(xxhash32(Buffer.alloc(0), 0), 0x02cc5d05)
  assert.equal(xxhash32(Buffer.from('abc'), 0), 0x32d153ff)
  assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition'), 0), 0xe2293b2f)
})

test('the codec bits are Kafka record batch attribute values', () => {
  assert.deepEqual(COMPRESSION_BITS, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 })
})

test('levels outside Apache ranges are refused with the key and the valid range', () => {
  validateCompressionLevel('gzip', -1)
  validateCompressionLevel('zstd', -131072)
  validateCompressionLevel('lz4', 17)
  assert.throws(() => validateCompressionLevel('gzip', 10), /compression\.gzip\.level.*1\.\.9 or -1/)
  assert.throws(() => validateCompressionLevel('lz4', 0), /compression\.lz4\.level.*1\.\.17/)
  assert.throws(() => validateCompressionLevel('zstd', 23), /compression\.zstd\.level.*-131072\.\.22/)
})
