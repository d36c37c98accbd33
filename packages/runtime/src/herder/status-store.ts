import type { State, StateInfo } from './herder.ts'

/** Status of connectors and tasks as this worker last reported them (standalone: in memory only). */
export class MemoryStatusStore {
  readonly #connectors = new Map<string, StateInfo>()
  readonly #tasks = new Map<string, Map<number, StateInfo>>()
  readonly #workerId: string

  constructor(workerId: string) {
    this.#workerId = workerId
  }

  putConnector(name: string, state: State, error?: Error): void {
    this.#connectors.set(name, info(state, this.#workerId, error))
  }

  putTask(connector: string, task: number, state: State, error?: Error): void {
    let tasks = this.#tasks.get(connector)
    if (!tasks) {
      tasks = new Map()
      this.#tasks.set(connector, tasks)
    }
    tasks.set(task, info(state, this.#workerId, error))
  }

  connector(name: string): StateInfo | undefined {
    return this.#connectors.get(name)
  }

  tasks(connector: string): Array<StateInfo & { id: number }> {
    return [...(this.#tasks.get(connector) ?? new Map<number, StateInfo>())]
      .sort(([a], [b]) => a - b)
      .map(([id, s]) => ({ id, ...s }))
  }

  removeTasks(connector: string): void {
    this.#tasks.delete(connector)
  }

  remove(connector: string): void {
    this.#connectors.delete(connector)
    this.#tasks.delete(connector)
  }
}

function info(state: State, workerId: string, error?: Error): StateInfo {
  const out: StateInfo = { state, worker_id: workerId }
  if (error) out.trace = traceOf(error)
  return out
}

/** A failure's trace as Apache shows it: the stack, with causes appended. */
export function traceOf(error: Error): string {
  let trace = error.stack ?? `${error.name}: ${error.message}`
  let cause = error.cause
  while (cause instanceof Error) {
    trace += `\nCaused by: ${cause.stack ?? cause.message}`
    cause = cause.cause
  }
  return trace
}
