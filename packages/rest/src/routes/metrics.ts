import type { RestContext, RouteSpec } from '../context.ts'

/** `GET /metrics`: Prometheus text, Apache's metric names mapped as the JMX exporter rules map them. */
export function metricsRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/metrics',
      anyMediaType: true,
      summary:
        "Prometheus metrics with Apache's names (docs/operations.md#metrics); 404 when `metrics.listener` serves them elsewhere",
      handler: async (_request, reply) => {
        if (!ctx.metrics) {
          const where = ctx.workerConfig.originals['metrics.listener']?.trim()
          return reply.code(404).send({
            error_code: 404,
            message: where
              ? `Metrics are served on metrics.listener (${where}), not on this listener`
              : 'Metrics are not served: metrics.listener is empty',
          })
        }
        return reply
          .code(200)
          .type(ctx.metrics.contentType)
          .send(await ctx.metrics.scrape())
      },
    },
  ]
}
