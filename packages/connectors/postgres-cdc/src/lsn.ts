/**
 * PostgreSQL log sequence numbers: 64-bit WAL positions, written `XXXXXXXX/XXXXXXXX` (two hex halves). Ferry keeps
 * them as bigint internally and as numbers in offsets and `source.lsn`, as Debezium does (`Lsn.asLong()`): WAL
 * positions stay far below 2^53 for decades of writes.
 */
export type Lsn = bigint

export const INVALID_LSN: Lsn = 0n

/** `16/B374D848` → 0x16B374D848n. */
export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim())
  if (!m) throw new Error(`not an LSN: ${text}`)
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/** 0x16B374D848n → `16/B374D848`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`
}

/** An LSN as offsets and records carry it. */
export function lsnToNumber(lsn: Lsn): number {
  return Number(lsn)
}

/** An offset's LSN back; null when absent. */
export function lsnFromOffset(value: unknown): Lsn | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value)
  return null
}
