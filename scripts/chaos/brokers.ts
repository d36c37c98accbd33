/**
 * The chaos run's three-broker cluster (replication factor 3, min.insync.replicas 2) and what the faults do to it:
 * kill -9 of one broker, a rolling restart, finding the group coordinator, waiting for every replica to be in sync.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Admin, FindCoordinatorKeyTypes } from '@platformatic/kafka'
import { type KafkaCluster, startKafka } from '../kafka/harness.ts'

export interface Brokers {
  cluster: KafkaCluster
  admin: Admin
  /** Node ids are 1-based in the harness; indexes 0-based. */
  stopped: Set<number>
}

export async function startBrokers(logDir: string): Promise<Brokers> {
  const cluster = await startKafka({
    brokers: 3,
    logDir,
    nodeProperties: () => ({
      'min.insync.replicas': 2,
      'transaction.state.log.min.isr': 2,
      'unclean.leader.election.enable': false,
    }),
  })
  const admin = new Admin({
    clientId: 'ferry-chaos',
    bootstrapBrokers: cluster.bootstrapServers.split(','),
    retries: 5,
    timeout: 10_000,
  })
  return { cluster, admin, stopped: new Set() }
}

export async function createTopic(b: Brokers, topic: string, partitions: number): Promise<void> {
  await b.admin.createTopics({ topics: [topic], partitions, replicas: 3 })
}

/** The index (0-based) of the broker coordinating `group`. */
export async function coordinatorOf(b: Brokers, group: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [c] = await b.admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] })
      if (c && c.nodeId >= 1) return c.nodeId - 1
      throw new Error(`no coordinator for ${group}`)
    } catch (e) {
      if (attempt >= 10) throw e
      await sleep(1000)
    }
  }
}

/** The pid of broker `index`'s JVM (the harness starts it with `<dataDir>/node<id>/server.properties`). */
function brokerPid(b: Brokers, index: number): number | undefined {
  const config = join(b.cluster.dataDir, `node${index + 1}`, 'server.properties')
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (cmdline.at(-1) === config || cmdline.at(-2) === config) return Number(entry)
    } catch {
      // gone in between
    }
  }
  return undefined
}

/** kill -9 of broker `index`; resolves when the process is gone. */
export async function killBroker(b: Brokers, index: number): Promise<void> {
  const pid = brokerPid(b, index)
  if (pid === undefined) throw new Error(`broker ${index} is not running`)
  b.stopped.add(index)
  process.kill(pid, 'SIGKILL')
  while (brokerPid(b, index) !== undefined) await sleep(100)
  await sleep(200) // the harness notices the exit
}

/** A graceful stop (SIGTERM: controlled shutdown). */
export async function stopBroker(b: Brokers, index: number): Promise<void> {
  b.stopped.add(index)
  await b.cluster.stopNode(index)
}

export async function startBroker(b: Brokers, index: number): Promise<void> {
  await b.cluster.startNode(index)
  b.stopped.delete(index)
}

/**
 * Waits until every partition of `topics` (not `__consumer_offsets`: the client's metadata leaves internal topics
 * out) has all three replicas in sync (what a rolling restart waits for before
 * the next broker), up to `timeoutMs`; returns whether it got there.
 */
export async function waitInSync(b: Brokers, topics: string[], timeoutMs = 180_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const metadata = await b.admin.metadata({ topics, forceUpdate: true })
      let ok = true
      for (const topic of topics) {
        const t = metadata.topics.get(topic)
        if (!t || t.partitions.some((p) => !p || p.isr.length < 3)) ok = false
      }
      if (ok) return true
    } catch {
      // a broker just went away: ask again
    }
    await sleep(1000)
  }
  return false
}

export async function stopBrokers(b: Brokers): Promise<void> {
  await b.admin.close().catch(() => {})
  await b.cluster.stop()
}
