export { type RestAuthentication, restAuthentication } from './auth/authentication.ts'
export type { RestContext, RouteSpec } from './context.ts'
export { restDocMarkdown } from './docs.ts'
export { ConnectRestException, type ErrorMessage, toErrorResponse } from './errors.ts'
export {
  advertisedUrl,
  checkRestConfig,
  createRestServer,
  type Listener,
  PortInUseError,
  parseListeners,
  type RestServerOptions,
  type RunningRestServer,
  restListeners,
  restRoutes,
  startRestServer,
  workerIdFor,
} from './server.ts'
