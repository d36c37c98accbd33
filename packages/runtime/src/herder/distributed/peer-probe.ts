/**
 * Beyond Apache (`worker.probe.interval.ms`): finds a worker of the group whose process has exited without waiting out
 * its `session.timeout.ms`. Every interval it opens a TCP connection to the advertised REST port of each other member
 * of the group (and closes it at once, sending nothing). A member whose port refuses a connection twice in a row has no
 * process listening there any more (the kernel answers a connection to a closed port with a reset; a worker's REST
 * port is open before it joins the group and closes only after it left): the probe asks for it to be removed from the
 * group, so the group rebalances now and the leader's `scheduled.rebalance.max.delay.ms` starts at once. Anything else
 * (a timeout, an unresolvable name) proves nothing and is left to the coordinator's session timeout: a frozen process
 * still accepts connections (its kernel does). An advertised URL that does not reach its worker (a misconfiguration)
 * would refuse while the worker lives: a URL never seen open is removed at most once, so such a worker costs one
 * rebalance per prober and a warning, not a storm of them.
 */
import { connect } from 'node:net'
import type { Logger } from '../../logger.ts'

/** What a connection attempt to a port showed: something listens, nothing listens, or nothing was learnt. */
export type PortState = 'open' | 'refused' | 'unknown'

/** A member of the group and its advertised REST URL (null when its metadata could not be read). */
export interface GroupMemberUrl {
  memberId: string
  url: string | null
}

export interface PeerProbeOptions {
  /** Time between two rounds of probes. */
  intervalMs: number
  /** This worker's member id now ('' while it has none); it is not probed. */
  self: () => string
  /** The group's generation as this worker last joined it (-1 when none): members are described again when it changes. */
  generation: () => number
  /** The members of the group and their URLs (DescribeGroups); URLs are null while the group is between generations. */
  members: () => Promise<GroupMemberUrl[]>
  /**
   * Removes a member whose process has exited from the group (and makes this worker rejoin); `seenOpen` says whether
   * its port was ever seen open (when not, the advertised URL may just not reach it).
   */
  remove: (memberId: string, url: string, seenOpen: boolean) => Promise<void>
  logger: Logger
  /** How a port is tried (tests replace it). */
  probe?: (host: string, port: number, timeoutMs: number) => Promise<PortState>
  /** Pause before a refused port is tried again to confirm it (100 ms). */
  confirmDelayMs?: number
}

interface Peer {
  url: string
  host: string
  port: number
  /** The port accepted a connection since this member id was first seen. */
  seenOpen: boolean
}

/** See the module comment. */
export class PeerProbe {
  readonly #options: PeerProbeOptions
  readonly #probe: (host: string, port: number, timeoutMs: number) => Promise<PortState>
  readonly #timeoutMs: number
  #peers = new Map<string, Peer>()
  /** URLs removed without ever having been seen open: not removed again until they are. */
  readonly #removedUnseen = new Set<string>()
  #describedGeneration = -1
  #running = false
  #stopped = false
  #loop: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null

  constructor(options: PeerProbeOptions) {
    this.#options = options
    this.#probe = options.probe ?? probePort
    this.#timeoutMs = Math.max(100, Math.min(options.intervalMs, 1000))
  }

  start(): void {
    if (this.#running || this.#options.intervalMs <= 0) return
    this.#running = true
    this.#loop = this.#run()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#wake?.()
    await this.#loop
  }

  /** One round: describe the group when its generation changed, then try every other member's port (tests call it). */
  async round(): Promise<void> {
    const generation = this.#options.generation()
    if (generation < 0) return
    if (generation !== this.#describedGeneration && !(await this.#describe(generation))) return
    const self = this.#options.self()
    await Promise.all(
      [...this.#peers].filter(([memberId]) => memberId !== self).map(([memberId, peer]) => this.#check(memberId, peer)),
    )
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        this.#timer = setTimeout(resolve, this.#options.intervalMs)
      })
      if (!this.#running) return
      try {
        await this.round()
      } catch (e) {
        this.#options.logger.debug({ error: String(e) }, 'Probing the other workers failed')
      }
    }
  }

  /** Learns the members of the current generation; false while the group is between generations. */
  async #describe(generation: number): Promise<boolean> {
    const members = await this.#options.members()
    if (members.some((m) => m.url === null)) return false
    const peers = new Map<string, Peer>()
    for (const m of members) {
      const target = parseTarget(m.url!)
      if (target === null) continue
      const known = this.#peers.get(m.memberId)
      peers.set(m.memberId, { url: m.url!, ...target, seenOpen: known?.seenOpen ?? false })
    }
    this.#peers = peers
    this.#describedGeneration = generation
    return true
  }

  async #check(memberId: string, peer: Peer): Promise<void> {
    const state = await this.#probe(peer.host, peer.port, this.#timeoutMs)
    if (state === 'open') {
      peer.seenOpen = true
      this.#removedUnseen.delete(peer.url)
    }
    if (state !== 'refused' || (!peer.seenOpen && this.#removedUnseen.has(peer.url))) return
    await new Promise((resolve) => setTimeout(resolve, this.#options.confirmDelayMs ?? 100))
    if ((await this.#probe(peer.host, peer.port, this.#timeoutMs)) !== 'refused') return
    if (this.#stopped || this.#peers.get(memberId) !== peer) return
    this.#peers.delete(memberId)
    if (!peer.seenOpen) this.#removedUnseen.add(peer.url)
    await this.#options.remove(memberId, peer.url, peer.seenOpen)
  }
}

/** Host and port of an advertised REST URL (`http://host:port/`); null when it is not one. */
export function parseTarget(url: string): { host: string; port: number } | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') return null
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port)
  return { host, port }
}

/** Opens a TCP connection and closes it: `refused` only when every address of the host refused it. */
export function probePort(host: string, port: number, timeoutMs: number): Promise<PortState> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    const done = (state: PortState) => {
      socket.destroy()
      resolve(state)
    }
    socket.once('connect', () => done('open'))
    socket.once('timeout', () => done('unknown'))
    socket.once('error', (e: NodeJS.ErrnoException) => done(refusedEverywhere(e) ? 'refused' : 'unknown'))
  })
}

function refusedEverywhere(e: NodeJS.ErrnoException): boolean {
  // With several addresses (autoSelectFamily) Node reports an AggregateError of one error per address.
  if (e instanceof AggregateError)
    return e.errors.length > 0 && e.errors.every((inner: NodeJS.ErrnoException) => inner.code === 'ECONNREFUSED')
  return e.code === 'ECONNREFUSED'
}
