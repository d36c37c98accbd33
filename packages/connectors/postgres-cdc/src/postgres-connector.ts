import {
  type Config,
  type ConfigDef,
  ConfigException,
  ConnectException,
  newConfigValue,
  SourceConnector,
  type TaskClass,
} from '@ferry/api'
import { Catalog, connect } from './catalog.ts'
import { CONFIG_DEF, settings } from './config.ts'
import { PostgresConnectorTask } from './postgres-task.ts'
import { VERSION } from './version.ts'

/**
 * Debezium's PostgresConnector: change data capture from PostgreSQL's logical replication (pgoutput) with Debezium's
 * keys, topics, record shapes and offsets. One task reads the slot; `tasks.max` above 1 still runs one, as Debezium.
 */
export class PostgresConnector extends SourceConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    const s = settings(props)
    this.#props = props
    // Fail here, with the server's reason, when the database cannot be reached or refuses the credentials.
    const catalog = new Catalog(await connect(s), s)
    try {
      const res = await catalog.client.query('SHOW wal_level')
      const level = (res.rows[0] as { wal_level: string }).wal_level
      if (level !== 'logical')
        throw new ConnectException(
          `Postgres server wal_level property must be 'logical' but is: '${level}' (set wal_level=logical and restart the server)`,
        )
    } finally {
      await catalog.close()
    }
  }

  taskClass(): TaskClass {
    return PostgresConnectorTask
  }

  taskConfigs(_maxTasks: number): Record<string, string>[] {
    return [{ ...this.#props }]
  }

  stop(): void {}

  config(): ConfigDef {
    return CONFIG_DEF
  }

  override validate(props: Record<string, string>): Config {
    const config = super.validate(props) as Config
    if (config.configValues.every((v) => v.errorMessages.length === 0)) {
      try {
        settings(props)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        const name = /for configuration ([^\s:]+)/.exec(e.message)?.[1] ?? 'topic.prefix'
        const value = config.configValues.find((v) => v.name === name)
        if (value) value.errorMessages.push(e.message)
        else {
          const added = newConfigValue(name)
          added.value = props[name] ?? null
          added.errorMessages.push(e.message)
          config.configValues.push(added)
        }
      }
    }
    return config
  }

  override alterOffsets(): boolean {
    // Offsets are Debezium's plain maps; a change is taken as the new position (Debezium's own check is the same).
    return true
  }
}
