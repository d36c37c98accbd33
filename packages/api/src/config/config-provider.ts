/**
 * Config providers (Apache's `ConfigProvider`, KIP-297): where `${provider:path:key}` references in worker and
 * connector configs get their values. A plugin package provides one with a descriptor of kind `config_provider`.
 */
import { ConfigException } from '../errors.ts'

/** What a provider returns for one path (Apache's `ConfigData`). */
export interface ConfigData {
  /** Values by key; a requested key missing here is an error (see `unresolved`). */
  data: Record<string, string>
  /**
   * How long the values stay valid, in ms (Apache's TTL, which schedules a connector restart under
   * `config.action.reload=restart`). The built-in providers return none, as Apache's do.
   */
  ttl?: number | null
  /** Why each requested key that is not in `data` has no value (`no key pw in /secrets/db.properties`). */
  unresolved?: Record<string, string>
}

/**
 * A source of config values (Apache's `ConfigProvider`). `configure` gets the `config.providers.<name>.param.*`
 * keys without their prefix and throws `InvalidParamException` for a bad one. `get` throws `ConfigException` when the
 * path cannot be read at all; keys it has no value for are left out of `data`.
 */
export interface ConfigProvider {
  configure(params: Readonly<Record<string, string>>): void
  get(path: string, keys: ReadonlySet<string>): ConfigData | Promise<ConfigData>
  close?(): void | Promise<void>
}

/** A provider's parameter is invalid; the worker config names it with its full key. */
export class InvalidParamException extends ConfigException {
  readonly param: string
  readonly value: string
  readonly reason: string

  constructor(param: string, value: string, reason: string) {
    super(param, value, reason)
    this.param = param
    this.value = value
    this.reason = reason
  }
}
