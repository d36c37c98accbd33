/**
 * Connect's exception hierarchy (Apache's `org.apache.kafka.connect.errors.*` plus `ConfigException`).
 *
 * `instanceof` works across duplicate copies of `@ferry/api` (a plugin may bring its own copy): every class puts a
 * `Symbol.for('ferry.error.<Name>')` brand on its prototype, and its `static [Symbol.hasInstance]` checks that brand
 * rather than the prototype chain. A subclass inherits its parents' brands through the prototype chain, so a
 * `DataException` from another copy is also `instanceof ConnectException` here. Classes that users derive from these
 * (without their own brand) fall back to the ordinary prototype check.
 *
 * Each error carries a stable `code` (`FERRY_ERR_CONNECT`, `FERRY_ERR_DATA`, ...), and the optional `cause` of ES2022.
 */

const BRANDS = {
  ConnectException: Symbol.for('ferry.error.ConnectException'),
  RetriableException: Symbol.for('ferry.error.RetriableException'),
  PendingException: Symbol.for('ferry.error.PendingException'),
  DataException: Symbol.for('ferry.error.DataException'),
  SchemaBuilderException: Symbol.for('ferry.error.SchemaBuilderException'),
  SchemaProjectorException: Symbol.for('ferry.error.SchemaProjectorException'),
  IllegalWorkerStateException: Symbol.for('ferry.error.IllegalWorkerStateException'),
  NotFoundException: Symbol.for('ferry.error.NotFoundException'),
  AlreadyExistsException: Symbol.for('ferry.error.AlreadyExistsException'),
  ConfigException: Symbol.for('ferry.error.ConfigException'),
} as const

/** Stable error codes, one per class. */
export const ErrorCode = {
  CONNECT: 'FERRY_ERR_CONNECT',
  RETRIABLE: 'FERRY_ERR_RETRIABLE',
  PENDING: 'FERRY_ERR_PENDING',
  DATA: 'FERRY_ERR_DATA',
  SCHEMA_BUILDER: 'FERRY_ERR_SCHEMA_BUILDER',
  SCHEMA_PROJECTOR: 'FERRY_ERR_SCHEMA_PROJECTOR',
  ILLEGAL_WORKER_STATE: 'FERRY_ERR_ILLEGAL_WORKER_STATE',
  NOT_FOUND: 'FERRY_ERR_NOT_FOUND',
  ALREADY_EXISTS: 'FERRY_ERR_ALREADY_EXISTS',
  CONFIG: 'FERRY_ERR_CONFIG',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

type AnyClass = abstract new (...args: any[]) => unknown

/** Marks `clazz.prototype` with `brand`; `code` becomes the prototype's default `code`. */
function brand(clazz: AnyClass, symbol: symbol, code: ErrorCode): void {
  Object.defineProperty(clazz.prototype, symbol, { value: true, enumerable: false })
  Object.defineProperty(clazz.prototype, 'code', { value: code, enumerable: false, writable: true, configurable: true })
}

/**
 * The `Symbol.hasInstance` check: for the branded class itself, the brand decides; for a user subclass that did not
 * define its own check (`self !== owner`), the ordinary prototype chain decides.
 */
function hasBrand(self: unknown, owner: AnyClass, symbol: symbol, value: unknown): boolean {
  if (self !== owner) return Function.prototype[Symbol.hasInstance].call(self, value)
  return value !== null && (typeof value === 'object' || typeof value === 'function') && (value as any)[symbol] === true
}

/** `message` for the Java-style `(Throwable cause)` constructor: the cause's `toString()`. */
function messageOf(messageOrCause: unknown): string {
  if (typeof messageOrCause === 'string') return messageOrCause
  if (messageOrCause == null) return ''
  return String(messageOrCause)
}

/**
 * The base of Connect's errors. `new ConnectException(message)`, `new ConnectException(message, cause)` or, as in
 * Java, `new ConnectException(cause)` (the message is then the cause's `String()`).
 */
export class ConnectException extends Error {
  /** Stable code of this error class; set on the prototype, so subclasses override it. */
  declare readonly code: string

  constructor(messageOrCause?: string | Error, cause?: unknown) {
    const causeValue = typeof messageOrCause === 'string' || messageOrCause === undefined ? cause : messageOrCause
    super(messageOf(messageOrCause), causeValue === undefined ? undefined : { cause: causeValue })
    this.name = new.target.name
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, ConnectException, BRANDS.ConnectException, value)
  }
}
brand(ConnectException, BRANDS.ConnectException, ErrorCode.CONNECT)

/** A failure that may succeed when the operation is retried (e.g. a sink's `put` is delivered again). */
export class RetriableException extends ConnectException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, RetriableException, BRANDS.RetriableException, value)
  }
}
brand(RetriableException, BRANDS.RetriableException, ErrorCode.RETRIABLE)

/**
 * Thrown by a synchronous plugin method (a converter's `fromConnectData` / `toConnectData`) that needs something it
 * has to fetch first, such as a schema from a registry: the runtime waits until `ready` settles and calls the method
 * again with the same arguments. It is not a failure: not counted, reported nor limited by `errors.retry.timeout`.
 * `ready` never rejects; the plugin keeps the outcome and throws the real error (if any) on the next call. A caller
 * that does not know it sees a RetriableException.
 */
export class PendingException extends RetriableException {
  readonly ready: Promise<void>

  constructor(message: string, ready: Promise<unknown>) {
    super(message)
    this.ready = ready.then(
      () => {},
      () => {},
    )
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, PendingException, BRANDS.PendingException, value)
  }
}
brand(PendingException, BRANDS.PendingException, ErrorCode.PENDING)

/** Data does not match its schema, or cannot be converted. */
export class DataException extends ConnectException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, DataException, BRANDS.DataException, value)
  }
}
brand(DataException, BRANDS.DataException, ErrorCode.DATA)

/** A `SchemaBuilder` was used incorrectly. */
export class SchemaBuilderException extends DataException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, SchemaBuilderException, BRANDS.SchemaBuilderException, value)
  }
}
brand(SchemaBuilderException, BRANDS.SchemaBuilderException, ErrorCode.SCHEMA_BUILDER)

/** Data could not be projected onto another schema. */
export class SchemaProjectorException extends DataException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, SchemaProjectorException, BRANDS.SchemaProjectorException, value)
  }
}
brand(SchemaProjectorException, BRANDS.SchemaProjectorException, ErrorCode.SCHEMA_PROJECTOR)

/** A method was called while the worker or task was in a state that does not allow it. */
export class IllegalWorkerStateException extends ConnectException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, IllegalWorkerStateException, BRANDS.IllegalWorkerStateException, value)
  }
}
brand(IllegalWorkerStateException, BRANDS.IllegalWorkerStateException, ErrorCode.ILLEGAL_WORKER_STATE)

/** A connector, task or other resource does not exist (REST 404). */
export class NotFoundException extends ConnectException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, NotFoundException, BRANDS.NotFoundException, value)
  }
}
brand(NotFoundException, BRANDS.NotFoundException, ErrorCode.NOT_FOUND)

/** A connector or other resource already exists (REST 409). */
export class AlreadyExistsException extends ConnectException {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, AlreadyExistsException, BRANDS.AlreadyExistsException, value)
  }
}
brand(AlreadyExistsException, BRANDS.AlreadyExistsException, ErrorCode.ALREADY_EXISTS)

/**
 * An invalid configuration (Apache's `org.apache.kafka.common.config.ConfigException`; like Apache's it is NOT a
 * `ConnectException`). `new ConfigException(message)` or `new ConfigException(name, value, message?)`, whose message
 * is `Invalid value <value> for configuration <name>: <message>`.
 */
export class ConfigException extends Error {
  declare readonly code: string

  constructor(message: string)
  constructor(name: string, value: unknown, message?: string | null)
  constructor(nameOrMessage: string, ...rest: unknown[]) {
    let message: string
    if (rest.length === 0) {
      message = nameOrMessage
    } else {
      const detail = rest[1]
      message = `Invalid value ${javaString(rest[0])} for configuration ${nameOrMessage}${
        detail == null ? '' : `: ${String(detail)}`
      }`
    }
    super(message)
    this.name = new.target.name
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class that instanceof was called on
    return hasBrand(this, ConfigException, BRANDS.ConfigException, value)
  }
}
brand(ConfigException, BRANDS.ConfigException, ErrorCode.CONFIG)

// The last date rendered: records of one batch (a sink writing Structs with a timestamp) often share one.
let lastDateTime = Number.NaN
let lastDateString = ''

function dateString(value: Date): string {
  const time = value.getTime()
  if (time === lastDateTime) return lastDateString
  if (Number.isNaN(time)) return 'Invalid Date'
  lastDateTime = time
  lastDateString = value.toISOString()
  return lastDateString
}

/**
 * Renders a value the way Java's string concatenation would: `null`, lists as `[a, b]`, maps as `{k=v}`, other
 * objects through their `toString()` (so a `Password` shows `[hidden]`).
 */
export function javaString(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value)
    case 'function':
      return `class ${value.name}`
    case 'symbol':
      return value.toString()
  }
  if (value instanceof Date) return dateString(value)
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + javaString(value[i])
    return `${out}]`
  }
  if (value instanceof Uint8Array) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + ((value[i]! << 24) >> 24)
    return `${out}]`
  }
  if (value instanceof Map) {
    let out = '{'
    let first = true
    for (const [k, v] of value) {
      out += `${first ? '' : ', '}${javaString(k)}=${javaString(v)}`
      first = false
    }
    return `${out}}`
  }
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    let out = '{'
    let first = true
    for (const k of Object.keys(value)) {
      out += `${first ? '' : ', '}${k}=${javaString((value as Record<string, unknown>)[k])}`
      first = false
    }
    return `${out}}`
  }
  return String(value)
}
