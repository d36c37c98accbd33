import { ConfigDef, SinkConnector, type TaskClass } from '@ferry/api'
import { FileStreamSinkTask } from './file-stream-sink-task.ts'
import { VERSION } from './version.ts'

export const SINK_FILE_CONFIG = 'file'

/** Apache's FileStreamSinkConnector: one task that appends each record's value as a line to a file (or stdout). */
export class FileStreamSinkConnector extends SinkConnector {
  static readonly CONFIG_DEF = new ConfigDef().define({
    name: SINK_FILE_CONFIG,
    type: 'STRING',
    defaultValue: null,
    importance: 'HIGH',
    documentation: 'Destination filename. If not specified, the standard output will be used',
  })

  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  start(props: Record<string, string>): void {
    FileStreamSinkConnector.CONFIG_DEF.parse(props)
    this.#props = props
  }

  taskClass(): TaskClass {
    return FileStreamSinkTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    const configs: Record<string, string>[] = []
    for (let i = 0; i < maxTasks; i++) {
      const config: Record<string, string> = {}
      const file = this.#props[SINK_FILE_CONFIG]
      if (file) config[SINK_FILE_CONFIG] = file
      configs.push(config)
    }
    return configs
  }

  stop(): void {}

  config(): ConfigDef {
    return FileStreamSinkConnector.CONFIG_DEF
  }

  override alterOffsets(): boolean {
    // Nothing is stored outside Kafka, so consumer group offsets can be changed freely.
    return true
  }
}
