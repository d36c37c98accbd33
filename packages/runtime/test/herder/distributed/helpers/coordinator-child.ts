/**
 * A group member in its own process, for tests that kill it: joins the group given in argv and prints every
 * assignment it gets as one JSON line on stdout. Usage: coordinator-child.ts <groupId> <name> <connectors> <tasks>.
 * With FERRY_TEST_LISTEN=1 it listens on a TCP port of 127.0.0.1 and advertises it as its REST URL (for the other
 * members' peer probe), with FERRY_TEST_SESSION_TIMEOUT_MS as its session timeout (6000 by default).
 */
import { createServer } from 'node:net'
import { WorkerCoordinator } from '../../../../src/herder/distributed/worker-coordinator.ts'

const [groupId, name, connectorCount, taskCount] = process.argv.slice(2)
const names = Array.from({ length: Number(connectorCount) }, (_, i) => `connector-${i}`)
const config = {
  offset: 42,
  connectors: () => names,
  tasks: (c: string) =>
    names.includes(c) ? Array.from({ length: Number(taskCount) }, (_, task) => ({ connector: c, task })) : [],
}
let restUrl = `http://${name}:8083/`
if (process.env.FERRY_TEST_LISTEN === '1') {
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  restUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
}
const coordinator: WorkerCoordinator = new WorkerCoordinator({
  bootstrapServers: (process.env.FERRY_TEST_BOOTSTRAP ?? '').split(','),
  clientId: `${groupId}-${name}`,
  groupId: groupId!,
  restUrl,
  sessionTimeoutMs: Number(process.env.FERRY_TEST_SESSION_TIMEOUT_MS ?? 6000),
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 10000,
  scheduledRebalanceMaxDelayMs: 2000,
  configSnapshot: () => config,
  listener: {
    onRevoked: () => {},
    onAssigned: (a) => {
      process.stdout.write(
        `${JSON.stringify({ connectors: a.connectors, tasks: a.tasks.map((t) => `${t.connector}-${t.task}`) })}\n`,
      )
      if (a.revokedConnectors.length > 0 || a.revokedTasks.length > 0) coordinator.requestRejoin('revocations')
      if (a.delay > 0) setTimeout(() => coordinator.requestRejoin('scheduled rebalance'), a.delay)
    },
  },
})
coordinator.start()
