import { definePlugins } from '@ferry/api'
import { ExtractNewRecordState } from './extract-new-record-state.ts'
import { PostgresConnector } from './postgres-connector.ts'

export { ExtractNewRecordState } from './extract-new-record-state.ts'
export { PostgresConnector } from './postgres-connector.ts'
export { PostgresConnectorTask } from './postgres-task.ts'

/** The plugins this package provides (its package.json names this module), keyed by Debezium's class names. */
export const plugins = definePlugins([
  {
    className: 'io.debezium.connector.postgresql.PostgresConnector',
    taskClassName: 'io.debezium.connector.postgresql.PostgresConnectorTask',
    aliases: ['PostgresCdcSource', 'PostgresCdcSourceConnector'],
    kind: ['source'],
    create: () => new PostgresConnector(),
  },
  {
    className: 'io.debezium.transforms.ExtractNewRecordState',
    kind: ['transformation'],
    create: () => new ExtractNewRecordState(),
  },
])
