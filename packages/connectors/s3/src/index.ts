import { definePlugins } from '@ferry/api'
import { S3SinkConnector } from './sink-connector.ts'

export { S3SinkConnector } from './sink-connector.ts'
export { S3SinkTask } from './sink-task.ts'

/** The plugins this package provides (its package.json names this module), keyed by the Confluent class names they replace. */
export const plugins = definePlugins([
  {
    className: 'io.confluent.connect.s3.S3SinkConnector',
    taskClassName: 'io.confluent.connect.s3.S3SinkTask',
    aliases: ['S3'],
    kind: ['sink'],
    create: () => new S3SinkConnector(),
  },
])
