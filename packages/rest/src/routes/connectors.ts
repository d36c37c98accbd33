import { NotFoundException } from '@ferry/api'
import type { InternalRequestSignature, TargetState } from '@ferry/runtime'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { params, query, type RestContext, type RouteSpec, withTimeout } from '../context.ts'
import {
  checkAddressableName,
  connectorOffsets,
  createConnectorRequest,
  javaTrim,
  missingBody,
  pathInteger,
  queryBoolean,
  stringMap,
} from '../entities.ts'
import { badRequest, ConnectRestException, httpStatusError } from '../errors.ts'
import { rawBody } from '../request-body.ts'

/**
 * Apache's check: a `name` in the config must equal the connector's name; otherwise the name is put in. Ferry also
 * refuses a name no URL could reach afterwards (`checkAddressableName`).
 */
function checkAndPutConnectorConfigName(name: string, config: Record<string, string | null>): void {
  checkAddressableName(name)
  const included = config.name
  if (included !== undefined && included !== null) {
    if (included !== name) {
      throw badRequest(`Connector name configuration (${included}) doesn't match connector name in the URL (${name})`)
    }
  } else {
    config.name = name
  }
}

/** `Location` as Jersey builds it: absolute, from the request's host. */
function location(request: FastifyRequest, name: string): string {
  const host = request.headers.host ?? `${request.hostname}`
  return `${request.protocol}://${host}/connectors/${encodeURIComponent(name)}`
}

function taskId(request: FastifyRequest): { connector: string; task: number } {
  const p = params(request)
  const task = pathInteger(p.task ?? '')
  if (task === null) throw httpStatusError(404)
  return { connector: p.connector ?? '', task }
}

/** `/connectors/*`: connectors, their configs, state, tasks, topics and offsets. */
export function connectorRoutes(ctx: RestContext): RouteSpec[] {
  const { herder } = ctx
  const wait = <T>(p: Promise<T>) => withTimeout(p, ctx.requestTimeoutMs)
  const connectorName = (request: FastifyRequest) => params(request).connector ?? ''

  const put = (name: string, config: Record<string, string | null>, allowReplace: boolean, state?: TargetState) =>
    wait(herder.putConnectorConfig(name, config, allowReplace, state))

  const topicTracking = () =>
    (ctx.workerConfig.originals['topic.tracking.enable'] ?? 'true').trim().toLowerCase() !== 'false'
  const topicTrackingReset = () =>
    (ctx.workerConfig.originals['topic.tracking.allow.reset'] ?? 'true').trim().toLowerCase() !== 'false'

  return [
    {
      method: 'GET',
      url: '/connectors',
      summary: 'Connector names; with `?expand=status` and/or `?expand=info`, `{"<name>":{"status":...,"info":...}}`',
      handler: async (request) => {
        const q = query(request)
        if (q.expand === undefined) return herder.connectors()
        const expansions = Array.isArray(q.expand) ? q.expand : [q.expand]
        const out: Record<string, Record<string, unknown>> = {}
        for (const name of herder.connectors()) {
          try {
            const expanded: Record<string, unknown> = {}
            for (const expansion of expansions) {
              if (expansion === 'status') expanded.status = herder.connectorStatus(name)
              else if (expansion === 'info') expanded.info = herder.connectorInfo(name)
              else ctx.log.info(`Ignoring unknown expansion type ${expansion}`)
            }
            out[name] = expanded
          } catch (e) {
            if (!(e instanceof NotFoundException)) throw e
            // deleted while we looked: left out
          }
        }
        return out
      },
    },
    {
      method: 'POST',
      url: '/connectors',
      entity: true,
      summary:
        'Create a connector from `{"name","config","initial_state"}` (`RUNNING`, `PAUSED` or `STOPPED`): 201 + Location, ConnectorInfo',
      handler: async (request, reply) => {
        const body = createConnectorRequest(request.body)
        const name = javaTrim(body.name ?? '')
        if (body.config === null) throw missingBody('a "config" object in {"name": ..., "config": {...}}')
        const config = body.config
        checkAndPutConnectorConfigName(name, config)
        const { info } = await put(name, config, false, body.initialState ?? undefined)
        return reply.code(201).header('Location', location(request, name)).send(info)
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector',
      summary: 'ConnectorInfo: `{"name","config","tasks","type"}`',
      handler: async (request) => herder.connectorInfo(connectorName(request)),
    },
    {
      method: 'GET',
      url: '/connectors/:connector/config',
      summary: 'The connector config as submitted',
      handler: async (request) => herder.connectorConfig(connectorName(request)),
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/config',
      entity: true,
      summary: 'Create (201 + Location) or update (200) a connector from its config; ConnectorInfo',
      handler: async (request, reply) => {
        const name = connectorName(request)
        const config = stringMap(request.body)
        checkAndPutConnectorConfigName(name, config)
        const { created, info } = await put(name, config, true)
        if (created) reply.header('Location', location(request, name)).code(201)
        else reply.code(200)
        return reply.send(info)
      },
    },
    {
      method: 'PATCH',
      url: '/connectors/:connector/config',
      entity: true,
      summary: 'Merge keys into the config (a null value removes the key) and apply it; ConnectorInfo',
      handler: async (request) => {
        const name = connectorName(request)
        // Apache looks the connector up before it reads the patch: an unknown one is 404 whatever the body.
        if (request.body === undefined || request.body === null) herder.connectorConfig(name)
        return wait(herder.patchConnectorConfig(name, stringMap(request.body)))
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector/status',
      summary: 'ConnectorStateInfo: connector and task states (`trace` on failures), tasks sorted by id',
      handler: async (request) => herder.connectorStatus(connectorName(request)),
    },
    {
      method: 'POST',
      url: '/connectors/:connector/restart',
      summary:
        'Restart the connector: 204; with `includeTasks` and/or `onlyFailed` (KIP-745), 202 and the restart plan',
      handler: async (request, reply) => {
        const name = connectorName(request)
        const q = query(request)
        const includeTasks = queryBoolean(q.includeTasks, false)
        const onlyFailed = queryBoolean(q.onlyFailed, false)
        if (!includeTasks && !onlyFailed) {
          await wait(herder.restartConnector(name))
          return reply.code(204).send()
        }
        const plan = await wait(herder.restartConnectorAndTasks({ connector: name, includeTasks, onlyFailed }))
        return reply.code(202).send(plan)
      },
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/pause',
      summary: 'Pause the connector and its tasks: 202',
      handler: async (request, reply) => {
        await wait(herder.pauseConnector(connectorName(request)))
        return reply.code(202).send()
      },
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/resume',
      summary: 'Resume a paused or stopped connector: 202',
      handler: async (request, reply) => {
        await wait(herder.resumeConnector(connectorName(request)))
        return reply.code(202).send()
      },
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/stop',
      summary: 'Stop the connector and remove its tasks (KIP-875; needed before changing offsets): 204',
      handler: async (request, reply) => {
        await wait(herder.stopConnector(connectorName(request)))
        return reply.code(204).send()
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector/tasks',
      summary: 'Task configs: `[{"id":{"connector","task"},"config":{...}}]`',
      handler: async (request) => herder.taskConfigs(connectorName(request)),
    },
    {
      method: 'GET',
      url: '/connectors/:connector/tasks-config',
      summary: 'Deprecated (removed in Apache 4.0): task configs keyed `<connector>-<task>`',
      handler: async (request) => {
        ctx.log.warn(
          "The 'GET /connectors/{connector}/tasks-config' endpoint is deprecated and will be removed in the next major release. Please use the 'GET /connectors/{connector}/tasks' endpoint instead.",
        )
        return herder.tasksConfig(connectorName(request))
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector/tasks/:task/status',
      summary: 'One task\'s state: `{"id","state","worker_id","version","trace"?}`',
      handler: async (request) => herder.taskStatus(taskId(request)),
    },
    {
      method: 'POST',
      url: '/connectors/:connector/tasks/:task/restart',
      summary: 'Restart one task: 204',
      handler: async (request, reply) => {
        await wait(herder.restartTask(taskId(request)))
        return reply.code(204).send()
      },
    },
    {
      method: 'DELETE',
      url: '/connectors/:connector',
      summary: 'Delete the connector: 204',
      handler: async (request, reply) => {
        await wait(herder.deleteConnector(connectorName(request)))
        return reply.code(204).send()
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector/topics',
      summary: 'Topics the connector used (KIP-558): `{"<name>":{"topics":[...]}}`; 403 when tracking is disabled',
      handler: async (request) => {
        if (!topicTracking()) throw new ConnectRestException(403, 'Topic tracking is disabled.')
        const info = herder.connectorActiveTopics(connectorName(request))
        return { [info.connector]: { topics: info.topics } }
      },
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/topics/reset',
      summary: 'Forget the topics the connector used: 202; 403 when tracking or its reset is disabled',
      handler: async (request, reply) => {
        if (!topicTracking()) throw new ConnectRestException(403, 'Topic tracking is disabled.')
        if (!topicTrackingReset()) throw new ConnectRestException(403, 'Topic tracking reset is disabled.')
        herder.resetConnectorActiveTopics(connectorName(request))
        return reply.code(202).send()
      },
    },
    {
      method: 'GET',
      url: '/connectors/:connector/offsets',
      summary:
        'Offsets: `{"offsets":[{"partition","offset"}]}` (source: the offset store; sink: the consumer group, `connect-<name>` by default)',
      handler: async (request) => wait(herder.connectorOffsets(connectorName(request))),
    },
    {
      method: 'PATCH',
      url: '/connectors/:connector/offsets',
      entity: true,
      summary: 'Alter offsets of a STOPPED connector (a null offset removes it): `{"message"}`',
      handler: async (request) => {
        const offsets = connectorOffsets(request.body)
        if (offsets === null || offsets.length === 0) {
          throw badRequest('Partitions / offsets need to be provided for an alter offsets request')
        }
        return wait(herder.alterConnectorOffsets(connectorName(request), offsets))
      },
    },
    {
      method: 'DELETE',
      url: '/connectors/:connector/offsets',
      summary: 'Reset every offset of a STOPPED connector: `{"message"}`',
      handler: async (request) => wait(herder.resetConnectorOffsets(connectorName(request))),
    },
    {
      method: 'POST',
      url: '/connectors/:connector/tasks',
      entity: true,
      summary:
        'Internal (distributed mode): a follower sends the task configs it generated to the leader, HMAC-signed (KIP-507): 204; 400 unsigned, 403 bad signature; 500 in standalone mode',
      handler: async (request: FastifyRequest, _reply: FastifyReply) => {
        const internal = herder as {
          putTaskConfigs?: (name: string, configs: unknown, signature: InternalRequestSignature | null) => Promise<void>
        }
        if (!internal.putTaskConfigs) {
          throw new Error('Kafka Connect in standalone mode does not support externally setting task configurations.')
        }
        await wait(internal.putTaskConfigs(connectorName(request), request.body, requestSignature(request)))
        return _reply.code(204).send()
      },
    },
    {
      method: 'PUT',
      url: '/connectors/:connector/fence',
      summary:
        'Internal (distributed mode, KIP-618): the leader fences the older task generations of a source connector and writes its task count record, HMAC-signed (KIP-507): 204; 400 unsigned, 403 bad signature, 404 unknown connector, 400 a sink connector, 409 new task configs came meanwhile; a follower forwards it to the leader; 500 in standalone mode',
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const internal = herder as {
          fenceZombieSourceTasks?: (name: string, signature: InternalRequestSignature | null) => Promise<void>
        }
        if (!internal.fenceZombieSourceTasks) {
          throw new Error('Kafka Connect in standalone mode does not support exactly-once source connectors.')
        }
        await wait(internal.fenceZombieSourceTasks(connectorName(request), requestSignature(request)))
        return reply.code(204).send()
      },
    },
  ]
}

/** The KIP-507 signature headers of an internal request, or null when either is missing (as Apache). */
function requestSignature(request: FastifyRequest): InternalRequestSignature | null {
  const signature = request.headers['x-connect-authorization']
  const algorithm = request.headers['x-connect-request-signature-algorithm']
  if (typeof signature !== 'string' || typeof algorithm !== 'string') return null
  return { body: rawBody(request) ?? Buffer.alloc(0), algorithm, signature }
}
