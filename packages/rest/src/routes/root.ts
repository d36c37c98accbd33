import { readFileSync } from 'node:fs'
import type { RestContext, RouteSpec } from '../context.ts'

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

/** `GET /`: Ferry's version, its commit (`FERRY_COMMIT`, else `unknown`) and the Kafka cluster id. */
export function rootRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/',
      anyMediaType: true,
      summary: 'The worker\'s version, commit id and Kafka cluster id: `{"version","commit","kafka_cluster_id"}`',
      handler: async () => ({
        version: VERSION,
        commit: process.env.FERRY_COMMIT || 'unknown',
        kafka_cluster_id: ctx.herder.kafkaClusterId(),
      }),
    },
  ]
}
