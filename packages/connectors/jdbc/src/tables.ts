/**
 * Which tables a source copies, how they are spread over tasks, and the source partitions and offsets as
 * Confluent's JdbcSourceConnector stores them, so a migrated connector resumes where it was.
 */
import { ConnectException, type OffsetMap } from '@ferry/api'
import { type TableId, unquotedName } from './db.ts'
import { instantToJava, javaToInstant } from './time.ts'

export interface TableFilter {
  whitelist: string[]
  blacklist: string[]
  includeList: string[]
  excludeList: string[]
}

/**
 * Confluent's rules: `table.include.list`/`table.exclude.list` are regular expressions matched against the whole
 * unquoted name (`schema.table`, `database.table`); `table.whitelist`/`table.blacklist` list names, each matching the
 * unquoted name, the quoted name or the bare table name.
 */
export function filterTables(tables: TableId[], filter: TableFilter, quoted: (id: TableId) => string): TableId[] {
  if (filter.includeList.length > 0 || filter.excludeList.length > 0) {
    const include = filter.includeList.map((re) => new RegExp(`^(?:${re})$`))
    const exclude = filter.excludeList.map((re) => new RegExp(`^(?:${re})$`))
    return tables.filter((t) => {
      const name = unquotedName(t)
      return include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name))
    })
  }
  const names = (t: TableId) => [unquotedName(t), quoted(t), t.table]
  if (filter.whitelist.length > 0) {
    const set = new Set(filter.whitelist)
    return tables.filter((t) => names(t).some((n) => set.has(n)))
  }
  if (filter.blacklist.length > 0) {
    const set = new Set(filter.blacklist)
    return tables.filter((t) => !names(t).some((n) => set.has(n)))
  }
  return tables
}

/** Topics are named after the bare table name, so two tables of the same name would mix: refuse, as Confluent does. */
export function checkDuplicateNames(tables: TableId[]): void {
  const byName = new Map<string, TableId[]>()
  for (const t of tables) byName.set(t.table, [...(byName.get(t.table) ?? []), t])
  const duplicates = [...byName.values()].filter((list) => list.length > 1)
  if (duplicates.length > 0) {
    throw new ConnectException(
      `The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names: ${duplicates
        .map((d) => `[${d.map(unquotedName).join(', ')}]`)
        .join(
          ', ',
        )}. Update the connector's table.whitelist, table.blacklist or table.include.list config to include exactly one table of each name.`,
    )
  }
}

/** Splits items into at most `groups` contiguous groups of nearly equal size (Kafka's `ConnectorUtils.groupPartitions`). */
export function groupPartitions<T>(items: T[], groups: number): T[][] {
  const n = Math.min(groups, items.length)
  const out: T[][] = []
  const per = Math.floor(items.length / n)
  const extra = items.length % n
  let start = 0
  for (let i = 0; i < n; i++) {
    const size = per + (i < extra ? 1 : 0)
    out.push(items.slice(start, start + size))
    start += size
  }
  return out
}

/** `{"protocol":"1","table":"<unquoted name>"}`: the partition Confluent writes (offset protocol V1). */
export function tablePartition(id: TableId): OffsetMap {
  return { protocol: '1', table: unquotedName(id) }
}

/** `{"query":"query"}`: the partition of a custom query. */
export const QUERY_PARTITION: OffsetMap = Object.freeze({ query: 'query' })

/**
 * Every partition an earlier Confluent connector may have used for a table, newest first: V1, V1 with the database
 * name in front (PostgreSQL under pgjdbc 42.7.5+ before Confluent stripped it again), and V0 (`{"table": name}`).
 */
export function candidatePartitions(id: TableId, database: string | null): OffsetMap[] {
  const out = [tablePartition(id)]
  if (id.catalog === null && id.schema !== null && database) {
    out.push({ protocol: '1', table: `${database}.${id.schema}.${id.table}` })
  }
  out.push({ table: id.table })
  return out
}

/** Confluent's `TimestampIncrementingOffset`: an instant (millis + nanos of the second) and/or an incrementing id. */
export interface TimestampIncrementingOffset {
  timestamp: bigint | null
  incrementing: bigint | null
}

export function offsetToMap(offset: TimestampIncrementingOffset): OffsetMap {
  const map: OffsetMap = {}
  if (offset.incrementing !== null) map.incrementing = toNumber(offset.incrementing)
  if (offset.timestamp !== null) {
    const { millis, nanos } = instantToJava(offset.timestamp)
    map.timestamp = millis
    map.timestamp_nanos = nanos
  }
  return map
}

export function offsetFromMap(map: OffsetMap | null): TimestampIncrementingOffset {
  if (!map) return { timestamp: null, incrementing: null }
  const inc = map.incrementing
  const millis = map.timestamp
  const nanos = map.timestamp_nanos
  return {
    incrementing: typeof inc === 'number' || typeof inc === 'bigint' ? BigInt(inc) : null,
    timestamp:
      typeof millis === 'number' || typeof millis === 'bigint'
        ? javaToInstant(Number(millis), typeof nanos === 'number' || typeof nanos === 'bigint' ? Number(nanos) : null)
        : null,
  }
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}
