import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { UsageError } from '../errors.ts'

/** Where and how to reach one Connect cluster's REST API. Basic auth and a bearer token exclude each other. */
export interface Context {
  url: string
  user?: string
  password?: string
  token?: string
  /** PEM file of the CA(s) that signed the server's certificate, for https URLs. */
  'ca-file'?: string
  /** Accept any server certificate (https). */
  insecure?: boolean
  /** PEM file of the client certificate (and its chain) shown to a worker that requires one (`ssl.client.auth`). */
  'cert-file'?: string
  /** PEM file of the client certificate's private key (unencrypted). */
  'key-file'?: string
}

/** The config file: named contexts and the one used when no `--context` is given. */
export interface CtlConfig {
  'current-context'?: string
  contexts: Record<string, Context>
}

/** The URL used when there is no context at all: Apache Connect's default listener. */
export const DEFAULT_URL = 'http://localhost:8083'

const CONTEXT_KEYS: Record<keyof Context, 'string' | 'boolean'> = {
  url: 'string',
  user: 'string',
  password: 'string',
  token: 'string',
  'ca-file': 'string',
  insecure: 'boolean',
  'cert-file': 'string',
  'key-file': 'string',
}

/** `$FERRY_CTL_CONFIG`, else `$XDG_CONFIG_HOME/ferry/ctl.json`, else `~/.config/ferry/ctl.json`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.FERRY_CTL_CONFIG) return env.FERRY_CTL_CONFIG
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ferry', 'ctl.json')
}

/** Reads the config file; a missing file is an empty config, anything unreadable or unknown a `UsageError`. */
export async function loadConfig(path: string): Promise<CtlConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} }
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${path} must hold a JSON object {"current-context": ..., "contexts": {...}}`)
  }
  const obj = parsed as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (key !== 'current-context' && key !== 'contexts') {
      throw new UsageError(`${path}: unknown key "${key}" (valid: current-context, contexts)`)
    }
  }
  const contexts: Record<string, Context> = {}
  const raw = obj.contexts ?? {}
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${path}: "contexts" must be an object of named contexts`)
  }
  for (const [name, c] of Object.entries(raw)) contexts[name] = checkContext(c, `${path}: context "${name}"`)
  const current = obj['current-context']
  if (current !== undefined && typeof current !== 'string') {
    throw new UsageError(`${path}: "current-context" must be a context name`)
  }
  return current === undefined ? { contexts } : { 'current-context': current, contexts }
}

/** Checks a context's keys, types, URL and auth; returns it or throws a `UsageError` starting with `where`. */
export function checkContext(value: unknown, where: string): Context {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${where} must be an object`)
  }
  const c = value as Record<string, unknown>
  for (const [key, v] of Object.entries(c)) {
    const type = CONTEXT_KEYS[key as keyof Context]
    if (type === undefined) {
      throw new UsageError(`${where}: unknown key "${key}" (valid: ${Object.keys(CONTEXT_KEYS).join(', ')})`)
    }
    if (typeof v !== type) throw new UsageError(`${where}: "${key}" must be a ${type}`)
  }
  if (typeof c.url !== 'string') throw new UsageError(`${where}: "url" is required (e.g. ${DEFAULT_URL})`)
  checkUrl(c.url, where)
  if ((c.user === undefined) !== (c.password === undefined)) {
    throw new UsageError(`${where}: basic auth needs both "user" and "password"`)
  }
  if ((c['cert-file'] === undefined) !== (c['key-file'] === undefined)) {
    throw new UsageError(`${where}: a client certificate needs both "cert-file" and "key-file"`)
  }
  if (c.user !== undefined && c.token !== undefined) {
    throw new UsageError(`${where}: use either basic auth ("user", "password") or a bearer "token", not both`)
  }
  return c as unknown as Context
}

function checkUrl(url: string, where: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`${where}: url "${url}" is not a URL (e.g. ${DEFAULT_URL})`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${where}: url "${url}" must start with http:// or https://`)
  }
}

/** Writes the config file atomically, readable only by its owner (it may hold passwords and tokens). */
export async function saveConfig(path: string, config: CtlConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}

/**
 * The context a command uses: `--context NAME` (which must exist), else the current context, else none; `--url`
 * replaces the chosen context's URL (keeping its auth and TLS settings). With neither, `DEFAULT_URL`.
 */
export function resolveContext(
  config: CtlConfig,
  path: string,
  options: { context?: string; url?: string },
): { name: string | null; context: Context } {
  let name: string | null = null
  let context: Context | undefined
  if (options.context !== undefined) {
    context = config.contexts[options.context]
    if (!context) throw new UsageError(`no context "${options.context}" in ${path}${known(config)}`)
    name = options.context
  } else if (config['current-context'] !== undefined) {
    name = config['current-context']
    context = config.contexts[name]
    if (!context) throw new UsageError(`the current context "${name}" is not in ${path}${known(config)}`)
  }
  if (options.url !== undefined) {
    checkUrl(options.url, '--url')
    return { name, context: { ...(context ?? {}), url: options.url } }
  }
  return { name, context: context ?? { url: DEFAULT_URL } }
}

function known(config: CtlConfig): string {
  const names = Object.keys(config.contexts)
  return names.length === 0
    ? ' (there are none: ferry ctl config set-context NAME --url URL)'
    : ` (known: ${names.join(', ')})`
}
