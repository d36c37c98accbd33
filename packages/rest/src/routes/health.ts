import type { RestContext, RouteSpec } from '../context.ts'
import { TimeoutError, withTimeout } from '../context.ts'

/** Apache's WorkerStatus entity. */
export interface WorkerStatus {
  status: 'healthy' | 'starting' | 'unhealthy'
  message: string
}

const HEALTHY: WorkerStatus = {
  status: 'healthy',
  message: 'Worker has completed startup and is ready to handle requests.',
}
const STARTING: WorkerStatus = { status: 'starting', message: 'Worker is still starting up.' }
const UNHEALTHY: WorkerStatus = {
  status: 'unhealthy',
  message: 'Worker was unable to handle this request and may be unable to handle other requests.',
}

/** `GET /health`: 200 healthy, 503 while starting, 500 when the herder does not answer in time. */
export function healthRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/health',
      anyMediaType: true,
      summary: 'Worker health: 200 `healthy`, 503 `starting` before startup finished, 500 `unhealthy` when stuck',
      handler: async (_request, reply) => {
        if (!ctx.herder.isReady()) return reply.code(503).send(STARTING)
        try {
          await withTimeout(ctx.herder.healthCheck(), ctx.healthCheckTimeoutMs)
          return reply.code(200).send(HEALTHY)
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e
          return ctx.herder.isReady() ? reply.code(500).send(UNHEALTHY) : reply.code(503).send(STARTING)
        }
      },
    },
  ]
}
