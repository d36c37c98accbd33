import { definePlugins } from '@ferry/api'
import { FileStreamSinkConnector } from './file-stream-sink-connector.ts'
import { FileStreamSourceConnector } from './file-stream-source-connector.ts'

export { FileStreamSinkConnector } from './file-stream-sink-connector.ts'
export { FileStreamSinkTask } from './file-stream-sink-task.ts'
export { FileStreamSourceConnector } from './file-stream-source-connector.ts'
export { FileStreamSourceTask } from './file-stream-source-task.ts'

/** The plugins this package provides (its package.json names this module), keyed by the Apache class names they replace. */
export const plugins = definePlugins([
  {
    className: 'org.apache.kafka.connect.file.FileStreamSourceConnector',
    kind: ['source'],
    create: () => new FileStreamSourceConnector(),
  },
  {
    className: 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    kind: ['sink'],
    create: () => new FileStreamSinkConnector(),
  },
])
