import {
  type Config,
  type ConfigDef,
  ConfigException,
  ConnectException,
  SourceConnector,
  type TaskClass,
} from '@ferry/api'
import { connect, type Db, type TableId, unquotedName } from './db.ts'
import { SOURCE_CONFIG_DEF, type SourceSettings, sourceSettings, TASK_TABLES } from './source-config.ts'
import { JdbcSourceTask } from './source-task.ts'
import { checkDuplicateNames, filterTables, groupPartitions } from './tables.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's JdbcSourceConnector: copies tables (or one custom query) into topics. In table mode it lists the tables
 * at start and every `table.poll.interval.ms`, and asks for new task configs when the set changes; the tables are
 * spread over up to `tasks.max` tasks.
 */
export class JdbcSourceConnector extends SourceConnector {
  #props: Record<string, string> = {}
  #settings: SourceSettings | null = null
  #db: Db | null = null
  #tables: TableId[] = []
  #timer: NodeJS.Timeout | null = null
  #checking: Promise<void> | null = null
  #stopped = false

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    this.#props = props
    this.#stopped = false
    const settings = sourceSettings(props)
    this.#settings = settings
    const db = await connect({ ...settings.connection, stopped: () => this.#stopped })
    if (settings.query) {
      // The tasks run the query; the connection only proves the database is reachable.
      await db.close()
      return
    }
    this.#db = db
    try {
      this.#tables = await this.#readTables()
    } catch (e) {
      await this.#closeDb()
      throw e
    }
    if (settings.tablePollIntervalMs > 0) {
      this.#timer = setInterval(() => {
        if (this.#checking) return
        this.#checking = this.#checkTables().finally(() => {
          this.#checking = null
        })
      }, settings.tablePollIntervalMs)
      this.#timer.unref()
    }
  }

  async #readTables(): Promise<TableId[]> {
    const s = this.#settings!
    let db = this.#db
    if (!db) {
      db = await connect({ ...s.connection, stopped: () => this.#stopped })
      this.#db = db
    }
    const all = await db.listTables(s.tableTypes, s.catalogPattern, s.schemaPattern)
    const tables = filterTables(all, s, (t) => db.quoteTable(t))
    checkDuplicateNames(tables)
    return tables
  }

  async #checkTables(): Promise<void> {
    if (this.#stopped) return
    let tables: TableId[]
    try {
      tables = await this.#readTables()
    } catch (e) {
      if (e instanceof ConnectException && /duplicate unqualified table names/.test(e.message)) {
        this.context.raiseError(e)
        return
      }
      // The database may be back at the next check; drop the connection so it is opened again.
      await this.#closeDb()
      return
    }
    if (this.#stopped) return
    const before = this.#tables.map(unquotedName).join('\n')
    const after = tables.map(unquotedName).join('\n')
    if (before === after) return
    this.#tables = tables
    this.context.requestTaskReconfiguration()
  }

  taskClass(): TaskClass {
    return JdbcSourceTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    const s = this.#settings
    if (!s) return []
    if (s.query) return [{ ...this.#props, [TASK_TABLES]: '[]' }]
    if (this.#tables.length === 0) return []
    return groupPartitions(this.#tables, maxTasks).map((group) => ({
      ...this.#props,
      [TASK_TABLES]: JSON.stringify(group),
    }))
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#checking
    await this.#closeDb()
  }

  async #closeDb(): Promise<void> {
    const db = this.#db
    this.#db = null
    await db?.close()
  }

  config(): ConfigDef {
    return SOURCE_CONFIG_DEF
  }

  override validate(props: Record<string, string>): Config {
    const config = super.validate(props) as Config
    if (config.configValues.every((v) => v.errorMessages.length === 0)) {
      try {
        sourceSettings(props)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        const key = /for configuration ([^\s:]+)/.exec(e.message)?.[1] ?? 'mode'
        config.configValues.find((v) => v.name === key)?.errorMessages.push(e.message)
      }
    }
    return config
  }

  override alterOffsets(): boolean {
    // Offsets are plain {incrementing, timestamp, timestamp_nanos} maps; any change is taken as the new position.
    return true
  }
}
