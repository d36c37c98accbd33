import { ElasticsearchSinkConnector } from './sink-connector.ts'

export { CONFIG_DEF, type SinkSettings, sinkSettings } from './config.ts'
export { ElasticsearchSinkConnector } from './sink-connector.ts'
export { ElasticsearchSinkTask } from './sink-task.ts'

/** The plugins this package provides, keyed by the Confluent class name they replace. */
export const plugins = [
  {
    className: 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
    aliases: ['OpenSearchSinkConnector', 'OpenSearchSink'],
    taskClassName: 'io.confluent.connect.elasticsearch.ElasticsearchSinkTask',
    kind: ['sink'],
    create: () => new ElasticsearchSinkConnector(),
  },
] as const
