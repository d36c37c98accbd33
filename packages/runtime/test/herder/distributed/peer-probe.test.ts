import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import {
  type GroupMemberUrl,
  PeerProbe,
  type PortState,
  parseTarget,
  probePort,
} from '../../../src/herder/distributed/peer-probe.ts'
import { silentLogger } from '../../../src/logger.ts'

/** A probe over a scripted group: `ports` says what each host:port answers now. */
function scripted(members: GroupMemberUrl[]) {
  const state = {
    members,
    generation: 1,
    ports: new Map<string, PortState>(),
    tried: [] as string[],
    described: 0,
    removed: [] as string[],
  }
  const probe = new PeerProbe({
    intervalMs: 1000,
    self: () => 'me',
    generation: () => state.generation,
    members: async () => {
      state.described++
      return state.members
    },
    remove: async (memberId) => {
      state.removed.push(memberId)
    },
    logger: silentLogger(),
    confirmDelayMs: 1,
    probe: async (host, port) => {
      state.tried.push(`${host}:${port}`)
      return state.ports.get(`${host}:${port}`) ?? 'unknown'
    },
  })
  return { state, probe }
}

const group = (): GroupMemberUrl[] => [
  { memberId: 'me', url: 'http://w1:8083/' },
  { memberId: 'm2', url: 'http://w2:8083/' },
  { memberId: 'm3', url: 'http://w3:8083/' },
]

test('a member whose REST port was open and then refuses connections twice is removed once; this worker is not probed', async () => {
  const { state, probe } = scripted(group())
  state.ports.set('w2:8083', 'open').set('w3:8083', 'open')
  await probe.round()
  assert.deepEqual(state.tried.sort(), ['w2:8083', 'w3:8083'])
  state.ports.set('w2:8083', 'refused')
  await probe.round()
  assert.deepEqual(state.removed, ['m2'])
  await probe.round()
  assert.deepEqual(state.removed, ['m2'], 'asked once per member')
})

test('a URL never seen open that refuses is removed once, not again for the member ids that come back under it until it is seen open', async () => {
  const { state, probe } = scripted(group())
  state.ports.set('w2:8083', 'refused').set('w3:8083', 'open')
  await probe.round()
  assert.deepEqual(state.removed, ['m2'])
  // It rejoins as a new member under the same URL, which still refuses (its advertised URL does not reach it).
  state.generation = 2
  state.members = [...group().filter((m) => m.memberId !== 'm2'), { memberId: 'm2b', url: 'http://w2:8083/' }]
  for (let i = 0; i < 3; i++) await probe.round()
  assert.deepEqual(state.removed, ['m2'])
  // Once seen open, its next refusals count again.
  state.ports.set('w2:8083', 'open')
  await probe.round()
  state.ports.set('w2:8083', 'refused')
  await probe.round()
  assert.deepEqual(state.removed, ['m2', 'm2b'])
})

test('a refusal that the confirming attempt does not repeat, and a timeout, remove nobody', async () => {
  const removed: string[] = []
  // Per host, what each attempt answers: w2 open, then refused once and open when confirmed; w3 open, then timeouts.
  const answers: Record<string, PortState[]> = {
    w2: ['open', 'refused', 'open', 'refused', 'open'],
    w3: ['open', 'unknown', 'unknown', 'unknown'],
  }
  const tries: Record<string, number> = { w2: 0, w3: 0 }
  const probe = new PeerProbe({
    intervalMs: 1000,
    self: () => 'me',
    generation: () => 1,
    members: async () => group(),
    remove: async (memberId) => {
      removed.push(memberId)
    },
    logger: silentLogger(),
    confirmDelayMs: 1,
    probe: async (host) => answers[host]![tries[host]!++] ?? 'open',
  })
  for (let i = 0; i < 3; i++) await probe.round()
  assert.deepEqual(tries, { w2: 5, w3: 3 }, 'each refusal was tried again once')
  assert.deepEqual(removed, [])
})

test('members are described again only when the generation changes, not while URLs are missing, and a member id seen open stays seen open', async () => {
  const { state, probe } = scripted(group())
  state.ports.set('w2:8083', 'open')
  await probe.round()
  await probe.round()
  assert.equal(state.described, 1)
  // Between generations DescribeGroups gives no metadata: nothing is probed until it does.
  state.generation = 2
  state.members = group().map((m) => ({ ...m, url: null }))
  state.tried = []
  await probe.round()
  assert.equal(state.described, 2)
  assert.deepEqual(state.tried, [])
  state.members = [...group(), { memberId: 'm4', url: 'http://w4:8083/' }]
  state.ports.set('w2:8083', 'refused').set('w4:8083', 'open')
  await probe.round()
  assert.equal(state.described, 3)
  assert.deepEqual(state.removed, ['m2'], 'm2 was seen open in the previous generation')
})

test('no generation, no probe', async () => {
  const { state, probe } = scripted(group())
  state.generation = -1
  await probe.round()
  assert.equal(state.described, 0)
  assert.deepEqual(state.tried, [])
})

test('probePort tells a listening port from a closed one', async () => {
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  assert.equal(await probePort('127.0.0.1', port, 1000), 'open')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  assert.equal(await probePort('127.0.0.1', port, 1000), 'refused')
  assert.equal(await probePort('no-such-host.invalid', port, 1000), 'unknown')
})

test('parseTarget reads host and port of an advertised URL, with the scheme default port and IPv6 brackets removed', () => {
  assert.deepEqual(parseTarget('http://worker-1:8083/'), { host: 'worker-1', port: 8083 })
  assert.deepEqual(parseTarget('https://worker-1/'), { host: 'worker-1', port: 443 })
  assert.deepEqual(parseTarget('http://[::1]:8083/'), { host: '::1', port: 8083 })
  assert.equal(parseTarget('not a url'), null)
  assert.equal(parseTarget('ftp://worker-1/'), null)
})

test('start with an interval of 0 runs nothing; stop returns at once', async () => {
  const { state } = scripted(group())
  const probe = new PeerProbe({
    intervalMs: 0,
    self: () => 'me',
    generation: () => 1,
    members: async () => {
      state.described++
      return group()
    },
    remove: async () => {},
    logger: silentLogger(),
  })
  probe.start()
  await probe.stop()
  assert.equal(state.described, 0)
})
