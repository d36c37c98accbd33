/** Shared by the Elasticsearch sink tests: producing to topics, reading a DLQ, and asking the search server. */
import { freePort, randomName } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../../runtime/src/kafka/clients.ts'

const bootstrap = () => testBootstrap().split(',')

/** Produces records (key and value as UTF-8 text, null for a tombstone) to partition 0 of a topic. */
export async function produce(
  topic: string,
  records: Array<{ key?: string | null; value: string | null }>,
): Promise<void> {
  const producer = new KafkaProducer({ bootstrapServers: bootstrap(), clientId: randomName('test') })
  try {
    for (let i = 0; i < records.length; i += 2000) {
      await producer.send(
        records.slice(i, i + 2000).map((r) => ({
          topic,
          partition: 0,
          key: r.key == null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
        })),
      )
    }
  } finally {
    await producer.close()
  }
}

/** Reads a topic from the beginning until it holds `count` records (values and headers as text). */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Array<{ value: string | null; headers: Record<string, string> }>> {
  const consumer = new KafkaConsumer({
    bootstrapServers: bootstrap(),
    clientId: randomName('r'),
    groupId: randomName('r'),
  })
  const out: Array<{ value: string | null; headers: Record<string, string> }> = []
  try {
    await consumer.subscribe([topic])
    const deadline = Date.now() + timeoutMs
    while (out.length < count) {
      if (Date.now() > deadline) throw new Error(`Timed out reading ${topic}: ${out.length} of ${count} records`)
      for (const m of await consumer.poll(1000, 200)) {
        out.push({
          value: m.value?.toString('utf8') ?? null,
          headers: Object.fromEntries(m.headers.map(([k, v]) => [k, v?.toString('utf8') ?? ''])),
        })
      }
    }
  } finally {
    await consumer.close()
  }
  return out
}

/** The committed offsets of a consumer group, by partition. */
export async function committedOffsets(group: string): Promise<Map<number, number>> {
  const admin = new KafkaAdmin({ bootstrapServers: bootstrap(), clientId: randomName('admin') })
  try {
    return new Map((await admin.consumerGroupOffsets(group)).map((o) => [o.partition, o.offset]))
  } finally {
    await admin.close()
  }
}

/** Worker properties for a `ferry standalone` test worker: schemaless JSON values, string keys, fast commits. */
export async function workerProps(dir: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    'bootstrap.servers': testBootstrap(),
    listeners: `http://127.0.0.1:${await freePort()}`,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'offset.storage.file.filename': `${dir}/connect.offsets`,
    'offset.flush.interval.ms': '500',
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    ...extra,
  }
}

/** A JSON request to the search server. */
export async function search(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return text ? JSON.parse(text) : { status: res.status }
}

/** The number of documents in an index after a refresh (0 when it does not exist yet). */
export async function count(url: string, index: string): Promise<number> {
  await fetch(`${url}/${index}/_refresh`, { method: 'POST' })
  const res = await search(url, 'GET', `/${index}/_count`)
  return res.count ?? 0
}

/** Every document of an index: id → { source, version }. */
export async function documents(url: string, index: string): Promise<Map<string, { source: any; version: number }>> {
  await fetch(`${url}/${index}/_refresh`, { method: 'POST' })
  const res = await search(url, 'POST', `/${index}/_search`, { size: 10000, version: true, query: { match_all: {} } })
  return new Map(
    (res.hits?.hits ?? []).map((h: any) => [h._id as string, { source: h._source, version: h._version as number }]),
  )
}
