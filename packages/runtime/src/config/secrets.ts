/**
 * Keeping secrets out of logs, status traces and REST bodies. Two rules:
 *
 * - PASSWORD-typed keys (a plugin's ConfigDef says so, or the key is one of Apache's client PASSWORD keys under any
 *   prefix) show as `[hidden]`.
 * - A value a config provider resolved never reaches a log line or a trace: Ferry logs unresolved configs, and the
 *   worker's `SecretRedactor` replaces any resolved value that still turns up in text (an error a plugin built from
 *   its config, say) by the reference it came from, `${file:/secrets/db.properties:password}`.
 */

import { PASSWORD_KEYS } from '../kafka/client-config.ts'

/** How a hidden value shows (Apache's `Password.HIDDEN`). */
export const HIDDEN = '[hidden]'

/**
 * The PASSWORD-typed keys of Apache's clients (`SslConfigs`, `SaslConfigs`, KIP-1139's OAuth secrets), from the one
 * client key table. A key is one of them under any prefix (`producer.`, `consumer.override.`, `listeners.https.`, ...).
 */
export const CLIENT_PASSWORD_KEYS: readonly string[] = [...PASSWORD_KEYS]

/** True for one of Apache's client PASSWORD keys, bare or under a prefix (`admin.override.sasl.jaas.config`). */
export function isPasswordKey(key: string): boolean {
  for (const name of CLIENT_PASSWORD_KEYS) {
    if (key === name || (key.endsWith(name) && key[key.length - name.length - 1] === '.')) return true
  }
  return false
}

/**
 * A copy of `config` for a log line or a response: PASSWORD keys (Apache's client ones, and `passwordKeys`, e.g. the
 * plugin's PASSWORD-typed keys) show as `[hidden]`.
 */
export function hidePasswords(
  config: Readonly<Record<string, string | null>>,
  passwordKeys: ReadonlySet<string> = new Set(),
): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(config)) {
    Object.defineProperty(out, key, {
      value: value !== null && (passwordKeys.has(key) || isPasswordKey(key)) ? HIDDEN : value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

/** The JSON string form of `s` without its quotes: how `s` shows inside a JSON log line. */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1)
}

/**
 * Replaces known secrets in text by what may be shown instead (a provider reference, or `[hidden]`). The worker keeps
 * one for its process: config resolution adds every resolved value, the log stream and status traces go through it.
 *
 * Values shorter than `MIN_LENGTH` characters are not searched for: `1` or `all` cannot be told apart from ordinary
 * text, and replacing them would garble every line. Such a value is no secret worth the name; PASSWORD-typed keys are
 * hidden by key whatever their length.
 */
export class SecretRedactor {
  static readonly MIN_LENGTH = 4
  /** Secret → what shows instead; the first replacement added for a secret wins. */
  readonly #secrets = new Map<string, string>()
  /** [secret, replacement] pairs, longest first, as plain text and as they show inside JSON strings. */
  #plain: Array<[string, string]> | null = null
  #json: Array<[string, string]> | null = null

  /** Adds a secret; returns false when it is too short to be searched for (or already known). */
  add(secret: string, replacement: string): boolean {
    if (secret.length < SecretRedactor.MIN_LENGTH || this.#secrets.has(secret) || secret === replacement) return false
    this.#secrets.set(secret, replacement)
    this.#plain = null
    this.#json = null
    return true
  }

  get size(): number {
    return this.#secrets.size
  }

  /** `text` with every known secret replaced. */
  redact(text: string): string {
    if (this.#secrets.size === 0) return text
    this.#plain ??= this.#pairs((s) => s)
    return replaceAll(text, this.#plain)
  }

  /** A JSON log line with every known secret replaced (as it shows inside a JSON string); a log stream hook. */
  readonly redactJsonLine = (line: string): string => {
    if (this.#secrets.size === 0) return line
    this.#json ??= this.#pairs(jsonEscaped)
    return replaceAll(line, this.#json)
  }

  /** Redacts an error's message and stack (and its causes') in place, so status traces and logs show no secret. */
  redactError<E>(error: E): E {
    if (this.#secrets.size === 0) return error
    let current: unknown = error
    for (let depth = 0; current instanceof Error && depth < 10; depth++) {
      const e: Error = current
      try {
        const message = this.redact(e.message)
        if (message !== e.message) e.message = message
        if (e.stack !== undefined) {
          const stack = this.redact(e.stack)
          if (stack !== e.stack) e.stack = stack
        }
      } catch {
        // a frozen error: nothing to change it with
      }
      current = e.cause
    }
    return error
  }

  #pairs(form: (s: string) => string): Array<[string, string]> {
    const pairs: Array<[string, string]> = [...this.#secrets].map(([secret, replacement]) => [
      form(secret),
      form(replacement),
    ])
    return pairs.sort((a, b) => b[0].length - a[0].length)
  }
}

function replaceAll(text: string, pairs: ReadonlyArray<[string, string]>): string {
  let out = text
  for (const [secret, replacement] of pairs) if (out.includes(secret)) out = out.split(secret).join(replacement)
  return out
}
