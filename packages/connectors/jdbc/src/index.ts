import { definePlugins } from '@ferry/api'
import { JdbcSinkConnector } from './sink-connector.ts'
import { JdbcSourceConnector } from './source-connector.ts'

export { JdbcSinkConnector } from './sink-connector.ts'
export { JdbcSinkTask } from './sink-task.ts'
export { JdbcSourceConnector } from './source-connector.ts'
export { JdbcSourceTask } from './source-task.ts'

/** The plugins this package provides (its package.json names this module), keyed by the Confluent class names they replace. */
export const plugins = definePlugins([
  {
    className: 'io.confluent.connect.jdbc.JdbcSourceConnector',
    taskClassName: 'io.confluent.connect.jdbc.source.JdbcSourceTask',
    kind: ['source'],
    create: () => new JdbcSourceConnector(),
  },
  {
    className: 'io.confluent.connect.jdbc.JdbcSinkConnector',
    taskClassName: 'io.confluent.connect.jdbc.sink.JdbcSinkTask',
    kind: ['sink'],
    create: () => new JdbcSinkConnector(),
  },
])
