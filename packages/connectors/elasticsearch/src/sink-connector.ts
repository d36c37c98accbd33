import { readFileSync } from 'node:fs'
import { type Config, type ConfigDef, ConfigException, SinkConnector, type TaskClass } from '@ferry/api'
import { CONFIG_DEF, combinationProblems, type KeyProblem, sinkSettings, sslProblems } from './config.ts'
import { ElasticsearchClient } from './elasticsearch-client.ts'
import { HttpClient } from './http-client.ts'
import { createLog } from './log.ts'
import { ElasticsearchSinkTask } from './sink-task.ts'
import { VERSION } from './version.ts'

/** Keys the worker reads from a sink connector's config (Apache's SinkConnectorConfig and its prefixes). */
const WORKER_KEYS = new Set([
  'name',
  'connector.class',
  'connector.plugin.version',
  'tasks.max',
  'tasks.max.enforce',
  'topics',
  'topics.regex',
  'key.converter',
  'value.converter',
  'header.converter',
  'key.converter.plugin.version',
  'value.converter.plugin.version',
  'header.converter.plugin.version',
  'config.action.reload',
  'transforms',
  'predicates',
  'errors.retry.timeout',
  'errors.retry.delay.max.ms',
  'errors.tolerance',
  'errors.log.enable',
  'errors.log.include.messages',
  'errors.deadletterqueue.topic.name',
  'errors.deadletterqueue.topic.replication.factor',
  'errors.deadletterqueue.context.headers.enable',
  'errors.restart.enable',
])
const WORKER_PREFIXES = ['key.converter.', 'value.converter.', 'header.converter.', 'transforms.', 'predicates.']
const CLIENT_PREFIXES = ['consumer.override.', 'producer.override.', 'admin.override.']

/**
 * Confluent's ElasticsearchSinkConnector. Every task gets the connector's config; `validate` checks each key, the
 * combinations Confluent's Validator checks, and that the cluster answers at `connection.url`. Keys it does not know
 * (`type.name` from 6.x-era examples, typos) are logged as Apache logs unused keys, and do not stop it.
 */
export class ElasticsearchSinkConnector extends SinkConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  start(props: Record<string, string>): void {
    sinkSettings(props, readFileSync)
    const log = createLog('ElasticsearchSinkConnector')
    for (const key of Object.keys(props)) {
      if (CONFIG_DEF.names().has(key) || WORKER_KEYS.has(key)) continue
      if ([...WORKER_PREFIXES, ...CLIENT_PREFIXES].some((p) => key.startsWith(p))) continue
      log.warn(
        key === 'type.name'
          ? "The configuration 'type.name' was supplied but isn't a known config: Elasticsearch 7 and later have no mapping types, documents are written as _doc."
          : `The configuration '${key}' was supplied but isn't a known config.`,
      )
    }
    this.#props = props
  }

  taskClass(): TaskClass {
    return ElasticsearchSinkTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    return Array.from({ length: maxTasks }, () => ({ ...this.#props }))
  }

  stop(): void {}

  config(): ConfigDef {
    return CONFIG_DEF
  }

  override async validate(props: Record<string, string>): Promise<Config> {
    const config = (await super.validate(props)) as Config
    const byName = new Map(config.configValues.map((v) => [v.name, v]))
    const add = (problems: KeyProblem[]) => {
      for (const p of problems) for (const k of p.keys) byName.get(k)?.errorMessages.push(p.message)
    }
    const hasErrors = () => config.configValues.some((v) => v.errorMessages.length > 0)
    // Individual keys invalid: no point in checking combinations.
    if (hasErrors()) return config
    add(combinationProblems(CONFIG_DEF.parse(props)))
    add(sslProblems(props))
    if (hasErrors()) return config
    const url = byName.get('connection.url')!
    let settings: ReturnType<typeof sinkSettings>
    try {
      settings = sinkSettings(props, readFileSync)
    } catch (e) {
      if (!(e instanceof ConfigException)) throw e
      const key = /for configuration ([^\s:]+)/.exec(e.message)?.[1] ?? 'connection.url'
      ;(byName.get(key) ?? url).errorMessages.push(e.message)
      return config
    }
    const client = new ElasticsearchClient(
      { ...settings, maxRetries: 0 },
      new HttpClient(settings),
      null,
      createLog('ElasticsearchSinkConnector'),
      () => {},
    )
    try {
      await client.connect()
    } catch (e) {
      url.errorMessages.push(`Could not connect to Elasticsearch. Error message: ${(e as Error).message}`)
    } finally {
      await client.close()
    }
    return config
  }

  override alterOffsets(): boolean {
    // Progress lives in the consumer group only; replayed records are absorbed by external versioning.
    return true
  }
}
