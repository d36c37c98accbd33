import { type Config, type ConfigDef, ConfigException, SinkConnector, type TaskClass } from '@ferry/api'
import { S3_CONFIG_DEF, s3Settings } from './config.ts'
import { newPartitioner } from './partitioner.ts'
import { S3SinkTask } from './sink-task.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's S3SinkConnector: writes each topic partition's records to objects in an S3 bucket (or any
 * S3-compatible store), in JSON, raw bytes, Avro or Parquet, partitioned by Kafka partition, record fields or time,
 * exactly once.
 */
export class S3SinkConnector extends SinkConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    const settings = s3Settings(props)
    newPartitioner(settings)
    // Fail here, with S3's reason, when the bucket is missing or the store refuses the credentials.
    const { S3Storage } = await import('./storage.ts')
    const storage = new S3Storage(settings)
    try {
      if (!(await storage.bucketExists())) {
        throw new ConfigException('s3.bucket.name', settings.bucket, `Non-existent S3 bucket: ${settings.bucket}`)
      }
    } finally {
      storage.close()
    }
    this.#props = props
  }

  taskClass(): TaskClass {
    return S3SinkTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    return Array.from({ length: maxTasks }, () => ({ ...this.#props }))
  }

  stop(): void {}

  config(): ConfigDef {
    return S3_CONFIG_DEF
  }

  override validate(props: Record<string, string>): Config {
    const config = super.validate(props) as Config
    if (config.configValues.every((v) => v.errorMessages.length === 0)) {
      try {
        newPartitioner(s3Settings(props))
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        const key = /for configuration ([^\s:]+)/.exec(e.message)?.[1] ?? 'format.class'
        const value = config.configValues.find((v) => v.name === key)
        if (value) value.errorMessages.push(e.message)
        else
          config.configValues.push({
            name: key,
            value: props[key] ?? null,
            recommendedValues: [],
            errorMessages: [e.message],
            visible: true,
          })
      }
    }
    return config
  }

  override alterOffsets(): boolean {
    // Progress lives in the consumer group; a rewound partition writes the same objects again.
    return true
  }
}
