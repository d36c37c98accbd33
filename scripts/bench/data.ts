/** The bench's data: the lines file, the JSON-with-schema records, and loading them into topics. */

import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { CompressionType } from '../../packages/runtime/src/kafka/client-settings.ts'
import { KafkaAdmin, KafkaProducer } from '../../packages/runtime/src/kafka/clients.ts'

/** Every line of workloads 1 and 2 is this long (ASCII, without the newline). */
export const LINE_BYTES = 100
const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(2)

/** Line `i`: a 10-digit sequence number, a space and filler, exactly LINE_BYTES bytes. */
export function line(i: number): string {
  const head = `${String(i).padStart(10, '0')} `
  return head + FILLER.slice(i % 26, (i % 26) + LINE_BYTES - head.length)
}

/** Writes `count` lines of LINE_BYTES bytes plus '\n'. */
export async function writeLinesFile(path: string, count: number): Promise<void> {
  const out = createWriteStream(path)
  const perChunk = 10_000
  for (let start = 0; start < count; start += perChunk) {
    let chunk = ''
    for (let i = start; i < Math.min(count, start + perChunk); i++) chunk += `${line(i)}\n`
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** The Connect schema of workload 3's records, as JsonConverter writes it with schemas.enable=true. */
const ORDER_SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [
    { type: 'int64', optional: false, field: 'id' },
    { type: 'string', optional: false, field: 'customer' },
    { type: 'string', optional: true, field: 'email' },
    { type: 'double', optional: false, field: 'amount' },
    { type: 'string', optional: false, field: 'currency' },
    { type: 'boolean', optional: false, field: 'paid' },
    { type: 'string', optional: true, field: 'internal' },
  ],
  optional: false,
  name: 'bench.Order',
})

/** Record `i` of workload 3: a JsonConverter envelope {"schema":..., "payload":...}. */
export function jsonRecord(i: number): string {
  const c = i % 1000
  const payload = {
    id: i,
    customer: `customer-${String(c).padStart(4, '0')}`,
    email: `customer${c}@example.com`,
    amount: (i % 100_000) / 100,
    currency: i % 3 === 0 ? 'USD' : 'EUR',
    paid: i % 2 === 0,
    internal: `ref-${i.toString(36).padStart(8, '0')}`,
  }
  return `{"schema":${ORDER_SCHEMA},"payload":${JSON.stringify(payload)}}`
}

/** Workload 3's transformation chain, in Apache's config keys. */
export const JSON_TRANSFORMS: Record<string, string> = {
  transforms: 'insert,replace,route',
  'transforms.insert.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
  'transforms.insert.static.field': 'pipeline',
  'transforms.insert.static.value': 'ferry-bench',
  'transforms.insert.timestamp.field': 'ingested_at',
  'transforms.replace.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
  'transforms.replace.exclude': 'internal',
  'transforms.replace.renames': 'customer:customer_name',
  'transforms.route.type': 'org.apache.kafka.connect.transforms.TimestampRouter',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Apache's placeholders, not a template
  'transforms.route.topic.format': '${topic}-${timestamp}',
  'transforms.route.timestamp.format': 'yyyyMMdd',
}

export function bootstrapList(bootstrap: string): string[] {
  return bootstrap.split(',').map((s) => s.trim())
}

export function admin(bootstrap: string): KafkaAdmin {
  return new KafkaAdmin({ bootstrapServers: bootstrapList(bootstrap), clientId: 'ferry-bench' })
}

/** Creates a one-partition topic (the broker's default replication). */
export async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const a = admin(bootstrap)
  try {
    await a.createTopic(topic, 1)
  } finally {
    await a.close()
  }
}

/**
 * Produces `count` records with null keys and `value(i)` values (acks=all), a few batches in flight, compressed with
 * `compression` (default none). This only fills the topics the sink workloads read; it is not measured.
 */
export async function produce(
  bootstrap: string,
  topic: string,
  count: number,
  value: (i: number) => string,
  compression: CompressionType = 'none',
): Promise<void> {
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapList(bootstrap),
    clientId: 'ferry-bench-loader',
    compression: { type: compression },
  })
  try {
    const batch = 4000
    const inFlight = new Set<Promise<unknown>>()
    for (let start = 0; start < count; start += batch) {
      const records = []
      for (let i = start; i < Math.min(count, start + batch); i++)
        records.push({ topic, key: null, value: Buffer.from(value(i)) })
      const p = producer.send(records).finally(() => inFlight.delete(p))
      inFlight.add(p)
      if (inFlight.size >= 3) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
  } finally {
    await producer.close()
  }
}

/** Counts '\n' in a file that only grows, reading just the new bytes each time. */
export class LineCounter {
  readonly #path: string
  #position = 0
  #lines = 0
  readonly #buffer = Buffer.allocUnsafe(1 << 20)

  constructor(path: string) {
    this.#path = path
  }

  async count(): Promise<number> {
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(this.#path, 'r')
    } catch {
      return this.#lines // not created yet
    }
    try {
      for (;;) {
        const { bytesRead } = await file.read(this.#buffer, 0, this.#buffer.length, this.#position)
        if (bytesRead === 0) break
        this.#position += bytesRead
        const view = this.#buffer.subarray(0, bytesRead)
        for (let at = view.indexOf(10); at >= 0; at = view.indexOf(10, at + 1)) this.#lines++
      }
    } finally {
      await file.close()
    }
    return this.#lines
  }
}
