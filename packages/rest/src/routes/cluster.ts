/**
 * Ferry's own endpoints (Apache Connect has none like them), under `/ferry/`: `GET /ferry/worker` is this worker as
 * its herder sees it, `GET /ferry/cluster` every worker of its group with what each says at `/ferry/worker`, gathered
 * by the worker asked, so a client (the web UI) that reaches one worker sees them all.
 */
import type { WorkerInfo } from '@ferry/runtime'
import type { FastifyRequest } from 'fastify'
import { type RestContext, type RouteSpec, withTimeout } from '../context.ts'

/** How long the worker asked waits for the group's description and for each other worker's answer. */
const PEER_TIMEOUT_MS = 5000

/** One worker of the cluster: what it answered at `/ferry/worker`, or why it did not. */
export interface ClusterWorker extends Partial<WorkerInfo> {
  /** Its member id in the group (DescribeGroups); null for a worker the group did not list. */
  member_id: string | null
  url: string | null
  /** Whether it is the leader that the worker asked was last assigned by. */
  leader: boolean
  /** Set when it could not be asked: the other fields but these four are then missing. */
  error?: string
}

/** `GET /ferry/cluster`. */
export interface ClusterInfo {
  mode: WorkerInfo['mode']
  group_id: string | null
  /** The generation the worker asked last joined (null in standalone mode). */
  generation: number | null
  leader_url: string | null
  workers: ClusterWorker[]
  /** Per connector, the records per second of its tasks on every worker that answered (null: none measured). */
  connectors: Record<string, { records_per_second: number | null; tasks: number }>
}

export function clusterRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/ferry/worker',
      summary:
        'Ferry\'s own: this worker, its group and generation as it last joined, the leader, and its tasks\' records per second: `{"worker_id","url","mode","group_id","generation","leader_url","is_leader","tasks"}`',
      handler: async () => ctx.herder.workerInfo(),
    },
    {
      method: 'GET',
      url: '/ferry/cluster',
      summary:
        'Ferry\'s own: every worker of the group (DescribeGroups) with its `/ferry/worker` answer (or `error`), the leader, the generation, and each connector\'s records per second: `{"mode","group_id","generation","leader_url","workers","connectors"}`',
      handler: async (request) => clusterInfo(ctx, request),
    },
  ]
}

const sameUrl = (a: string | null, b: string | null) =>
  a !== null && b !== null && a.replace(/\/+$/, '') === b.replace(/\/+$/, '')

async function clusterInfo(ctx: RestContext, request: FastifyRequest): Promise<ClusterInfo> {
  const self = ctx.herder.workerInfo()
  const members = await withTimeout(
    ctx.herder.groupMembers(),
    PEER_TIMEOUT_MS,
    'The group coordinator did not describe the group in time',
  )
  const authorization = request.headers.authorization
  const workers: ClusterWorker[] = await Promise.all(
    members.map(async (m): Promise<ClusterWorker> => {
      const leader = sameUrl(m.url, self.leader_url)
      if (sameUrl(m.url, self.url)) return { ...self, member_id: m.member_id, url: m.url, leader }
      if (m.url === null) return { member_id: m.member_id, url: null, leader, error: 'no REST URL in its metadata' }
      try {
        return { ...(await peerInfo(ctx, m.url, authorization)), member_id: m.member_id, url: m.url, leader }
      } catch (e) {
        return { member_id: m.member_id, url: m.url, leader, error: (e as Error).message }
      }
    }),
  )
  // Standalone, or between generations: the worker asked is in the cluster whatever the group says.
  if (!workers.some((w) => w.worker_id === self.worker_id)) {
    workers.unshift({ ...self, member_id: null, url: self.url, leader: self.is_leader })
  }
  const connectors: ClusterInfo['connectors'] = {}
  for (const w of workers) {
    for (const t of w.tasks ?? []) {
      const c = connectors[t.connector] ?? { records_per_second: null, tasks: 0 }
      if (t.records_per_second !== null) c.records_per_second = (c.records_per_second ?? 0) + t.records_per_second
      c.tasks++
      connectors[t.connector] = c
    }
  }
  return {
    mode: self.mode,
    group_id: self.group_id,
    generation: self.generation,
    leader_url: self.leader_url,
    workers,
    connectors,
  }
}

/** Another worker's `/ferry/worker`, asked with the caller's credentials through the worker's REST client (its TLS). */
async function peerInfo(ctx: RestContext, url: string, authorization: string | undefined): Promise<WorkerInfo> {
  const response = await ctx.restClient.request(new URL('ferry/worker', url.endsWith('/') ? url : `${url}/`).href, {
    method: 'GET',
    headers: { Accept: 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
    timeoutMs: PEER_TIMEOUT_MS,
  })
  if (response.status !== 200) {
    let message = response.body
    try {
      message = (JSON.parse(response.body) as { message?: string }).message ?? response.body
    } catch {}
    throw new Error(`HTTP ${response.status}: ${message}`)
  }
  return JSON.parse(response.body) as WorkerInfo
}
