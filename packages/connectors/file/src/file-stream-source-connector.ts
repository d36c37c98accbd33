import { ConfigDef, ConnectException, type OffsetMap, Range, SourceConnector, type TaskClass } from '@ferry/api'
import { FILENAME_FIELD, FileStreamSourceTask, POSITION_FIELD } from './file-stream-source-task.ts'
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

  /**
   * Accepts new offsets (KIP-875) when each is null or a non-negative integer `position` for a partition that names
   * a `filename`, as Apache does; the task checks the position against the file when it starts.
   */
  override alterOffsets(props: Record<string, string>, offsets: Map<OffsetMap, OffsetMap | null>): boolean {
    if (!props[FILE_CONFIG]) {
      throw new ConnectException(
        `Offsets cannot be modified if the '${FILE_CONFIG}' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.`,
      )
    }
    for (const [partition, offset] of offsets) {
      // Tombstones are allowed for anything, so stray offsets can be cleaned up.
      if (offset === null) continue
      if (!(POSITION_FIELD in offset)) {
        throw new ConnectException(`Offset objects should either be null or contain the key '${POSITION_FIELD}'`)
      }
      const position = offset[POSITION_FIELD]
      if (!(typeof position === 'bigint' || (typeof position === 'number' && Number.isInteger(position)))) {
        throw new ConnectException(
          `The value for the '${POSITION_FIELD}' key in the offset is expected to be a Long value`,
        )
      }
      if (position < 0) {
        throw new ConnectException(
          `The value for the '${POSITION_FIELD}' key in the offset should be a non-negative value`,
        )
      }
      if (partition === null) throw new ConnectException('Partition objects cannot be null')
      if (!(FILENAME_FIELD in partition)) {
        throw new ConnectException(`Partition objects should contain the key '${FILENAME_FIELD}'`)
      }
    }
    return true
  }
}
