/**
 * Reading and changing a connector's offsets (KIP-875), the same in both modes: source offsets live in the worker's
 * offset store, sink offsets in the connector's consumer group. The herder checks that the connector is STOPPED.
 */
import {
  ConnectException,
  type Connector,
  DataException,
  type OffsetMap,
  type SinkConnector,
  SourceConnector,
  type TopicPartition,
} from '@ferry/api'
import { exactlyOnceSourceEnabled } from '../config/worker-config.ts'
import { KafkaAdmin, KafkaProducer, kafkaErrorIds } from '../kafka/clients.ts'
import { ConnectorOffsetBackingStore } from '../storage/connector-offset-store.ts'
import { offsetRecordKey, offsetRecordValue } from '../storage/offset-records.ts'
import type { OffsetBackingStore } from '../storage/offset-store.ts'
import type { OffsetStoreLease } from '../worker/connector-offset-stores.ts'
import { taskTransactionalId, type Worker } from '../worker/worker.ts'
import {
  BadRequestException,
  type ConnectorOffset,
  type ConnectorOffsets,
  type ConnectorType,
  type Message,
} from './herder.ts'

/** Apache's message for offset changes on a connector that is not stopped. */
export function notStoppedMessage(name: string): string {
  return `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`
}

function modifiedMessage(alterResult: boolean, reset: boolean): Message {
  const what = reset ? 'reset' : 'altered'
  return {
    message: alterResult
      ? `The offsets for this connector have been ${what} successfully`
      : `The Connect framework-managed offsets for this connector have been ${what} successfully. However, if this connector manages offsets externally, they will need to be manually ${what} in the system that the connector uses.`,
  }
}

/** Apache's connector admin for offsets: the worker's admin keys and the connector's `admin.override.*`. */
function admin(worker: Worker, clientId: string, config: Record<string, string>): KafkaAdmin {
  return new KafkaAdmin(worker.config.clients.admin(config, clientId))
}

/** `GET /connectors/{c}/offsets`: source offsets from the worker's store, sink offsets from the consumer group. */
export async function readConnectorOffsets(
  worker: Worker,
  name: string,
  config: Record<string, string>,
  type: ConnectorType,
): Promise<ConnectorOffsets> {
  if (type === 'sink') {
    const client = admin(worker, `connector-worker-adminclient-${name}`, config)
    try {
      const offsets = await client.consumerGroupOffsets(sinkGroupId(name, config, worker.config.originals))
      return {
        offsets: offsets.map((o) => ({
          partition: { kafka_topic: o.topic, kafka_partition: o.partition },
          offset: { kafka_offset: o.offset },
        })),
      }
    } catch (e) {
      throw new ConnectException(`Failed to retrieve consumer group offsets for sink connector ${name}`, e)
    } finally {
      await client.close().catch(() => {})
    }
  }
  // The connector's store: its own offsets topic (read to its end when it starts) and the worker's, or the worker's.
  const lease = await worker.offsetStores.acquire(config)
  try {
    const store = lease.store
    return { offsets: store.partitions(name).map((partition) => ({ partition, offset: store.get(name, partition) })) }
  } finally {
    await lease.release()
  }
}

/**
 * `PATCH` (offsets given) or `DELETE` (`null`: reset) of a STOPPED connector's offsets, through the connector's
 * `alterOffsets` first, with Apache's messages.
 */
export async function modifyConnectorOffsets(
  worker: Worker,
  name: string,
  config: Record<string, string>,
  type: ConnectorType,
  offsets: ConnectorOffset[] | null,
): Promise<Message> {
  if (offsets !== null && offsets.length === 0) {
    throw new ConnectException('The offsets to be altered may not be null or empty')
  }
  const connector = worker.instantiateConnector(config['connector.class'] ?? '', config['connector.plugin.version'])
  return type === 'sink'
    ? modifySinkOffsets(worker, name, config, connector, offsets === null ? null : parseSinkOffsets(offsets))
    : modifySourceOffsets(worker, name, config, connector, offsets)
}

/** Sink offsets live in the connector's consumer group; `null` offsets means a reset (the group is deleted). */
async function modifySinkOffsets(
  worker: Worker,
  name: string,
  config: Record<string, string>,
  instance: Connector,
  offsets: Array<{ tp: TopicPartition; offset: number | null }> | null,
): Promise<Message> {
  const groupId = sinkGroupId(name, config, worker.config.originals)
  const client = admin(worker, `connector-worker-adminclient-${name}`, config)
  try {
    const reset = offsets === null
    let toWrite = offsets
    if (toWrite === null) {
      try {
        toWrite = (await client.consumerGroupOffsets(groupId)).map((o) => ({
          tp: { topic: o.topic, partition: o.partition },
          offset: null,
        }))
      } catch (e) {
        throw new ConnectException(`Failed to list offsets prior to resetting offsets for sink connector ${name}`, e)
      }
    }
    const connector = instance as SinkConnector
    const alterResult = await callAlterOffsets(name, () =>
      connector.alterOffsets(config, new Map(toWrite.map((o) => [o.tp, o.offset]))),
    )
    if (reset) {
      try {
        await client.deleteConsumerGroup(groupId)
      } catch (e) {
        if (kafkaErrorIds(e).includes('NON_EMPTY_GROUP')) {
          throw new ConnectException(
            `Failed to reset consumer group offsets for connector ${name} either because its tasks haven't stopped completely yet or the connector was resumed before the request to reset its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.`,
            e,
          )
        }
        throw new ConnectException(`Failed to reset consumer group offsets for sink connector ${name}`, e)
      }
      return modifiedMessage(alterResult, true)
    }
    try {
      const alter = toWrite.filter((o) => o.offset !== null)
      const remove = toWrite.filter((o) => o.offset === null)
      if (alter.length > 0) {
        await client.alterConsumerGroupOffsets(
          groupId,
          alter.map((o) => ({ topic: o.tp.topic, partition: o.tp.partition, offset: o.offset! })),
        )
      }
      if (remove.length > 0)
        await client.deleteConsumerGroupOffsets(
          groupId,
          remove.map((o) => o.tp),
        )
    } catch (e) {
      const ids = kafkaErrorIds(e)
      if (ids.includes('UNKNOWN_MEMBER_ID') || ids.includes('GROUP_SUBSCRIBED_TO_TOPIC')) {
        throw new ConnectException(
          `Failed to alter consumer group offsets for connector ${name} either because its tasks haven't stopped completely yet or the connector was resumed before the request to alter its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.`,
          e,
        )
      }
      throw new ConnectException(`Failed to alter consumer group offsets for connector ${name}`, e)
    }
    return modifiedMessage(alterResult, false)
  } finally {
    await client.close().catch(() => {})
  }
}

/** Source offsets live in the connector's offset store (see ConnectorOffsetStores); `null` offsets means a reset of every known partition. */
async function modifySourceOffsets(
  worker: Worker,
  name: string,
  config: Record<string, string>,
  instance: Connector,
  offsets: ConnectorOffset[] | null,
): Promise<Message> {
  const lease = await worker.offsetStores.acquire(config)
  try {
    const store = lease.store
    const reset = offsets === null
    const entries: Array<[OffsetMap, OffsetMap | null]> = reset
      ? store.partitions(name).map((p) => [p, null])
      : offsets.map((o) => normalizeSourceOffset(o))
    const connector = instance as SourceConnector
    if (connector.alterOffsets === SourceConnector.prototype.alterOffsets) {
      throw new ConnectException(
        `Failed to modify offsets for connector ${name} because it doesn't support external modification of offsets`,
      )
    }
    const alterResult = await callAlterOffsets(name, () => connector.alterOffsets(config, new Map(entries)), true)
    if (entries.length > 0) {
      try {
        if (exactlyOnceSourceEnabled(worker.config)) await writeInTransaction(worker, name, config, lease, entries)
        else await store.set(name, entries)
      } catch (e) {
        throw new ConnectException(`Failed to modify offsets for source connector ${name}`, e)
      }
    }
    return modifiedMessage(alterResult, reset)
  } finally {
    await lease.release()
  }
}

/**
 * Apache's offset change with exactly-once source support (Worker.modifySourceConnectorOffsets): the offsets are
 * written in a transaction of a producer with task 0's transactional id, which also fences a zombie task 0 (the herder
 * fenced the others before), to the connector's offsets topic; with a topic of its own, tombstones go to the worker's
 * topic first and the other offsets after (as the store does). Resolves once the store reads the new offsets back
 * (a committed transaction becomes readable a little after the commit returns).
 */
async function writeInTransaction(
  worker: Worker,
  name: string,
  config: Record<string, string>,
  lease: OffsetStoreLease,
  entries: Array<[OffsetMap, OffsetMap | null]>,
): Promise<void> {
  const settings = worker.config.clients.producer(config, `connector-producer-${name}-0`)
  settings.transactionalId = taskTransactionalId(worker.config.distributed!.groupId, name, 0)
  settings.idempotence = true
  const combined = lease.store instanceof ConnectorOffsetBackingStore ? lease.store : null
  const tombstones = entries.filter(([, offset]) => offset === null)
  if (combined && tombstones.length > 0) await combined.workerStore.set(name, tombstones)
  const producer = new KafkaProducer(settings)
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send(
      entries.map(([partition, offset]) => ({
        topic: lease.topic!,
        key: offsetRecordKey(name, partition),
        value: offsetRecordValue(offset),
      })),
    )
    await producer.commitTransaction()
  } finally {
    await producer.close().catch(() => {})
  }
  if (combined)
    await combined.writeSecondary(
      name,
      entries.filter(([, offset]) => offset !== null),
    )
  const store = lease.store as OffsetBackingStore & { refresh?(timeoutMs?: number): Promise<void> }
  const deadline = Date.now() + 30_000
  const readBack = () => entries.every(([p, offset]) => JSON.stringify(store.get(name, p)) === JSON.stringify(offset))
  while (store.refresh) {
    await store.refresh()
    if (readBack()) break
    if (Date.now() > deadline) throw new Error('Timed out reading the new offsets back')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The consumer group of a sink connector's tasks, as the worker picks it: `connect-<name>`, unless the worker's
 * `consumer.group.id` or the connector's `consumer.override.group.id` names another.
 */
export function sinkGroupId(
  name: string,
  config: Readonly<Record<string, string>>,
  worker: Readonly<Record<string, string>>,
): string {
  return config['consumer.override.group.id'] ?? worker['consumer.group.id'] ?? `connect-${name}`
}

/** Calls the connector's `alterOffsets`; a connector that does not implement it cannot have its offsets changed. */
async function callAlterOffsets(
  name: string,
  call: () => boolean | Promise<boolean>,
  source = false,
): Promise<boolean> {
  try {
    return await call()
  } catch (e) {
    if (e instanceof ConnectException) throw e
    throw new ConnectException(`Failed to modify offsets for ${source ? 'source' : 'sink'} connector ${name}`, e)
  }
}

/** Apache's `SinkUtils.parseSinkConnectorOffsets`, with its messages. */
function parseSinkOffsets(offsets: ConnectorOffset[]): Array<{ tp: TopicPartition; offset: number | null }> {
  const out = new Map<string, { tp: TopicPartition; offset: number | null }>()
  for (const { partition, offset } of offsets) {
    if (partition === null || partition === undefined) {
      throw new BadRequestException('The partition for a sink connector offset cannot be null or missing')
    }
    if (!Object.hasOwn(partition, 'kafka_topic') || !Object.hasOwn(partition, 'kafka_partition')) {
      throw new BadRequestException(
        "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'",
      )
    }
    if (partition.kafka_topic === null) {
      throw new BadRequestException('Kafka topic names must be valid strings and may not be null')
    }
    if (partition.kafka_partition === null) {
      throw new BadRequestException('Kafka partitions must be valid numbers and may not be null')
    }
    const topic = String(partition.kafka_topic)
    const partitionNumber = parseJavaInt(partition.kafka_partition, 2 ** 31)
    if (partitionNumber === null) {
      throw new BadRequestException(
        `Failed to parse the following Kafka partition value in the provided offsets: '${javaText(partition.kafka_partition)}'. Partition values for sink connectors need to be integers.`,
      )
    }
    let parsed: number | null = null
    if (offset !== null && offset !== undefined) {
      if (!Object.hasOwn(offset, 'kafka_offset')) {
        throw new BadRequestException(
          "The offset for a sink connector should either be null or contain the key 'kafka_offset'",
        )
      }
      parsed = parseJavaInt(offset.kafka_offset, 2 ** 63)
      if (parsed === null) {
        throw new BadRequestException(
          `Failed to parse the following Kafka offset value in the provided offsets: '${javaText(offset.kafka_offset)}'. Offset values for sink connectors need to be integers.`,
        )
      }
    }
    const tp = { topic, partition: partitionNumber }
    out.set(`${topic}\u0000${partitionNumber}`, { tp, offset: parsed })
  }
  return [...out.values()]
}

/** Java's `Integer.parseInt(String.valueOf(v))` / `Long.parseLong`: numbers and numeric strings, else null. */
function parseJavaInt(value: unknown, limit: number): number | null {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : 'x') : String(value)
  if (!/^[+-]?\d+$/.test(text)) return null
  const n = Number(text)
  return n >= -limit && n < limit ? n : null
}

function javaText(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** Apache's `OffsetUtils.validateFormat` on a partition and its offset, then a JSON round trip. */
function normalizeSourceOffset(o: ConnectorOffset): [OffsetMap, OffsetMap | null] {
  if (o.partition === null || o.partition === undefined) {
    throw new BadRequestException('Source partitions may not be null')
  }
  validateOffsetFormat(o.partition)
  if (o.offset !== null && o.offset !== undefined) validateOffsetFormat(o.offset)
  const partition = JSON.parse(JSON.stringify(o.partition)) as OffsetMap
  const offset =
    o.offset === null || o.offset === undefined ? null : (JSON.parse(JSON.stringify(o.offset)) as OffsetMap)
  return [partition, offset]
}

function validateOffsetFormat(data: unknown): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DataException('Offsets must be specified as a Map')
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (value === null) continue
    const t = typeof value
    if (t === 'string' || t === 'number' || t === 'boolean') continue
    const kind = Array.isArray(value) ? 'ARRAY' : 'MAP'
    throw new DataException(`Offsets may only contain primitive types as values, but field ${key} contains ${kind}`)
  }
}
