/**
 * `client.rack` (KIP-392) against a real three-broker cluster that selects replicas by rack (`broker.rack` r0, r1,
 * r2 and Apache's RackAwareReplicaSelector). The consumer is in r1 and the partition's leader in r0: the leader names
 * the follower in r1 as the preferred read replica and the records come from there, each once and in order; the
 * leader is asked again once `metadata.max.age.ms` has passed; when the follower stops, the leader serves the rest;
 * when it is back in sync, a consumer goes to it again, even one whose metadata was read while it was down.
 *
 * Which broker served what is read from the brokers themselves: their request loggers (`kafka.request.logger`, set to
 * DEBUG through the Admin API's broker loggers) log every Fetch with its client id, rack, offset, the preferred read
 * replica named and the size of the records sent back.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { randomName } from '@ferry/testing'
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka'
import { type KafkaCluster, startKafka } from '../../../../scripts/kafka/harness.ts'
import { type ConsumerSettings, type IncomingRecord, KafkaConsumer, KafkaProducer } from '../../src/kafka/clients.ts'

const RACKS = ['r0', 'r1', 'r2'] as const
/** Node ids are 1-based: node `n` is in rack `RACKS[n - 1]`. */
const LEADER = 1
const CLOSEST = 2
const OTHER = 3
const CONSUMER_RACK = RACKS[CLOSEST - 1]
const METADATA_MAX_AGE_MS = 3000

/** One Fetch of the test's partition, as the broker that answered it logged it. */
interface LoggedFetch {
  node: number
  rackId: string
  fetchOffset: number
  errorCode: number
  preferredReadReplica: number
  recordsBytes: number
}

/** The Fetch requests of `clientId` for `topic`, from each node's request log. */
function loggedFetches(cluster: KafkaCluster, clientId: string, topic: string): LoggedFetch[] {
  const out: LoggedFetch[] = []
  cluster.logFiles.forEach((file, index) => {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const at = line.indexOf('Completed request:{')
      if (at < 0 || !line.includes(`"clientId":${JSON.stringify(clientId)}`)) continue
      const entry = JSON.parse(line.slice(at + 'Completed request:'.length, line.lastIndexOf('}') + 1)) as {
        requestHeader: { requestApiKeyName: string }
        request: { rackId: string; topics: Array<{ topic: string; partitions: Array<{ fetchOffset: number }> }> } | null
        response: {
          responses: Array<{
            topic: string
            partitions: Array<{ errorCode: number; preferredReadReplica: number; recordsSizeInBytes: number }>
          }>
        } | null
      }
      // A request the broker logged without its body or answer (the connection closed while the fetch waited, as when
      // a consumer stops) says nothing of which replica served what.
      if (entry.requestHeader.requestApiKeyName !== 'FETCH' || !entry.request || !entry.response) continue
      const asked = entry.request.topics.find((t) => t.topic === topic)?.partitions[0]
      const answer = entry.response.responses.find((t) => t.topic === topic)?.partitions[0]
      if (!asked || !answer) continue
      out.push({
        node: index + 1,
        rackId: entry.request.rackId,
        fetchOffset: asked.fetchOffset,
        errorCode: answer.errorCode,
        preferredReadReplica: answer.preferredReadReplica,
        recordsBytes: answer.recordsSizeInBytes,
      })
    }
  })
  return out
}

/** The fetches of `node` that brought records. */
const served = (fetches: LoggedFetch[], node: number) => fetches.filter((f) => f.node === node && f.recordsBytes > 0)
/** The times `node` was named the preferred read replica. */
const named = (fetches: LoggedFetch[], node: number) => fetches.filter((f) => f.preferredReadReplica === node)

const value = (i: number) => Buffer.from(`value-${i}-${'x'.repeat(100 + (i % 50))}`)

/** Polls a consumer all along, a little at a time, as a sink task does. */
function startReading(consumer: KafkaConsumer) {
  const reading = {
    got: [] as IncomingRecord[],
    error: undefined as unknown,
    stopped: false,
    done: Promise.resolve(),
    async stop() {
      reading.stopped = true
      await reading.done
    },
  }
  reading.done = (async () => {
    try {
      while (!reading.stopped) {
        reading.got.push(...(await consumer.poll(100, 100)))
        await sleep(5)
      }
    } catch (e) {
      reading.error = e
    }
  })()
  return reading
}

/** Every record produced so far, once and in order. */
function assertAllOnce(got: IncomingRecord[], produced: number): void {
  assert.equal(got.length, produced, 'no record is lost or read twice')
  got.forEach((r, i) => {
    assert.equal(r.offset, i)
    assert.equal(r.key?.toString(), `k${i}`)
    assert.deepEqual(r.value, value(i))
  })
}

test('client.rack against three brokers in three racks that select replicas by rack', {
  timeout: 150_000,
}, async (t) => {
  const cluster = await startKafka({
    brokers: 3,
    nodeProperties: (index) => ({
      'broker.rack': RACKS[index] as string,
      'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
    }),
  })
  // Clients first, in reverse order, then the cluster.
  const cleanup: Array<() => Promise<unknown>> = []
  t.after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {})
    await cluster.stop()
  })
  const bootstrapServers = cluster.bootstrapServers.split(',')
  const admin = new Admin({ clientId: randomName('rack-admin'), bootstrapBrokers: bootstrapServers })
  cleanup.push(() => admin.close())

  // Broker logger levels last until the broker stops.
  const logRequests = (node: number) =>
    admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.BROKER_LOGGER,
          resourceName: String(node),
          configs: [
            { name: 'kafka.request.logger', value: 'DEBUG', configOperation: IncrementalAlterConfigOperationTypes.SET },
          ],
        },
      ],
    })
  for (const node of [LEADER, CLOSEST, OTHER]) await logRequests(node)

  // The first replica of a manual assignment is the preferred leader: node 1, in rack r0.
  const topic = randomName('rack')
  await admin.createTopics({
    topics: [topic],
    partitions: -1,
    replicas: -1,
    assignments: [{ partition: 0, brokers: [LEADER, CLOSEST, OTHER] }],
  })
  const waitForIsr = async (isr: number[]) => {
    for (let deadline = Date.now() + 30_000; ; await sleep(200)) {
      const partition = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)?.partitions[0]
      if (partition?.leader === LEADER && [...partition.isr].sort().join() === isr.join()) return
      assert.ok(Date.now() < deadline, `${topic}: leader ${partition?.leader}, in sync ${partition?.isr}`)
    }
  }
  await waitForIsr([LEADER, CLOSEST, OTHER])

  const producer = new KafkaProducer({ bootstrapServers, clientId: randomName('rack-producer') })
  cleanup.push(() => producer.close())
  let produced = 0
  const produce = async (count: number) => {
    const records = []
    for (let i = produced; i < produced + count; i++)
      records.push({ topic, partition: 0, key: Buffer.from(`k${i}`), value: value(i) })
    const offsets = await producer.send(records)
    assert.equal(offsets[0]?.offset, produced, 'records are stored at the offsets the test expects')
    produced += count
  }
  // Records keep coming in the background from the second step on, 20 every 20 ms or so.
  let producing = false
  let produceError: unknown
  let background = Promise.resolve()
  const stopProducing = async () => {
    producing = false
    await background
    if (produceError !== undefined) throw produceError
  }
  cleanup.push(stopProducing)

  const newConsumer = (clientId: string, extra: Partial<ConsumerSettings> = {}) => {
    const consumer = new KafkaConsumer({
      bootstrapServers,
      clientId,
      groupId: randomName('rack-group'),
      clientRack: CONSUMER_RACK,
      // Small fetches: many of them, so where each went says something.
      maxPartitionFetchBytes: 16 * 1024,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 10_000,
      ...extra,
    })
    cleanup.push(() => consumer.close())
    return consumer
  }
  const waitFor = async (what: string, reading: ReturnType<typeof startReading>, done: () => boolean, ms = 30_000) => {
    for (const deadline = Date.now() + ms; !done(); await sleep(50)) {
      if (reading.error !== undefined) throw reading.error
      if (produceError !== undefined) throw produceError
      assert.ok(Date.now() < deadline, `timed out waiting until ${what} (read ${reading.got.length} of ${produced})`)
    }
  }

  const firstId = randomName('rack-consumer')
  const first = newConsumer(firstId, { metadataMaxAgeMs: METADATA_MAX_AGE_MS })
  const firstReading = startReading(first)
  cleanup.push(() => firstReading.stop())

  await t.test('the consumer reads every record from the follower in its rack, none from the leader', async () => {
    await produce(1000)
    await first.subscribe([topic])
    for (let i = 0; i < 10; i++) await produce(100)
    await waitFor('the first 2000 records are read', firstReading, () => firstReading.got.length >= 2000)

    const fetches = loggedFetches(cluster, firstId, topic)
    assert.deepEqual(new Set(fetches.map((f) => f.rackId)), new Set([CONSUMER_RACK]), 'every fetch carries the rack')
    assert.ok(
      named(fetches, CLOSEST).every((f) => f.node === LEADER && f.recordsBytes === 0),
      'the leader names the preferred replica, without records',
    )
    assert.ok(named(fetches, CLOSEST).length >= 1, `the leader names node ${CLOSEST}`)
    assert.ok(served(fetches, CLOSEST).length >= 5, `the follower in ${CONSUMER_RACK} serves the records`)
    assert.deepEqual(served(fetches, LEADER), [], 'the leader serves none')
    assert.deepEqual(
      fetches.filter((f) => f.node === OTHER),
      [],
      `node ${OTHER} (another rack, not the leader) is never asked`,
    )
    assertAllOnce(firstReading.got, produced)
  })

  await t.test(
    'once metadata.max.age.ms has passed the leader is asked again, and names the same follower',
    async () => {
      producing = true
      background = (async () => {
        try {
          while (producing && produced < 30_000) {
            await produce(20)
            await sleep(20)
          }
        } catch (e) {
          produceError = e
        }
      })()
      let fetches: LoggedFetch[] = []
      await waitFor(
        'the leader has named the preferred replica again and the follower serves again',
        firstReading,
        () => {
          fetches = loggedFetches(cluster, firstId, topic)
          const again = named(fetches, CLOSEST)[1]
          return again !== undefined && served(fetches, CLOSEST).some((f) => f.fetchOffset > again.fetchOffset)
        },
        METADATA_MAX_AGE_MS * 4,
      )
      assert.deepEqual(served(fetches, LEADER), [], 'the leader still serves none')
    },
  )

  await t.test('when the follower stops, the leader serves the rest: no record is lost or read twice', async () => {
    await cluster.stopNode(CLOSEST - 1)
    // Past the batch that may have been on its way when the node stopped.
    const stoppedAt = produced + 20
    await waitFor(
      'records produced after the stop are read',
      firstReading,
      () => firstReading.got.length >= stoppedAt + 200,
    )
    await stopProducing()
    await waitFor('every record is read', firstReading, () => firstReading.got.length >= produced)
    await sleep(1000) // and no more come
    await firstReading.stop()
    if (firstReading.error !== undefined) throw firstReading.error
    assertAllOnce(firstReading.got, produced)

    const fetches = loggedFetches(cluster, firstId, topic)
    const afterStop = fetches.filter((f) => f.fetchOffset >= stoppedAt && f.recordsBytes > 0)
    assert.ok(afterStop.length > 0)
    assert.deepEqual(
      afterStop.filter((f) => f.node !== LEADER),
      [],
      'the records produced after the stop come from the leader',
    )
    assert.deepEqual(
      fetches.filter((f) => f.node === OTHER),
      [],
      `node ${OTHER} (another rack, not the leader) is never asked`,
    )
  })

  await t.test('a consumer that started while the follower was down goes to it once it is back in sync', async () => {
    // Default metadata.max.age.ms (5 minutes): its metadata, read while the follower was down, does not know it.
    const secondId = randomName('rack-consumer')
    const second = newConsumer(secondId)
    const secondReading = startReading(second)
    cleanup.push(() => secondReading.stop())
    await second.subscribe([topic])
    await waitFor('the records so far are read', secondReading, () => secondReading.got.length >= produced)
    let fetches = loggedFetches(cluster, secondId, topic)
    assert.ok(served(fetches, LEADER).length > 0, `with no replica in ${CONSUMER_RACK} in sync, the leader serves`)
    assert.deepEqual(named(fetches, CLOSEST), [])

    await cluster.startNode(CLOSEST - 1)
    await logRequests(CLOSEST)
    await waitForIsr([LEADER, CLOSEST, OTHER])
    const backAt = produced
    for (let i = 0; i < 10; i++) await produce(50)
    await waitFor('the records produced since are read', secondReading, () => secondReading.got.length >= produced)
    await sleep(1000)
    await secondReading.stop()
    if (secondReading.error !== undefined) throw secondReading.error
    assertAllOnce(secondReading.got, produced)

    fetches = loggedFetches(cluster, secondId, topic)
    assert.ok(named(fetches, CLOSEST).length >= 1, `the leader names node ${CLOSEST} again`)
    const sinceBack = fetches.filter((f) => f.fetchOffset >= backAt && f.recordsBytes > 0)
    assert.ok(sinceBack.length > 0)
    assert.deepEqual(
      sinceBack.filter((f) => f.node !== CLOSEST),
      [],
      `the records produced since come from node ${CLOSEST}`,
    )
    assert.deepEqual(
      fetches.filter((f) => f.node === OTHER),
      [],
      `node ${OTHER} (another rack, not the leader) is never asked`,
    )
  })
})
