import type { State } from '../herder/herder.ts'
import type { ConnectorTaskId } from '../worker/worker-task.ts'

/** A status as written: `DESTROYED` removes it. */
export type StatusState = State | 'DESTROYED'

/** What connector and task statuses share (Apache's `AbstractStatus`). */
export interface AbstractStatus {
  state: StatusState
  trace: string | null
  /** The worker that wrote it (distributed: its advertised REST `host:port`). */
  workerId: string
  /** The group generation the worker was in (standalone: 0). */
  generation: number
  /** The plugin version (KIP-891), or null. */
  version: string | null
}

export interface ConnectorStatus extends AbstractStatus {
  connector: string
}

export interface TaskStatus extends AbstractStatus {
  id: ConnectorTaskId
}

/** A topic a connector's task produced to or consumed from (KIP-558). */
export interface TopicStatus {
  topic: string
  connector: string
  task: number
  discoverTimestamp: number
}

/**
 * Where connector, task and topic statuses live (Apache's `StatusBackingStore`): memory for standalone mode, the
 * status topic for distributed mode. Puts never throw; a put shows in the getters once the store has it (memory: at
 * once; Kafka: once read back, which `refresh` waits for). `DESTROYED` removes a status, and a removed connector
 * status takes its tasks' statuses with it. A safe put is skipped when another worker wrote a newer generation.
 */
export interface StatusBackingStore {
  start(): Promise<void>
  /** Flushes, then stops. */
  stop(): Promise<void>
  /** Resolves once every put so far was written (or failed for good). */
  flush(): Promise<void>
  /** Resolves once the getters show every put written before the call. */
  refresh(timeoutMs?: number): Promise<void>
  putConnector(status: ConnectorStatus): void
  /** UNASSIGNED and FAILED go through this. */
  putConnectorSafe(status: ConnectorStatus): void
  putTask(status: TaskStatus): void
  putTaskSafe(status: TaskStatus): void
  putTopic(status: TopicStatus): void
  /** Removes a topic from the connector's active topics (KIP-558 reset). */
  deleteTopic(connector: string, topic: string): void
  getConnector(connector: string): ConnectorStatus | null
  getTask(id: ConnectorTaskId): TaskStatus | null
  /** The connector's task statuses, in task order. */
  getAll(connector: string): TaskStatus[]
  getTopic(connector: string, topic: string): TopicStatus | null
  getAllTopics(connector: string): TopicStatus[]
  /** Connectors with a connector status. */
  connectors(): string[]
}

/** Whether `next` may replace `current` through a safe put: same worker, or a generation that is not older. */
export function canWriteSafely(current: AbstractStatus | null, next: AbstractStatus): boolean {
  return current === null || current.workerId === next.workerId || current.generation <= next.generation
}

/** Apache's `MemoryStatusBackingStore`: statuses in memory, for standalone mode. */
export class MemoryStatusBackingStore implements StatusBackingStore {
  readonly #connectors = new Map<string, ConnectorStatus>()
  readonly #tasks = new Map<string, Map<number, TaskStatus>>()
  readonly #topics = new Map<string, Map<string, TopicStatus>>()

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async flush(): Promise<void> {}
  async refresh(): Promise<void> {}

  putConnector(status: ConnectorStatus): void {
    if (status.state !== 'DESTROYED') {
      this.#connectors.set(status.connector, status)
      return
    }
    this.#connectors.delete(status.connector)
    this.#tasks.delete(status.connector)
  }

  putConnectorSafe(status: ConnectorStatus): void {
    if (canWriteSafely(this.getConnector(status.connector), status)) this.putConnector(status)
  }

  putTask(status: TaskStatus): void {
    const { connector, task } = status.id
    if (status.state === 'DESTROYED') {
      this.#tasks.get(connector)?.delete(task)
      return
    }
    let tasks = this.#tasks.get(connector)
    if (!tasks) {
      tasks = new Map()
      this.#tasks.set(connector, tasks)
    }
    tasks.set(task, status)
  }

  putTaskSafe(status: TaskStatus): void {
    if (canWriteSafely(this.getTask(status.id), status)) this.putTask(status)
  }

  putTopic(status: TopicStatus): void {
    let topics = this.#topics.get(status.connector)
    if (!topics) {
      topics = new Map()
      this.#topics.set(status.connector, topics)
    }
    topics.set(status.topic, status)
  }

  deleteTopic(connector: string, topic: string): void {
    this.#topics.get(connector)?.delete(topic)
  }

  getConnector(connector: string): ConnectorStatus | null {
    return this.#connectors.get(connector) ?? null
  }

  getTask(id: ConnectorTaskId): TaskStatus | null {
    return this.#tasks.get(id.connector)?.get(id.task) ?? null
  }

  getAll(connector: string): TaskStatus[] {
    return [...(this.#tasks.get(connector)?.values() ?? [])].sort((a, b) => a.id.task - b.id.task)
  }

  getTopic(connector: string, topic: string): TopicStatus | null {
    return this.#topics.get(connector)?.get(topic) ?? null
  }

  getAllTopics(connector: string): TopicStatus[] {
    return [...(this.#topics.get(connector)?.values() ?? [])]
  }

  connectors(): string[] {
    return [...this.#connectors.keys()]
  }
}

/** A failure's trace as a status shows it (Apache's): the stack, with causes appended. */
export function traceOf(error: Error): string {
  let trace = error.stack ?? `${error.name}: ${error.message}`
  let cause = error.cause
  while (cause instanceof Error) {
    trace += `\nCaused by: ${cause.stack ?? cause.message}`
    cause = cause.cause
  }
  return trace
}
