import { getLogger, type Logger } from '@ferry/api'

export type Log = Logger

/**
 * The logger of one of the connector's classes, under Confluent's class name
 * (`io.confluent.connect.elasticsearch.ElasticsearchSinkTask`), so `/admin/loggers/io.confluent.connect.elasticsearch`
 * sets its level as on Apache's workers. The worker adds the connector and task to every line.
 */
export function createLog(name: string): Log {
  return getLogger(`io.confluent.connect.elasticsearch.${name}`)
}
