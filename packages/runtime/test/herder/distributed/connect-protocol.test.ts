import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  type Assignment,
  compatibility,
  deserializeAssignment,
  deserializeMetadata,
  fromProtocol,
  metadataRequest,
  protocolName,
  protocolVersion,
  serializeAssignment,
  serializeAssignmentV0,
  serializeMetadata,
  serializeMetadataV0,
  type WorkerState,
} from '../../../src/herder/distributed/connect-protocol.ts'

// Written by fixtures/generate.sh with Apache's own ConnectProtocol and IncrementalCooperativeConnectProtocol (4.4.0).
const vectors = JSON.parse(readFileSync(new URL('./fixtures/protocol.json', import.meta.url), 'utf8'))

type TaskJson = [string, number]
interface AssignmentJson {
  version: number
  error: number
  leader: string | null
  leaderUrl: string | null
  offset: number
  connectors: string[]
  tasks: TaskJson[]
  revokedConnectors: string[]
  revokedTasks: TaskJson[]
  delay: number
}

function fromJson(a: AssignmentJson): Assignment {
  return {
    ...a,
    tasks: a.tasks.map(([connector, task]) => ({ connector, task })),
    revokedTasks: a.revokedTasks.map(([connector, task]) => ({ connector, task })),
  }
}

function toJson(a: Assignment | null): AssignmentJson | null {
  if (a === null) return null
  return {
    version: a.version,
    error: a.error,
    leader: a.leader,
    leaderUrl: a.leaderUrl,
    offset: a.offset,
    connectors: a.connectors,
    tasks: a.tasks.map((t) => [t.connector, t.task]),
    revokedConnectors: a.revokedConnectors,
    revokedTasks: a.revokedTasks.map((t) => [t.connector, t.task]),
    delay: a.delay,
  }
}

const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'))

for (const c of vectors.assignments) {
  test(`the assignment "${c.name}" is written byte for byte as Apache writes it in v0, v1 and v2`, () => {
    const a = fromJson(c.assignment)
    assert.equal(hex(serializeAssignmentV0(a)), c.v0)
    assert.equal(hex(serializeAssignment(a, false)), c.v1)
    assert.equal(hex(serializeAssignment(a, true)), c.v2)
  })

  test(`the assignment "${c.name}" reads back from Apache's bytes as Apache reads it`, () => {
    assert.deepEqual(toJson(deserializeAssignment(Buffer.from(c.v1, 'hex'))), c.decodedV1)
    assert.deepEqual(toJson(deserializeAssignment(Buffer.from(c.v0, 'hex'))), c.decodedV0)
  })
}

for (const c of vectors.metadata) {
  const state: WorkerState = {
    url: c.url,
    offset: c.offset,
    assignment: c.assignment === null ? null : fromJson(c.assignment),
  }

  test(`the member metadata "${c.name}" is written byte for byte as Apache writes it`, () => {
    assert.equal(hex(serializeMetadataV0(state)), c.v0)
    assert.equal(hex(serializeMetadata(state, false)), c.v1)
    assert.equal(hex(serializeMetadata(state, true)), c.v2)
  })

  test(`the JoinGroup protocols for "${c.name}" are Apache's, in preference order, for every connect.protocol`, () => {
    for (const mode of ['eager', 'compatible', 'sessioned'] as const) {
      const actual = metadataRequest(mode, state).map((p) => [p.name, hex(p.metadata)])
      assert.deepEqual(actual, c.requests[mode], mode)
    }
  })

  test(`the member metadata "${c.name}" reads back as Apache reads it`, () => {
    const v2 = deserializeMetadata(Buffer.from(c.v2, 'hex'))
    assert.deepEqual({ url: v2.url, offset: v2.offset, assignment: toJson(v2.assignment) }, c.decodedV2)
    const v0 = deserializeMetadata(Buffer.from(c.v0, 'hex'))
    assert.deepEqual({ url: v0.url, offset: v0.offset, assignment: toJson(v0.assignment) }, c.decodedV0)
  })
}

for (const r of vectors.reads) {
  test(`reading the ${r.kind} bytes "${r.name}" gives what Apache's reader gives`, () => {
    const bytes = Buffer.from(r.hex, 'hex')
    const read = () => {
      if (r.kind === 'assignment') return toJson(deserializeAssignment(bytes))
      const s = deserializeMetadata(bytes)
      return { url: s.url, offset: s.offset, assignment: toJson(s.assignment) }
    }
    if (typeof r.result.error === 'string') {
      const expected = String(r.result.error).replace(/^SchemaException: /, '')
      assert.throws(read, (e: Error) => e.message === expected)
    } else {
      assert.deepEqual(read(), r.result)
    }
  })
}

test('connect.protocol names the modes case-insensitively and rejects others with Apache’s message', () => {
  assert.equal(compatibility('SESSIONED'), 'sessioned')
  assert.equal(compatibility('eager'), 'eager')
  assert.throws(() => compatibility('cooperative'), /^Error: Unknown Connect protocol compatibility mode: cooperative$/)
  assert.equal(fromProtocol('default'), 'eager')
  assert.equal(fromProtocol('Compatible'), 'compatible')
  assert.throws(() => fromProtocol('x'), /Not found Connect protocol compatibility mode for protocol: x/)
  assert.deepEqual(
    (['eager', 'compatible', 'sessioned'] as const).map((m) => [protocolName(m), protocolVersion(m)]),
    [
      ['default', 0],
      ['compatible', 1],
      ['sessioned', 2],
    ],
  )
})

test('an assignment without a leader cannot be written', () => {
  const a: Assignment = {
    version: 1,
    error: 0,
    leader: null,
    leaderUrl: null,
    offset: -1,
    connectors: [],
    tasks: [],
    revokedConnectors: [],
    revokedTasks: [],
    delay: 0,
  }
  assert.throws(() => serializeAssignment(a, true), /leader/)
  assert.equal(serializeAssignment(null, true), null)
})
