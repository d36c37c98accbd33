/**
 * Error names the way Apache's tools see them: Connect's exception classes under their Java class names (so
 * consumers of a dead letter queue can match `__connect.errors.exception.class.name` as they do with Apache), and
 * stack traces in Java's `printStackTrace` layout.
 */

const JAVA_CLASS_NAMES: Readonly<Record<string, string>> = {
  ConnectException: 'org.apache.kafka.connect.errors.ConnectException',
  RetriableException: 'org.apache.kafka.connect.errors.RetriableException',
  DataException: 'org.apache.kafka.connect.errors.DataException',
  SchemaBuilderException: 'org.apache.kafka.connect.errors.SchemaBuilderException',
  SchemaProjectorException: 'org.apache.kafka.connect.errors.SchemaProjectorException',
  IllegalWorkerStateException: 'org.apache.kafka.connect.errors.IllegalWorkerStateException',
  NotFoundException: 'org.apache.kafka.connect.errors.NotFoundException',
  AlreadyExistsException: 'org.apache.kafka.connect.errors.AlreadyExistsException',
  ConfigException: 'org.apache.kafka.common.config.ConfigException',
}

/** Connect's own errors by their Java class name; any other error by its `name` (`TypeError`, `SyntaxError`, ...). */
export function exceptionClassName(error: unknown): string {
  if (!(error instanceof Error)) return 'Error'
  return JAVA_CLASS_NAMES[error.name] ?? error.name
}

/** The error's message (`String(error)` for a thrown non-Error). */
export function exceptionMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Java's `Throwable.toString()`: `class: message`, or the class alone without a message. */
function describe(error: unknown): string {
  const message = exceptionMessage(error)
  return message ? `${exceptionClassName(error)}: ${message}` : exceptionClassName(error)
}

/** The frames of a V8 stack (`    at f (file:1:2)`), as Java prints them (`\tat f (file:1:2)`). */
function frames(error: unknown): string[] {
  const stack = error instanceof Error ? (error.stack ?? '') : ''
  const out: string[] = []
  for (const line of stack.split('\n')) {
    const m = /^\s+at (.*)$/.exec(line)
    if (m) out.push(`\tat ${m[1]}`)
  }
  return out
}

/** Java's `printStackTrace()` text: the error and its frames, then each cause as `Caused by: ...`. */
export function stackTrace(error: unknown): string {
  const lines = [describe(error), ...frames(error)]
  let cause = error instanceof Error ? error.cause : undefined
  for (let depth = 0; cause !== undefined && cause !== null && depth < 20; depth++) {
    lines.push(`Caused by: ${describe(cause)}`, ...frames(cause))
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return `${lines.join('\n')}\n`
}
