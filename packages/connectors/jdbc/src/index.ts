import { JdbcSinkConnector } from './sink-connector.ts'
import { JdbcSourceConnector } from './source-connector.ts'

export { JdbcSinkConnector } from './sink-connector.ts'
export { JdbcSinkTask } from './sink-task.ts'
export { JdbcSourceConnector } from './source-connector.ts'
export { JdbcSourceTask } from './source-task.ts'

/** The plugins this package provides, keyed by the Confluent class names they replace. */
export const plugins = [
  {
    className: 'io.confluent.connect.jdbc.JdbcSourceConnector',
    kind: ['source'],
    create: () => new JdbcSourceConnector(),
  },
  {
    className: 'io.confluent.connect.jdbc.JdbcSinkConnector',
    kind: ['sink'],
    create: () => new JdbcSinkConnector(),
  },
] as const
