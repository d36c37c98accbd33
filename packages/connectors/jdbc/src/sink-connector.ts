import { type Config, type ConfigDef, ConfigException, SinkConnector, type TaskClass } from '@ferry/api'
import { connect } from './db.ts'
import { SINK_CONFIG_DEF, sinkSettings } from './sink-config.ts'
import { JdbcSinkTask } from './sink-task.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's JdbcSinkConnector: writes records into tables named after their topics, inserting, upserting or
 * updating by key, creating and evolving tables on demand and deleting on tombstones.
 */
export class JdbcSinkConnector extends SinkConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    const settings = sinkSettings(props)
    // Fail here, with the driver's reason, when the database cannot be reached or refuses the credentials.
    const db = await connect(settings.connection)
    await db.close()
    this.#props = props
  }

  taskClass(): TaskClass {
    return JdbcSinkTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    return Array.from({ length: maxTasks }, () => ({ ...this.#props }))
  }

  stop(): void {}

  config(): ConfigDef {
    return SINK_CONFIG_DEF
  }

  override validate(props: Record<string, string>): Config {
    const config = super.validate(props) as Config
    if (config.configValues.every((v) => v.errorMessages.length === 0)) {
      try {
        sinkSettings(props)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        const key = /for configuration ([^\s:]+)/.exec(e.message)?.[1] ?? 'pk.mode'
        config.configValues.find((v) => v.name === key)?.errorMessages.push(e.message)
      }
    }
    return config
  }

  override alterOffsets(): boolean {
    // Progress lives in the consumer group only; rewinding replays records, which upserts absorb.
    return true
  }
}
