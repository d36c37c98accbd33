import { ConfigDef, ConnectException, Range, SourceConnector, type TaskClass } from '@ferry/api'
import { FileStreamSourceTask } from './file-stream-source-task.ts'
import { VERSION } from './version.ts'

export const FILE_CONFIG = 'file'
export const TOPIC_CONFIG = 'topic'
export const TASK_BATCH_SIZE_CONFIG = 'batch.size'
export const DEFAULT_TASK_BATCH_SIZE = 2000

/** Apache's FileStreamSourceConnector: one task that tails a file (or reads standard input) into one topic. */
export class FileStreamSourceConnector extends SourceConnector {
  static readonly CONFIG_DEF = new ConfigDef()
    .define({
      name: FILE_CONFIG,
      type: 'STRING',
      defaultValue: null,
      importance: 'HIGH',
      documentation: 'Source filename. If not specified, the standard input will be used',
    })
    .define({
      name: TOPIC_CONFIG,
      type: 'STRING',
      importance: 'HIGH',
      documentation: 'The topic to publish data to',
    })
    .define({
      name: TASK_BATCH_SIZE_CONFIG,
      type: 'INT',
      defaultValue: DEFAULT_TASK_BATCH_SIZE,
      validator: Range.atLeast(1),
      importance: 'LOW',
      documentation: 'The maximum number of records the source task can read from the file each time it is polled',
    })

  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  start(props: Record<string, string>): void {
    const parsed = FileStreamSourceConnector.CONFIG_DEF.parse(props)
    const topic = parsed[TOPIC_CONFIG]
    if (typeof topic !== 'string' || topic.includes(',')) {
      throw new ConnectException(
        "'topic' in FileStreamSourceConnector configuration requires definition of a single topic",
      )
    }
    this.#props = props
  }

  taskClass(): TaskClass {
    return FileStreamSourceTask
  }

  taskConfigs(_maxTasks: number): Record<string, string>[] {
    // Only one input stream makes sense.
    const config: Record<string, string> = { [TOPIC_CONFIG]: this.#props[TOPIC_CONFIG] ?? '' }
    const file = this.#props[FILE_CONFIG]
    if (file) config[FILE_CONFIG] = file
    config[TASK_BATCH_SIZE_CONFIG] = this.#props[TASK_BATCH_SIZE_CONFIG] ?? String(DEFAULT_TASK_BATCH_SIZE)
    return [config]
  }

  stop(): void {}

  config(): ConfigDef {
    return FileStreamSourceConnector.CONFIG_DEF
  }

  override exactlyOnceSupport(props: Record<string, string>): 'SUPPORTED' | 'UNSUPPORTED' {
    // Reading from a file is deterministic; standard input is not.
    return props[FILE_CONFIG] ? 'SUPPORTED' : 'UNSUPPORTED'
  }
}
