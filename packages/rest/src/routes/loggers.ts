import { params, query, type RestContext, type RouteSpec } from '../context.ts'
import { missingBody, stringMap } from '../entities.ts'
import { ConnectRestException } from '../errors.ts'

const LEVELS = new Set(['OFF', 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL'])

/** `/admin/loggers/*`: log levels of this worker's loggers; changes apply to the running logger at once. */
export function loggerRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/admin/loggers',
      admin: true,
      summary: 'Every logger and its level: `{"<logger>":{"level","last_modified"}}`, `root` included',
      handler: async () => ctx.herder.allLoggerLevels(),
    },
    {
      method: 'GET',
      url: '/admin/loggers/:logger',
      admin: true,
      summary: 'One logger\'s level: `{"level","last_modified"}`',
      handler: async (request) => {
        const name = params(request).logger ?? ''
        const level = ctx.herder.loggerLevel(name)
        if (!level) throw new ConnectRestException(404, `Logger ${name} not found.`)
        return level
      },
    },
    {
      method: 'PUT',
      url: '/admin/loggers/:logger',
      admin: true,
      entity: true,
      summary:
        'Set the level of a logger and those below it from `{"level":"DEBUG"}`: the changed loggers (`?scope=cluster`: 204)',
      handler: async (request, reply) => {
        const namespace = params(request).logger ?? ''
        if (request.body === undefined) throw missingBody('{"level": "<level>"}')
        const level = stringMap(request.body).level
        if (level === undefined || level === null) {
          throw new ConnectRestException(400, "Desired 'level' parameter was not specified in request.")
        }
        if (!LEVELS.has(level.toUpperCase())) throw new ConnectRestException(404, `invalid log level '${level}'.`)
        const scopeParam = query(request).scope
        const scope = (Array.isArray(scopeParam) ? scopeParam[0] : scopeParam) ?? 'worker'
        if (scope.toLowerCase() === 'cluster') {
          await ctx.herder.setClusterLoggerLevel(namespace, level)
          return reply.code(204).send()
        }
        if (scope.toLowerCase() !== 'worker') {
          ctx.log.warn(`Received invalid scope '${scope}' in request to adjust logging level; will default to worker`)
        }
        return ctx.herder.setWorkerLoggerLevel(namespace, level)
      },
    },
  ]
}
