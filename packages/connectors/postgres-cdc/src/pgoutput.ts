/**
 * Decodes the messages of PostgreSQL's `pgoutput` logical decoding plugin, protocol version 1 (PostgreSQL 10+), as
 * they arrive in the payload of the replication stream's XLogData messages. Layout (network byte order; String is
 * NUL-terminated UTF-8; timestamps are microseconds since 2000-01-01 UTC):
 *
 * ```
 * Begin    'B' Int64 finalLsn, Int64 commitTime, Int32 xid
 * Commit   'C' Int8 flags, Int64 commitLsn, Int64 endLsn, Int64 commitTime
 * Origin   'O' Int64 lsn, String name
 * Relation 'R' Int32 relationId, String namespace, String name, Int8 replicaIdentity, Int16 n,
 *              n × (Int8 flags (1: part of the key), String name, Int32 typeOid, Int32 typeModifier)
 * Type     'Y' Int32 typeOid, String namespace, String name
 * Insert   'I' Int32 relationId, 'N' TupleData
 * Update   'U' Int32 relationId, ['K' TupleData (old key) | 'O' TupleData (old row)], 'N' TupleData
 * Delete   'D' Int32 relationId, 'K' TupleData | 'O' TupleData
 * Truncate 'T' Int32 n, Int8 options (1: CASCADE, 2: RESTART IDENTITY), n × Int32 relationId
 * Message  'M' Int8 flags (1: transactional), Int64 lsn, String prefix, Int32 length, bytes
 * TupleData: Int16 n, n × ('n' null | 'u' unchanged TOASTed value | 't' Int32 length, text | 'b' Int32 length, bytes)
 * ```
 *
 * Values stay in PostgreSQL's text form (the plugin's default); `types.ts` turns them into Connect values, as it does
 * for snapshot rows, which are read as text too.
 */
import type { Lsn } from './lsn.ts'

/** One column value of a tuple: text, null, or a TOASTed value the change did not touch (not sent). */
export type TupleValue = string | null | typeof UNCHANGED_TOAST

/** The marker for an unchanged TOASTed value (Debezium writes `__debezium_unavailable_value` in its place). */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast')

export interface RelationColumn {
  name: string
  typeOid: number
  typeModifier: number
  /** Part of the replica identity (the primary key by default). */
  key: boolean
}

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: Lsn; commitTime: bigint; xid: number }
  | { tag: 'commit'; flags: number; commitLsn: Lsn; endLsn: Lsn; commitTime: bigint }
  | { tag: 'origin'; lsn: Lsn; name: string }
  | {
      tag: 'relation'
      relationId: number
      namespace: string
      name: string
      replicaIdentity: string
      columns: RelationColumn[]
    }
  | { tag: 'type'; typeOid: number; namespace: string; name: string }
  | { tag: 'insert'; relationId: number; tuple: TupleValue[] }
  | { tag: 'update'; relationId: number; old: TupleValue[] | null; oldIsKey: boolean; tuple: TupleValue[] }
  | { tag: 'delete'; relationId: number; old: TupleValue[]; oldIsKey: boolean }
  | { tag: 'truncate'; cascade: boolean; restartIdentity: boolean; relationIds: number[] }
  | { tag: 'message'; transactional: boolean; lsn: Lsn; prefix: string; content: Buffer }

/** Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch. */
export const PG_EPOCH_MICROS = 946_684_800_000_000n

/** A PostgreSQL timestamp (µs since 2000-01-01) → microseconds since the Unix epoch. */
export function pgTimeToUnixMicros(pgMicros: bigint): bigint {
  return pgMicros + PG_EPOCH_MICROS
}

class Reader {
  #buf: Buffer
  #pos: number

  constructor(buf: Buffer, pos = 0) {
    this.#buf = buf
    this.#pos = pos
  }

  byte(): number {
    const v = this.#buf.readUInt8(this.#pos)
    this.#pos += 1
    return v
  }

  int16(): number {
    const v = this.#buf.readInt16BE(this.#pos)
    this.#pos += 2
    return v
  }

  int32(): number {
    const v = this.#buf.readInt32BE(this.#pos)
    this.#pos += 4
    return v
  }

  uint32(): number {
    const v = this.#buf.readUInt32BE(this.#pos)
    this.#pos += 4
    return v
  }

  int64(): bigint {
    const v = this.#buf.readBigInt64BE(this.#pos)
    this.#pos += 8
    return v
  }

  uint64(): bigint {
    const v = this.#buf.readBigUInt64BE(this.#pos)
    this.#pos += 8
    return v
  }

  string(): string {
    const end = this.#buf.indexOf(0, this.#pos)
    if (end < 0) throw new Error('pgoutput: unterminated string')
    const v = this.#buf.toString('utf8', this.#pos, end)
    this.#pos = end + 1
    return v
  }

  bytes(n: number): Buffer {
    const v = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return v
  }

  tuple(): TupleValue[] {
    const n = this.int16()
    const values: TupleValue[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const kind = this.byte()
      if (kind === 0x6e /* n */) values[i] = null
      else if (kind === 0x75 /* u */) values[i] = UNCHANGED_TOAST
      else if (kind === 0x74 /* t */) {
        const len = this.int32()
        values[i] = this.#buf.toString('utf8', this.#pos, this.#pos + len)
        this.#pos += len
      } else throw new Error(`pgoutput: unknown tuple value kind ${String.fromCharCode(kind)}`)
    }
    return values
  }
}

/** Decodes one pgoutput message. */
export function decodePgOutput(payload: Buffer): PgOutputMessage {
  const r = new Reader(payload, 1)
  const tag = String.fromCharCode(payload[0] ?? 0)
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: r.uint64(), commitTime: r.int64(), xid: r.uint32() }
    case 'C':
      return { tag: 'commit', flags: r.byte(), commitLsn: r.uint64(), endLsn: r.uint64(), commitTime: r.int64() }
    case 'O':
      return { tag: 'origin', lsn: r.uint64(), name: r.string() }
    case 'R': {
      const relationId = r.uint32()
      const namespace = r.string()
      const name = r.string()
      const replicaIdentity = String.fromCharCode(r.byte())
      const n = r.int16()
      const columns: RelationColumn[] = []
      for (let i = 0; i < n; i++) {
        const flags = r.byte()
        columns.push({ key: (flags & 1) === 1, name: r.string(), typeOid: r.uint32(), typeModifier: r.int32() })
      }
      return { tag: 'relation', relationId, namespace, name, replicaIdentity, columns }
    }
    case 'Y':
      return { tag: 'type', typeOid: r.uint32(), namespace: r.string(), name: r.string() }
    case 'I': {
      const relationId = r.uint32()
      r.byte() // 'N'
      return { tag: 'insert', relationId, tuple: r.tuple() }
    }
    case 'U': {
      const relationId = r.uint32()
      let kind = String.fromCharCode(r.byte())
      let old: TupleValue[] | null = null
      const oldIsKey = kind === 'K'
      if (kind === 'K' || kind === 'O') {
        old = r.tuple()
        kind = String.fromCharCode(r.byte())
      }
      if (kind !== 'N') throw new Error(`pgoutput: update without a new tuple (${kind})`)
      return { tag: 'update', relationId, old, oldIsKey, tuple: r.tuple() }
    }
    case 'D': {
      const relationId = r.uint32()
      const kind = String.fromCharCode(r.byte())
      return { tag: 'delete', relationId, oldIsKey: kind === 'K', old: r.tuple() }
    }
    case 'T': {
      const n = r.int32()
      const options = r.byte()
      const relationIds: number[] = []
      for (let i = 0; i < n; i++) relationIds.push(r.uint32())
      return { tag: 'truncate', cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0, relationIds }
    }
    case 'M': {
      const flags = r.byte()
      const lsn = r.uint64()
      const prefix = r.string()
      const len = r.int32()
      return { tag: 'message', transactional: (flags & 1) !== 0, lsn, prefix, content: r.bytes(len) }
    }
    default:
      throw new Error(`pgoutput: unknown message type ${JSON.stringify(tag)}`)
  }
}
