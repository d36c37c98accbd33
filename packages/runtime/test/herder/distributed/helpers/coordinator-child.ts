/**
 * A group member in its own process, for tests that kill it: joins the group given in argv and prints every
 * assignment it gets as one JSON line on stdout. Usage: coordinator-child.ts <groupId> <name> <connectors> <tasks>.
 */
import { WorkerCoordinator } from '../../../../src/herder/distributed/worker-coordinator.ts'

const [groupId, name, connectorCount, taskCount] = process.argv.slice(2)
const names = Array.from({ length: Number(connectorCount) }, (_, i) => `connector-${i}`)
const config = {
  offset: 42,
  connectors: () => names,
  tasks: (c: string) =>
    names.includes(c) ? Array.from({ length: Number(taskCount) }, (_, task) => ({ connector: c, task })) : [],
}
const coordinator: WorkerCoordinator = new WorkerCoordinator({
  bootstrapServers: (process.env.FERRY_TEST_BOOTSTRAP ?? '').split(','),
  clientId: `${groupId}-${name}`,
  groupId: groupId!,
  restUrl: `http://${name}:8083/`,
  sessionTimeoutMs: 6000,
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
