/**
 * The Connect group protocol's bytes, as Apache's `ConnectProtocol` (v0, `default`, eager) and
 * `IncrementalCooperativeConnectProtocol` (v1 `compatible` and v2 `sessioned`) write and read them: the member
 * metadata a worker sends in JoinGroup and the assignment the leader sends back in SyncGroup. Kafka protocol types,
 * big-endian: STRING = int16 length + UTF-8, NULLABLE_BYTES = int32 length (-1 = null) + bytes, ARRAY = int32 count
 * (-1 = null) + items.
 *
 * Written bytes equal Apache's, including the order of connectors in an assignment (Apache puts them in a `HashSet`
 * first; see java-order.ts). Readers take any version >= 0 and, like Apache, read every assignment with the v1
 * layout, taking defaults for missing trailing fields.
 */

import { copyCapacity, javaStringOrder } from '../../java/hash-order.ts'
import type { ConnectorTaskId } from '../../worker/worker-task.ts'

export const CONNECT_PROTOCOL_V0 = 0
export const CONNECT_PROTOCOL_V1 = 1
export const CONNECT_PROTOCOL_V2 = 2
/** The task id that stands for the Connector instance itself in an assignment. */
export const CONNECTOR_TASK = -1
/** Assignment error codes. */
export const NO_ERROR = 0
/** The leader could not catch up with the largest config offset of the group: reread the config topic, rejoin. */
export const CONFIG_MISMATCH = 1

/** `connect.protocol`: which protocols a worker offers. */
export type ConnectProtocolCompatibility = 'eager' | 'compatible' | 'sessioned'

const PROTOCOL_NAMES: Record<ConnectProtocolCompatibility, string> = {
  eager: 'default',
  compatible: 'compatible',
  sessioned: 'sessioned',
}
const PROTOCOL_VERSIONS: Record<ConnectProtocolCompatibility, number> = { eager: 0, compatible: 1, sessioned: 2 }

/** The JoinGroup protocol name of a mode (`default`, `compatible`, `sessioned`). */
export function protocolName(mode: ConnectProtocolCompatibility): string {
  return PROTOCOL_NAMES[mode]
}

/** The protocol version of a mode: 0, 1 or 2. */
export function protocolVersion(mode: ConnectProtocolCompatibility): number {
  return PROTOCOL_VERSIONS[mode]
}

/** Parses `connect.protocol` (case-insensitive), with Apache's message for an unknown value. */
export function compatibility(name: string): ConnectProtocolCompatibility {
  const mode = (Object.keys(PROTOCOL_NAMES) as ConnectProtocolCompatibility[]).find((m) => m === name.toLowerCase())
  if (!mode) throw new Error(`Unknown Connect protocol compatibility mode: ${name}`)
  return mode
}

/** The mode of a protocol name the coordinator chose (case-insensitive). */
export function fromProtocol(name: string): ConnectProtocolCompatibility {
  const mode = (Object.keys(PROTOCOL_NAMES) as ConnectProtocolCompatibility[]).find(
    (m) => PROTOCOL_NAMES[m] === name.toLowerCase(),
  )
  if (!mode) throw new Error(`Not found Connect protocol compatibility mode for protocol: ${name}`)
  return mode
}

/**
 * An assignment (Apache's `ExtendedAssignment`; v0 assignments have no revocations and no delay). In the
 * incremental protocols `connectors`/`tasks` hold only what is newly assigned; a worker's snapshot of its whole
 * assignment uses the same shape. `leader`/`leaderUrl` are null only in the empty assignment.
 */
export interface Assignment {
  version: number
  error: number
  leader: string | null
  leaderUrl: string | null
  /** The config topic offset the assignment was computed from. */
  offset: number
  connectors: string[]
  tasks: ConnectorTaskId[]
  revokedConnectors: string[]
  revokedTasks: ConnectorTaskId[]
  /** Milliseconds after which the worker should rejoin (a scheduled rebalance); 0 for none. */
  delay: number
}

/** What a worker sends when it joins: its REST URL, config offset and (v1+) current assignment. */
export interface WorkerState {
  url: string
  offset: number
  /** Null when the worker has no assignment yet (the first join). */
  assignment: Assignment | null
}

/** One protocol offered in JoinGroup. */
export interface JoinProtocol {
  name: string
  metadata: Buffer
}

/** An assignment with no error and nothing assigned or revoked. */
export function emptyAssignment(
  fields: Partial<Assignment> & Pick<Assignment, 'leader' | 'leaderUrl' | 'offset'>,
): Assignment {
  return {
    version: CONNECT_PROTOCOL_V1,
    error: NO_ERROR,
    connectors: [],
    tasks: [],
    revokedConnectors: [],
    revokedTasks: [],
    delay: 0,
    ...fields,
  }
}

// ----- writing -----

class Writer {
  readonly #chunks: Buffer[] = []

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2)
    b.writeInt16BE(v)
    this.#chunks.push(b)
    return this
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(v)
    this.#chunks.push(b)
    return this
  }

  int64(v: number): this {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(BigInt(v))
    this.#chunks.push(b)
    return this
  }

  string(v: string): this {
    const bytes = Buffer.from(v, 'utf8')
    if (bytes.length > 0x7fff)
      throw new Error(`String length ${bytes.length} is larger than the maximum string length.`)
    this.int16(bytes.length)
    this.#chunks.push(bytes)
    return this
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1)
    this.int32(v.length)
    this.#chunks.push(v)
    return this
  }

  connectorAssignments(entries: Array<[string, number[]]>): this {
    this.int32(entries.length)
    for (const [connector, tasks] of entries) {
      this.string(connector)
      this.int32(tasks.length)
      for (const t of tasks) this.int32(t)
    }
    return this
  }

  build(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}

/**
 * Apache's `Assignment.asMap()`: connectors first (in the order of a `HashSet` of them), each with task -1, then the
 * tasks in their order, grouped under their connector (connectors seen only through tasks come after).
 */
function assignedAsMap(connectors: readonly string[], tasks: readonly ConnectorTaskId[]): Array<[string, number[]]> {
  const map = new Map<string, number[]>()
  for (const c of javaStringOrder([...new Set(connectors)], copyCapacity(connectors.length)))
    map.set(c, [CONNECTOR_TASK])
  addTasks(map, tasks)
  return [...map]
}

/** Apache's `ExtendedAssignment.revokedAsMap()`: connectors in their order, then the tasks. */
function revokedAsMap(connectors: readonly string[], tasks: readonly ConnectorTaskId[]): Array<[string, number[]]> {
  const map = new Map<string, number[]>()
  for (const c of connectors) if (!map.has(c)) map.set(c, [CONNECTOR_TASK])
  addTasks(map, tasks)
  return [...map]
}

function addTasks(map: Map<string, number[]>, tasks: readonly ConnectorTaskId[]): void {
  for (const t of tasks) {
    let list = map.get(t.connector)
    if (!list) {
      list = []
      map.set(t.connector, list)
    }
    list.push(t.task)
  }
}

/** v0 member metadata: `int16 0 | STRING url | INT64 configOffset`. */
export function serializeMetadataV0(state: Pick<WorkerState, 'url' | 'offset'>): Buffer {
  return new Writer().int16(CONNECT_PROTOCOL_V0).string(state.url).int64(state.offset).build()
}

/**
 * v1/v2 member metadata: `int16 version | STRING url | INT64 configOffset | NULLABLE_BYTES allocation`, where the
 * allocation is the worker's current assignment serialised with the same version (null when it has none).
 */
export function serializeMetadata(state: WorkerState, sessioned: boolean): Buffer {
  return new Writer()
    .int16(sessioned ? CONNECT_PROTOCOL_V2 : CONNECT_PROTOCOL_V1)
    .string(state.url)
    .int64(state.offset)
    .nullableBytes(serializeAssignment(state.assignment, sessioned))
    .build()
}

/** The protocols a worker offers in JoinGroup, most preferred first, with their metadata. */
export function metadataRequest(mode: ConnectProtocolCompatibility, state: WorkerState): JoinProtocol[] {
  const out: JoinProtocol[] = []
  if (mode === 'sessioned') out.push({ name: 'sessioned', metadata: serializeMetadata(state, true) })
  if (mode !== 'eager') out.push({ name: 'compatible', metadata: serializeMetadata(state, false) })
  out.push({ name: 'default', metadata: serializeMetadataV0(state) })
  return out
}

/**
 * The complete v0 assignment: `int16 0 | INT16 error | STRING leader | STRING leaderUrl | INT64 configOffset |
 * ARRAY<STRING connector, ARRAY<INT32> tasks>`. Revocations and delay are not part of v0.
 */
export function serializeAssignmentV0(a: Assignment): Buffer {
  return new Writer()
    .int16(CONNECT_PROTOCOL_V0)
    .int16(a.error)
    .string(requireString(a.leader, 'leader'))
    .string(requireString(a.leaderUrl, 'leader-url'))
    .int64(a.offset)
    .connectorAssignments(assignedAsMap(a.connectors, a.tasks))
    .build()
}

/**
 * A v1/v2 assignment: v0's fields, then `NULLABLE ARRAY revoked | INT32 delay`; the header carries 2 when
 * `sessioned`, else 1. Null for a null assignment (Apache writes no allocation for a worker without one).
 */
export function serializeAssignment(a: Assignment | null, sessioned: boolean): Buffer | null {
  if (a === null) return null
  return new Writer()
    .int16(sessioned ? CONNECT_PROTOCOL_V2 : CONNECT_PROTOCOL_V1)
    .int16(a.error)
    .string(requireString(a.leader, 'leader'))
    .string(requireString(a.leaderUrl, 'leader-url'))
    .int64(a.offset)
    .connectorAssignments(assignedAsMap(a.connectors, a.tasks))
    .connectorAssignments(revokedAsMap(a.revokedConnectors, a.revokedTasks))
    .int32(a.delay)
    .build()
}

function requireString(v: string | null, field: string): string {
  if (v === null) throw new Error(`Error computing size for field '${field}': Missing value for field '${field}'`)
  return v
}

// ----- reading -----

class Reader {
  readonly #buf: Buffer
  #pos = 0
  constructor(buf: Buffer) {
    this.#buf = buf
  }

  get remaining(): number {
    return this.#buf.length - this.#pos
  }

  #need(n: number): void {
    if (this.remaining < n) throw new Error('java.nio.BufferUnderflowException')
  }

  int16(): number {
    this.#need(2)
    const v = this.#buf.readInt16BE(this.#pos)
    this.#pos += 2
    return v
  }

  int32(): number {
    this.#need(4)
    const v = this.#buf.readInt32BE(this.#pos)
    this.#pos += 4
    return v
  }

  int64(): number {
    this.#need(8)
    const v = this.#buf.readBigInt64BE(this.#pos)
    this.#pos += 8
    return Number(v)
  }

  string(): string {
    const length = this.int16()
    if (length < 0) throw new Error(`String length ${length} cannot be negative`)
    if (length > this.remaining)
      throw new Error(`Error reading string of length ${length}, only ${this.remaining} bytes available`)
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + length)
    this.#pos += length
    return s
  }

  nullableBytes(): Buffer | null {
    const length = this.int32()
    if (length < 0) return null
    if (length > this.remaining)
      throw new Error(`Error reading bytes of size ${length}, only ${this.remaining} bytes available`)
    const b = this.#buf.subarray(this.#pos, this.#pos + length)
    this.#pos += length
    return b
  }

  /** Null for a null array (count -1). */
  connectorAssignments(): Array<[string, number[]]> | null {
    const count = this.int32()
    if (count < 0) return null
    if (count > this.remaining)
      throw new Error(`Error reading array of size ${count}, only ${this.remaining} bytes available`)
    const out: Array<[string, number[]]> = []
    for (let i = 0; i < count; i++) {
      const connector = field('connector', () => this.string())
      const tasks = field('tasks', () => {
        const n = this.int32()
        if (n < 0) throw new Error('Non-nullable field tasks was serialized as null')
        if (n > this.remaining)
          throw new Error(`Error reading array of size ${n}, only ${this.remaining} bytes available`)
        return Array.from({ length: n }, () => this.int32())
      })
      out.push([connector, tasks])
    }
    return out
  }
}

/** Reads one field, naming it in the error as Apache's `Schema.read` does. */
function field<T>(name: string, read: () => T): T {
  try {
    return read()
  } catch (e) {
    throw new Error(`Error reading field '${name}': ${(e as Error).message}`)
  }
}

/**
 * A field of a schema that tolerates missing fields (Apache's v1 assignment and allocation): when nothing is left,
 * its default, or an error when it has none.
 */
function tolerantField<T>(r: Reader, name: string, read: () => T, ...defaultValue: [] | [T]): T {
  if (r.remaining > 0) return field(name, read)
  if (defaultValue.length === 0)
    throw new Error(`Error reading field '${name}': Missing value for field '${name}' which has no default value.`)
  return defaultValue[0] as T
}

function readVersion(r: Reader): number {
  const version = field('version', () => r.int16())
  if (version < CONNECT_PROTOCOL_V0) throw new Error(`Unsupported subscription version: ${version}`)
  return version
}

/** Reads member metadata of any version (v0 has no allocation), as Apache's incremental coordinator does. */
export function deserializeMetadata(buf: Buffer): WorkerState & { version: number } {
  const r = new Reader(buf)
  const version = readVersion(r)
  const url = field('url', () => r.string())
  const offset = field('config-offset', () => r.int64())
  const allocation = tolerantField(r, 'allocation', () => r.nullableBytes(), null)
  return { version, url, offset, assignment: allocation === null ? null : deserializeAssignment(allocation) }
}

/** Reads an assignment of any version with the v1 layout; revocations and delay default to none and 0. */
export function deserializeAssignment(buf: Buffer): Assignment {
  const r = new Reader(buf)
  const version = readVersion(r)
  const error = tolerantField(r, 'error', () => r.int16())
  const leader = tolerantField(r, 'leader', () => r.string())
  const leaderUrl = tolerantField(r, 'leader-url', () => r.string())
  const offset = tolerantField(r, 'config-offset', () => r.int64())
  const assigned = tolerantField(r, 'assignment', () => r.connectorAssignments(), null)
  const revoked = tolerantField(r, 'revoked', () => r.connectorAssignments(), null)
  const delay = tolerantField(r, 'delay', () => r.int32(), 0)
  const [connectors, tasks] = split(assigned)
  const [revokedConnectors, revokedTasks] = split(revoked)
  return { version, error, leader, leaderUrl, offset, connectors, tasks, revokedConnectors, revokedTasks, delay }
}

function split(entries: Array<[string, number[]]> | null): [string[], ConnectorTaskId[]] {
  const connectors: string[] = []
  const tasks: ConnectorTaskId[] = []
  for (const [connector, ids] of entries ?? []) {
    for (const task of ids) {
      if (task === CONNECTOR_TASK) connectors.push(connector)
      else tasks.push({ connector, task })
    }
  }
  return [connectors, tasks]
}
