/**
 * The sink's write path (Confluent's JdbcDbWriter, BufferedRecords, FieldsMetadata and DbStructure): which columns a
 * record fills, creating or evolving tables, and the batched, parameterised statements of one put, run in one
 * transaction.
 */
import {
  ConnectException,
  DataException,
  type Field,
  isPrimitiveType,
  Schema as S,
  type Schema,
  type SinkRecord,
  Struct,
} from '@ferry/api'
import type { Db, TableDefinition, TableId } from './db.ts'
import { DEFAULT_KAFKA_PK_NAMES, type SinkSettings } from './sink-config.ts'

/** PostgreSQL and MySQL both stop at 65,535 parameters per statement. */
const MAX_PARAMETERS = 65_535

interface Column {
  name: string
  schema: Schema
  get(record: SinkRecord): unknown
}

/** The columns records of one table, key schema and value schema fill. */
export interface Plan {
  table: TableId
  tableName: string
  keys: Column[]
  nonKeys: Column[]
  /** Multi-row INSERT/upsert statements by row count (the SQL of a 3000-row statement is long to build). */
  statements: Map<number, string>
}

type Op = 'insert' | 'upsert' | 'update' | 'delete'

interface Item {
  record: SinkRecord
  op: Op
  plan: Plan
}

function valueTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof Struct) return 'Struct'
  if (value instanceof Map) return 'Map'
  if (Array.isArray(value)) return 'List'
  if (value instanceof Uint8Array) return 'byte[]'
  if (typeof value === 'object') return 'Map'
  return typeof value === 'string' ? 'String' : typeof value
}

function coordinates(record: SinkRecord): string {
  return `(topic='${record.topic}',partition=${record.kafkaPartition},offset=${record.kafkaOffset},timestamp=${record.timestamp ?? 'null'})`
}

export class SinkWriter {
  readonly #settings: SinkSettings
  readonly #connector: string
  readonly #plans = new Map<string, Plan>()
  readonly #schemaIds = new WeakMap<Schema, number>()
  #nextSchemaId = 1
  readonly #tables = new Map<string, TableDefinition>()
  /** The last record's topic and schemas and the plan they gave: consecutive records mostly share them. */
  #last: { topic: string; keySchema: Schema | null; valueSchema: Schema | null; plan: Plan } | null = null

  constructor(settings: SinkSettings, connector: string) {
    this.#settings = settings
    this.#connector = connector
  }

  /** Writes the records in one transaction: DDL first (outside it, MySQL commits DDL anyway), then the rows. */
  async write(db: Db, records: SinkRecord[]): Promise<void> {
    const items = records.map((r) => this.#classify(db, r)).filter((i): i is Item => i !== null)
    if (items.length === 0) return
    const ensured = new Set<Plan>()
    for (const item of items) {
      if (ensured.has(item.plan)) continue
      ensured.add(item.plan)
      await this.#ensureTable(db, item.plan, item.op === 'delete')
    }
    await db.begin()
    try {
      let start = 0
      for (let i = 1; i <= items.length; i++) {
        const a = items[start]!
        const b = items[i]
        if (b && b.plan === a.plan && b.op === a.op) continue
        await this.#run(db, a.op, a.plan, items.slice(start, i))
        start = i
      }
      await db.commit()
    } catch (e) {
      await db.rollback().catch(() => {})
      throw e
    }
  }

  #validate(record: SinkRecord): void {
    const s = this.#settings
    const needsKey = s.pkMode === 'record_key' || s.deleteEnabled
    if (
      needsKey &&
      (record.key == null ||
        record.keySchema === null ||
        !(record.keySchema.type === 'STRUCT' || isPrimitiveType(record.keySchema.type)))
    ) {
      throw new ConnectException(
        `Sink connector '${this.#connector}' is configured with 'delete.enabled=${s.deleteEnabled}' and 'pk.mode=${s.pkMode}' and therefore requires records with a non-null key and non-null Struct or primitive key schema, but found record at ${coordinates(record)} with a ${valueTypeOf(record.key)} key and ${record.keySchema?.type ?? 'null'} key schema.${record.key != null && record.keySchema === null ? ' The key has no schema: set key.converter to a converter that carries one (for JSON: key.converter=org.apache.kafka.connect.json.JsonConverter with key.converter.schemas.enable=true).' : ''}`,
      )
    }
    if (record.value == null && s.deleteEnabled) return
    if (record.value != null && record.valueSchema?.type === 'STRUCT') return
    if (s.pkMode === 'kafka' && record.value == null) return
    let hint = ''
    if (record.value != null && record.valueSchema === null) {
      hint =
        ' The value has no schema, and the JDBC sink needs one to know the table columns: if the topic holds JSON with a schema envelope ({"schema": ..., "payload": ...}), set value.converter=org.apache.kafka.connect.json.JsonConverter and value.converter.schemas.enable=true; otherwise use a converter that carries a schema (Avro, Protobuf or JSON Schema with a schema registry).'
    } else if (record.value == null) {
      hint = ' Tombstones (null values) are only written as deletes with delete.enabled=true and pk.mode=record_key.'
    }
    throw new ConnectException(
      `Sink connector '${this.#connector}' is configured with 'delete.enabled=${s.deleteEnabled}' and 'pk.mode=${s.pkMode}' and therefore requires records with a non-null Struct value and non-null Struct schema, but found record at ${coordinates(record)} with a ${valueTypeOf(record.value)} value and ${record.valueSchema?.type ?? 'null'} value schema.${hint}`,
    )
  }

  #classify(db: Db, record: SinkRecord): Item | null {
    this.#validate(record)
    const s = this.#settings
    const op: Op = record.value == null ? 'delete' : s.insertMode
    if (op === 'delete' && !s.deleteEnabled) return null
    const valueSchema = op === 'delete' ? null : record.valueSchema
    const last = this.#last
    if (
      last !== null &&
      last.topic === record.topic &&
      last.keySchema === record.keySchema &&
      last.valueSchema === valueSchema
    ) {
      return { record, op, plan: last.plan }
    }
    const tableName = s.tableNameFormat.replace(/\$\{topic\}/g, record.topic)
    const key = `${tableName}\u0000${this.#id(record.keySchema)}\u0000${this.#id(valueSchema)}`
    let plan = this.#plans.get(key)
    if (!plan) {
      plan = this.#plan(db.parseTableName(tableName), tableName, record.keySchema, valueSchema)
      this.#plans.set(key, plan)
    }
    this.#last = { topic: record.topic, keySchema: record.keySchema, valueSchema, plan }
    return { record, op, plan }
  }

  #id(schema: Schema | null): number {
    if (schema === null) return 0
    let id = this.#schemaIds.get(schema)
    if (id === undefined) {
      id = this.#nextSchemaId++
      this.#schemaIds.set(schema, id)
    }
    return id
  }

  /** Confluent's FieldsMetadata.extract. */
  #plan(table: TableId, tableName: string, keySchema: Schema | null, valueSchema: Schema | null): Plan {
    const s = this.#settings
    const get = (struct: unknown, field: string) => {
      if (!(struct instanceof Struct)) return null
      return s.replaceNullWithDefault ? struct.get(field) : struct.getWithoutDefault(field)
    }
    // A value of the plan's own schema: its field by position, without the lookup by name.
    const getValueField = (struct: unknown, field: Field) => {
      if (!(struct instanceof Struct)) return null
      if (struct.schema !== valueSchema) return get(struct, field.name)
      return s.replaceNullWithDefault ? struct.get(field) : struct.getWithoutDefault(field)
    }
    const keys: Column[] = []
    switch (s.pkMode) {
      case 'kafka': {
        const names = s.pkFields.length === 0 ? DEFAULT_KAFKA_PK_NAMES : s.pkFields
        if (names.length !== 3) {
          throw new ConnectException(
            `PK mode for table '${tableName}' is KAFKA so there should either be no field names defined for defaults [${DEFAULT_KAFKA_PK_NAMES.join(', ')}] to be applicable, or exactly 3, defined fields are: [${s.pkFields.join(', ')}]`,
          )
        }
        keys.push({ name: names[0]!, schema: S.STRING_SCHEMA, get: (r) => r.topic })
        keys.push({ name: names[1]!, schema: S.INT32_SCHEMA, get: (r) => r.kafkaPartition })
        keys.push({ name: names[2]!, schema: S.INT64_SCHEMA, get: (r) => r.kafkaOffset })
        break
      }
      case 'record_key': {
        if (keySchema === null) {
          throw new ConnectException(`PK mode for table '${tableName}' is RECORD_KEY, but record key schema is missing`)
        }
        if (isPrimitiveType(keySchema.type)) {
          if (s.pkFields.length !== 1) {
            throw new ConnectException(
              `Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: [${s.pkFields.join(', ')}]`,
            )
          }
          keys.push({ name: s.pkFields[0]!, schema: keySchema, get: (r) => r.key })
        } else if (keySchema.type === 'STRUCT') {
          const names = s.pkFields.length === 0 ? keySchema.fields().map((f) => f.name) : s.pkFields
          for (const name of names) {
            const field = keySchema.field(name)
            if (!field) {
              throw new ConnectException(
                `PK mode for table '${tableName}' is RECORD_KEY with configured PK fields [${s.pkFields.join(', ')}], but record key schema does not contain field: ${name}`,
              )
            }
            keys.push({ name, schema: field.schema, get: (r) => get(r.key, name) })
          }
        } else {
          throw new ConnectException(`Key schema must be primitive type or Struct, but is of type: ${keySchema.type}`)
        }
        break
      }
      case 'record_value': {
        if (valueSchema === null) {
          throw new ConnectException(
            `PK mode for table '${tableName}' is RECORD_VALUE, but record value schema is missing`,
          )
        }
        const names = s.pkFields.length === 0 ? valueSchema.fields().map((f) => f.name) : s.pkFields
        for (const name of names) {
          const field = valueSchema.field(name)
          if (!field) {
            throw new ConnectException(
              `PK mode for table '${tableName}' is RECORD_VALUE with configured PK fields [${s.pkFields.join(', ')}], but record value schema does not contain field: ${name}`,
            )
          }
          keys.push({ name, schema: field.schema, get: (r) => getValueField(r.value, field) })
        }
        break
      }
    }
    const keyNames = new Set(keys.map((k) => k.name))
    const nonKeys: Column[] = []
    if (valueSchema !== null) {
      for (const field of valueSchema.fields()) {
        if (keyNames.has(field.name)) continue
        if (s.fieldsWhitelist.length > 0 && !s.fieldsWhitelist.includes(field.name)) continue
        nonKeys.push({ name: field.name, schema: field.schema, get: (r) => getValueField(r.value, field) })
      }
    }
    if (keys.length === 0 && nonKeys.length === 0) {
      throw new ConnectException(`No fields found using key and value schemas for table: ${tableName}`)
    }
    for (const c of [...keys, ...nonKeys]) {
      if (c.schema.type === 'ARRAY' || c.schema.type === 'MAP' || c.schema.type === 'STRUCT') {
        throw new ConnectException(
          `${c.schema.type} (field ${c.name} of table ${tableName}) has no mapping to a SQL column type; flatten it first (e.g. with the Flatten transform)`,
        )
      }
    }
    return { table, tableName, keys, nonKeys, statements: new Map() }
  }

  #tableKey(db: Db, table: TableId): string {
    return db.quoteTable(table)
  }

  /** Confluent's DbStructure.createOrAmendIfNecessary. */
  async #ensureTable(db: Db, plan: Plan, deleteOnly: boolean): Promise<void> {
    const s = this.#settings
    const key = this.#tableKey(db, plan.table)
    let definition = this.#tables.get(key) ?? (await db.describeTable(plan.table))
    if (!definition) {
      if (deleteOnly) return
      if (!s.autoCreate) {
        throw new ConnectException(`Table ${plan.tableName} is missing and auto-creation is disabled`)
      }
      await db.execute(this.#createSql(db, plan))
      definition = await db.describeTable(plan.table)
      if (!definition) throw new ConnectException(`Table ${plan.tableName} could not be created`)
    }
    const missing = this.#missing(db, definition, plan)
    if (missing.length > 0) {
      if (!s.autoEvolve) {
        throw new ConnectException(
          `Table ${plan.tableName} is missing fields (${missing.map((c) => c.name).join(', ')}) and auto-evolution is disabled`,
        )
      }
      for (const c of missing) {
        if (!c.schema.isOptional && c.schema.defaultValue === null) {
          throw new ConnectException(
            `Cannot ALTER TABLE ${plan.tableName} to add missing field ${c.name}, as the field is not optional and does not have a default value`,
          )
        }
      }
      for (const c of missing) {
        try {
          await db.execute(`ALTER TABLE ${db.quoteTable(plan.table)} ADD ${this.#columnSql(db, c, false)}`)
        } catch (e) {
          // Another task may have added it meanwhile.
          const now = await db.describeTable(plan.table)
          if (!now || this.#missing(db, now, { ...plan, keys: [], nonKeys: [c] }).length > 0) throw e
        }
      }
      definition = await db.describeTable(plan.table)
      if (!definition) throw new ConnectException(`Table ${plan.tableName} disappeared`)
    }
    this.#tables.set(key, definition)
  }

  #missing(db: Db, definition: TableDefinition, plan: Plan): Column[] {
    const names = new Set(definition.columns.keys())
    const lower = new Set([...names].map((n) => n.toLowerCase()))
    return [...plan.keys, ...plan.nonKeys].filter(
      (c) => !names.has(c.name) && !(db.dialect === 'mysql' && lower.has(c.name.toLowerCase())),
    )
  }

  #columnSql(db: Db, c: Column, isKey: boolean): string {
    let sql = `${db.quote(c.name)} ${db.sqlType(c.schema, isKey)}`
    const def = c.schema.defaultValue === null ? null : db.defaultLiteral(c.schema, c.schema.defaultValue)
    sql += isKey || !c.schema.isOptional ? ' NOT NULL' : ' NULL'
    if (def !== null) sql += ` DEFAULT ${def}`
    return sql
  }

  #createSql(db: Db, plan: Plan): string {
    const columns = [
      ...plan.keys.map((c) => this.#columnSql(db, c, true)),
      ...plan.nonKeys.map((c) => this.#columnSql(db, c, false)),
    ]
    if (plan.keys.length > 0) columns.push(`PRIMARY KEY(${plan.keys.map((k) => db.quote(k.name)).join(',')})`)
    return `CREATE TABLE IF NOT EXISTS ${db.quoteTable(plan.table)} (\n${columns.join(',\n')})`
  }

  #bind(db: Db, column: Column, record: SinkRecord): unknown {
    const value = column.get(record)
    try {
      return db.bindValue(column.schema, value)
    } catch (e) {
      throw new DataException(
        `Cannot write field ${column.name} of the record at ${coordinates(record)} to ${db.dialect}: ${(e as Error).message}`,
      )
    }
  }

  #insertSql(db: Db, plan: Plan, rows: number, upsert: boolean): string {
    const key = upsert ? rows : -rows
    let sql = plan.statements.get(key)
    if (sql === undefined) {
      const names = (columns: Column[]) => columns.map((c) => c.name)
      sql = db.insertSql(plan.table, names(plan.keys), names(plan.nonKeys), rows, upsert)
      plan.statements.set(key, sql)
    }
    return sql
  }

  async #run(db: Db, op: Op, plan: Plan, items: Item[]): Promise<void> {
    const table = db.quoteTable(plan.table)
    if (op === 'update') {
      if (plan.nonKeys.length === 0) return
      const set = plan.nonKeys.map((c, i) => `${db.quote(c.name)} = ${db.placeholder(i + 1)}`).join(', ')
      const where = plan.keys
        .map((c, i) => `${db.quote(c.name)} = ${db.placeholder(plan.nonKeys.length + i + 1)}`)
        .join(' AND ')
      const sql = `UPDATE ${table} SET ${set}${where ? ` WHERE ${where}` : ''}`
      for (const { record } of items) {
        const params = [...plan.nonKeys, ...plan.keys].map((c) => this.#bind(db, c, record))
        await db.execute(sql, params, 'update')
      }
      return
    }
    if (op === 'delete') {
      let rows = items.map(({ record }) => plan.keys.map((c) => this.#bind(db, c, record)))
      rows = dedupe(rows, plan.keys.length)
      const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / plan.keys.length))
      for (const size of chunkSizes(rows.length, Math.min(this.#settings.batchSize, perStatement))) {
        const chunk = rows.splice(0, size)
        let n = 0
        const tuple = () => {
          const ps = plan.keys.map(() => db.placeholder(++n))
          return plan.keys.length === 1 ? ps[0]! : `(${ps.join(',')})`
        }
        const target =
          plan.keys.length === 1
            ? db.quote(plan.keys[0]!.name)
            : `(${plan.keys.map((k) => db.quote(k.name)).join(',')})`
        const sql = `DELETE FROM ${table} WHERE ${target} IN (${chunk.map(tuple).join(',')})`
        await db.execute(sql, chunk.flat(), 'delete')
      }
      return
    }
    const columns = [...plan.keys, ...plan.nonKeys]
    const width = columns.length
    let rows: unknown[][] = new Array(items.length)
    for (let i = 0; i < items.length; i++) {
      const record = items[i]!.record
      const row: unknown[] = new Array(width)
      for (let c = 0; c < width; c++) row[c] = this.#bind(db, columns[c]!, record)
      rows[i] = row
    }
    // ON CONFLICT cannot touch a row twice in one statement: the last record of a key wins, as it would one by one.
    if (op === 'upsert') rows = dedupe(rows, plan.keys.length)
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / width))
    let at = 0
    for (const size of chunkSizes(rows.length, Math.min(this.#settings.batchSize, perStatement))) {
      const params: unknown[] = new Array(size * width)
      let n = 0
      for (let r = at; r < at + size; r++) {
        const row = rows[r]!
        for (let c = 0; c < width; c++) params[n++] = row[c]
      }
      at += size
      await db.execute(this.#insertSql(db, plan, size, op === 'upsert'), params, op)
    }
  }
}

/** Keeps the last row of each key (its first `keyWidth` values), in the order of those last rows. */
function dedupe(rows: unknown[][], keyWidth: number): unknown[][] {
  const last = new Map<unknown, number>()
  const keyText = (row: unknown[]) =>
    `\u0000${JSON.stringify(row.slice(0, keyWidth), (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v,
    )}`
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const first = row[0]
    // One string or number key (the common case: an INT64 is bound as a number, or as its digits when it is not a
    // safe integer) is its own map key; anything else goes through its JSON text.
    last.set(
      keyWidth === 1 && typeof first === 'string'
        ? first
        : keyWidth === 1 && typeof first === 'number'
          ? String(first)
          : keyText(row),
      i,
    )
  }
  if (last.size === rows.length) return rows
  const keep = new Set(last.values())
  return rows.filter((_, i) => keep.has(i))
}

/**
 * Statement sizes for `n` rows with at most `max` per statement: full statements of `max` rows, then the rest in
 * powers of two, so a connection prepares only a few distinct statements per table however the batches fall.
 */
export function chunkSizes(n: number, max: number): number[] {
  const out: number[] = []
  let rest = n
  while (rest >= max) {
    out.push(max)
    rest -= max
  }
  for (let bit = 1 << 30; bit >= 1; bit >>= 1) {
    if (rest & bit) out.push(bit)
  }
  return out
}
