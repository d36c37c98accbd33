import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { readConnectorFile } from '../main.ts'
import { ConnectClient, ServerError, UnreachableError } from './client.ts'
import { completionScript, SHELLS, type Shell } from './completion.ts'
import {
  type Context,
  type CtlConfig,
  checkContext,
  configPath,
  loadConfig,
  resolveContext,
  saveConfig,
} from './contexts.ts'
import {
  compact,
  OUTPUT_FORMATS,
  type Output,
  type OutputFormat,
  paint,
  serialise,
  state,
  table,
  useColor,
} from './format.ts'

export const CTL_USAGE = `Usage: ferry ctl [options] <command>

Manage a running Connect cluster, Ferry's or Apache's, through its REST API.

Commands:
  get connectors|plugins|loggers    List them (plugins --all: transforms, converters and predicates too)
  describe connector NAME           Config (as the server returns it), state, tasks with traces, offsets
  apply -f FILE                     Create or update a connector from a .json ({"name","config"} or a flat
                                    config map) or .properties file
  patch NAME KEY=VALUE ... [--unset KEY ...]
                                    Change some keys of a connector's config (--unset removes one)
  pause|resume|stop NAME            Pause, resume (also a stopped one) or stop a connector
  restart NAME [--tasks] [--failed] Restart a connector; --tasks its tasks too, --failed only failed ones
  restart NAME --task ID            Restart one task
  delete NAME                       Delete a connector
  offsets get NAME                  A connector's offsets
  offsets set NAME (-f FILE | JSON) Alter the offsets of a STOPPED connector: {"offsets":[{"partition","offset"}]}
  offsets reset NAME                Reset every offset of a STOPPED connector
  config set-context NAME [--url URL] [--user USER --password PASSWORD | --token TOKEN]
                         [--ca-file PEM] [--insecure] [--cert-file PEM --key-file PEM]
                                    Add or change a context (the first one becomes current)
  config use-context NAME | delete-context NAME | get-contexts | current-context
  completion bash|zsh|fish          Print a shell completion script

Options:
  -o, --output FORMAT   table (default), json, yaml, or name (get: one name per line)
  --context NAME        Use this context instead of the current one
  --url URL             Use this URL (with the context's auth and TLS settings)
  -h, --help            Show this help

Contexts are kept in $FERRY_CTL_CONFIG, else $XDG_CONFIG_HOME/ferry/ctl.json, else ~/.config/ferry/ctl.json
(written readable only by you). Without any context, ferry ctl talks to ${'http://localhost:8083'}.
Tables are coloured on a terminal unless NO_COLOR is set.

Exit codes:
  0  done
  1  the server refused (HTTP 4xx/5xx; its message is printed), or an unexpected error
  2  usage error: unknown command or option, bad arguments, unreadable file or config
  3  cannot reach the server (connection refused, unknown host, TLS failure, timeout)
`

/** Where `ferry ctl` writes and what it reads from the environment; tests pass their own. */
export interface CtlIO {
  stdout: { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown }
  env: NodeJS.ProcessEnv
}

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  context: { type: 'string' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  file: { type: 'string', short: 'f' },
  all: { type: 'boolean' },
  tasks: { type: 'boolean' },
  failed: { type: 'boolean' },
  task: { type: 'string' },
  unset: { type: 'string', multiple: true },
  user: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
  'ca-file': { type: 'string' },
  insecure: { type: 'boolean' },
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
} as const
type OptionName = keyof typeof OPTIONS
type Values = {
  [K in OptionName]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'boolean'
      ? boolean
      : string
}

const GLOBAL: readonly OptionName[] = ['output', 'context', 'url', 'help']

/** The options each command takes beside the global ones. */
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  get: ['all'],
  describe: [],
  apply: ['file'],
  patch: ['unset'],
  pause: [],
  resume: [],
  stop: [],
  restart: ['tasks', 'failed', 'task'],
  delete: [],
  offsets: ['file'],
  config: ['user', 'password', 'token', 'ca-file', 'insecure', 'cert-file', 'key-file'],
  completion: [],
}

interface Run {
  io: CtlIO
  out: Output
  format: OutputFormat
  values: Values
  args: string[]
  client: () => Promise<ConnectClient>
  configFile: string
}

/** Runs `ferry ctl ARGS`; resolves with the exit code (see CTL_USAGE). */
export async function ctl(argv: string[], io: CtlIO): Promise<number> {
  try {
    if (argv[0] === '__complete') {
      io.stdout.write(await complete(argv.slice(1), io))
      return 0
    }
    let parsed: { values: Values; positionals: string[] }
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }) as typeof parsed
    } catch (e) {
      // Node's message goes on about positionals after '--': the first sentence says what is wrong.
      const first = (e as Error).message.split(/\.\s|\n/)[0]
      throw new UsageError(`${first}. Run ferry ctl --help for the options.`)
    }
    const { values, positionals } = parsed
    const [command, ...args] = positionals
    if (values.help || command === undefined || command === 'help') {
      io.stdout.write(CTL_USAGE)
      return values.help || command === 'help' ? 0 : 2
    }
    const allowed = COMMAND_OPTIONS[command]
    if (allowed === undefined)
      throw new UsageError(`unknown command '${command}'. Run ferry ctl --help for the commands.`)
    for (const name of Object.keys(values) as OptionName[]) {
      if (!GLOBAL.includes(name) && !allowed.includes(name)) {
        throw new UsageError(`--${name} does not apply to ${command}. Run ferry ctl --help for the options.`)
      }
    }
    const format = (values.output ?? 'table') as OutputFormat
    if (!OUTPUT_FORMATS.includes(format)) {
      throw new UsageError(`-o ${values.output} is not a format: use ${OUTPUT_FORMATS.join(', ')}`)
    }
    if (format === 'name' && command !== 'get' && !(command === 'config' && args[0] === 'get-contexts')) {
      throw new UsageError('-o name applies to get and config get-contexts only')
    }
    const configFile = configPath(io.env)
    let config: Promise<CtlConfig> | undefined
    const run: Run = {
      io,
      out: { write: (t) => io.stdout.write(t), color: useColor(io.stdout.isTTY, io.env) },
      format,
      values,
      args,
      configFile,
      client: async () => {
        config ??= loadConfig(configFile)
        const { context } = resolveContext(await config, configFile, {
          ...(values.context !== undefined ? { context: values.context } : {}),
          ...(values.url !== undefined ? { url: values.url } : {}),
        })
        return new ConnectClient(context)
      },
    }
    await COMMANDS[command]!(run)
    return 0
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')
    if (e instanceof ServerError) {
      io.stderr.write(`ferry ctl: ${message} (HTTP ${e.status})\n`)
      return 1
    }
    io.stderr.write(`ferry ctl: ${message}\n`)
    return e instanceof UsageError ? 2 : e instanceof UnreachableError ? 3 : 1
  }
}

const COMMANDS: Record<string, (run: Run) => Promise<void>> = {
  get,
  describe,
  apply,
  patch,
  pause: (run) => lifecycle(run, 'PUT', 'pause', 'paused'),
  resume: (run) => lifecycle(run, 'PUT', 'resume', 'resumed'),
  stop: (run) => lifecycle(run, 'PUT', 'stop', 'stopped'),
  restart,
  delete: async (run) => {
    const name = oneName(run, 'delete NAME')
    await (await run.client()).request('DELETE', connectorPath(name))
    run.out.write(`connector ${name} deleted\n`)
  },
  offsets,
  config: configCommand,
  completion: async (run) => {
    const [shell, ...rest] = run.args
    if (!SHELLS.includes(shell as Shell) || rest.length > 0) {
      throw new UsageError(`usage: ferry ctl completion ${SHELLS.join('|')}`)
    }
    run.out.write(completionScript(shell as Shell))
  },
}

function connectorPath(name: string, sub = ''): string {
  return `/connectors/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`
}

function oneName(run: Run, usage: string): string {
  if (run.args.length !== 1 || run.args[0] === '') throw new UsageError(`usage: ferry ctl ${usage}`)
  return run.args[0]!
}

/** Writes what the server answered as JSON or YAML; for a table, `line` (or the rendering it returns). */
function answer(run: Run, body: unknown, line: () => string): void {
  if ((run.format === 'json' || run.format === 'yaml') && body !== null && body !== undefined) {
    run.out.write(serialise(body, run.format))
  } else {
    run.out.write(line())
  }
}

const KINDS: Record<string, 'connectors' | 'plugins' | 'loggers'> = {
  connector: 'connectors',
  connectors: 'connectors',
  plugin: 'plugins',
  plugins: 'plugins',
  logger: 'loggers',
  loggers: 'loggers',
}

async function get(run: Run): Promise<void> {
  const [what, ...rest] = run.args
  const kind = KINDS[what ?? '']
  if (kind === undefined || rest.length > 0) throw new UsageError('usage: ferry ctl get connectors|plugins|loggers')
  if (run.values.all && kind !== 'plugins') throw new UsageError('--all applies to get plugins only')
  const client = await run.client()
  let value: unknown
  let headers: string[]
  let rows: string[][]
  if (kind === 'connectors') {
    const { body } = await client.get('/connectors?expand=status&expand=info')
    const all = (body ?? {}) as Record<string, ExpandedConnector>
    value = all
    headers = ['NAME', 'TYPE', 'STATE', 'TASKS', 'WORKER']
    rows = Object.keys(all)
      .sort()
      .map((name) => {
        const c = all[name]!
        const tasks = c.status?.tasks ?? []
        const running = tasks.filter((t) => t.state === 'RUNNING').length
        return [
          name,
          c.status?.type ?? c.info?.type ?? '',
          state(run.out, c.status?.connector.state ?? ''),
          `${running}/${tasks.length}`,
          c.status?.connector.worker_id ?? '',
        ]
      })
  } else if (kind === 'plugins') {
    const { body } = await client.get(`/connector-plugins${run.values.all ? '?connectorsOnly=false' : ''}`)
    const plugins = (body ?? []) as Array<{ class: string; type: string; version?: string }>
    value = plugins
    headers = ['CLASS', 'TYPE', 'VERSION']
    rows = plugins.map((p) => [p.class, p.type, p.version ?? ''])
  } else {
    const { body } = await client.get('/admin/loggers')
    const loggers = (body ?? {}) as Record<string, { level: string; last_modified?: number | null }>
    value = loggers
    headers = ['LOGGER', 'LEVEL', 'LAST MODIFIED']
    rows = Object.entries(loggers).map(([name, l]) => [
      name,
      l.level,
      typeof l.last_modified === 'number' ? new Date(l.last_modified).toISOString() : '',
    ])
  }
  if (run.format === 'name') {
    for (const row of rows) run.out.write(`${row[0]}\n`)
  } else answer(run, value, () => table(run.out, headers, rows))
}

interface TaskState {
  id: number
  state: string
  worker_id: string
  trace?: string
}
interface StatusInfo {
  name: string
  connector: { state: string; worker_id: string; trace?: string }
  tasks: TaskState[]
  type: string
}
interface ExpandedConnector {
  status?: StatusInfo
  info?: { name: string; config: Record<string, string>; tasks: unknown[]; type: string }
}

async function describe(run: Run): Promise<void> {
  const [what, name, ...rest] = run.args
  if (KINDS[what ?? ''] !== 'connectors' || !name || rest.length > 0) {
    throw new UsageError('usage: ferry ctl describe connector NAME')
  }
  const client = await run.client()
  const info = (await client.get(connectorPath(name))).body as { config: Record<string, string>; type: string }
  const status = (await client.get(connectorPath(name, 'status'))).body as StatusInfo
  // Offsets are part of the picture, not a reason to fail: an older server without the endpoint, or a connector whose
  // offsets cannot be read now, shows why instead.
  let offsets: Array<{ partition: unknown; offset: unknown }> | null = null
  let offsetsError: string | undefined
  try {
    offsets = ((await client.get(connectorPath(name, 'offsets'))).body as { offsets: typeof offsets }).offsets ?? []
  } catch (e) {
    if (!(e instanceof ServerError)) throw e
    offsetsError = `${e.message} (HTTP ${e.status})`
  }
  const value = {
    name,
    type: status.type ?? info.type,
    connector: status.connector,
    tasks: status.tasks,
    config: info.config,
    offsets,
    ...(offsetsError !== undefined ? { offsets_error: offsetsError } : {}),
  }
  answer(run, value, () => {
    const out = run.out
    const label = (l: string) => paint(out, 'bold', l)
    const lines = [
      `${label('Name:')}       ${name}`,
      `${label('Type:')}       ${value.type}`,
      `${label('State:')}      ${state(out, status.connector.state)}`,
      `${label('Worker ID:')}  ${status.connector.worker_id}`,
    ]
    if (status.connector.trace) lines.push(`${label('Trace:')}`, indent(status.connector.trace, '  '))
    lines.push(label('Config:'))
    const config = Object.keys(info.config)
      .sort()
      .map((k) => [k, info.config[k] ?? ''])
    lines.push(table(out, ['KEY', 'VALUE'], config, '  ').trimEnd())
    lines.push(label('Tasks:'))
    if (status.tasks.length === 0) lines.push('  (none)')
    else {
      const rows = status.tasks.map((t) => [String(t.id), state(out, t.state), t.worker_id])
      lines.push(table(out, ['ID', 'STATE', 'WORKER'], rows, '  ').trimEnd())
      for (const t of status.tasks)
        if (t.trace) lines.push(`  ${label(`Task ${t.id} trace:`)}`, indent(t.trace, '    '))
    }
    lines.push(label('Offsets:'))
    if (offsets === null) lines.push(`  (unavailable: ${offsetsError})`)
    else if (offsets.length === 0) lines.push('  (none)')
    else {
      const rows = offsets.map((o) => [compact(o.partition), compact(o.offset)])
      lines.push(table(out, ['PARTITION', 'OFFSET'], rows, '  ').trimEnd())
    }
    return `${lines.join('\n')}\n`
  })
}

function indent(text: string, pad: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}

async function apply(run: Run): Promise<void> {
  const file = run.values.file
  if (file === undefined || run.args.length > 0) throw new UsageError('usage: ferry ctl apply -f FILE')
  const { name, config } = await readConnectorFile(file)
  const res = await (await run.client()).request('PUT', connectorPath(name, 'config'), config)
  answer(run, res.body, () => `connector ${name} ${res.status === 201 ? 'created' : 'configured'}\n`)
}

async function patch(run: Run): Promise<void> {
  const [name, ...pairs] = run.args
  const unset = run.values.unset ?? []
  if (!name || (pairs.length === 0 && unset.length === 0)) {
    throw new UsageError('usage: ferry ctl patch NAME KEY=VALUE ... [--unset KEY ...]')
  }
  const changes: Record<string, string | null> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`patch: "${pair}" is not KEY=VALUE (use --unset KEY to remove a key)`)
    changes[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  for (const key of unset) changes[key] = null
  const res = await (await run.client()).request('PATCH', connectorPath(name, 'config'), changes)
  answer(run, res.body, () => `connector ${name} patched\n`)
}

async function lifecycle(run: Run, method: string, action: string, done: string): Promise<void> {
  const name = oneName(run, `${action} NAME`)
  await (await run.client()).request(method, connectorPath(name, action))
  run.out.write(`connector ${name} ${done}\n`)
}

async function restart(run: Run): Promise<void> {
  const name = oneName(run, 'restart NAME [--tasks] [--failed] | restart NAME --task ID')
  const { tasks, failed, task } = run.values
  const client = await run.client()
  if (task !== undefined) {
    if (tasks || failed) throw new UsageError('--task restarts one task: it goes without --tasks and --failed')
    if (!/^\d+$/.test(task)) throw new UsageError(`--task ${task} is not a task id (0, 1, ...)`)
    await client.request('POST', connectorPath(name, `tasks/${task}/restart`))
    run.out.write(`task ${name}-${task} restarted\n`)
    return
  }
  const query = [tasks ? 'includeTasks=true' : '', failed ? 'onlyFailed=true' : ''].filter(Boolean).join('&')
  const res = await client.request('POST', `${connectorPath(name, 'restart')}${query ? `?${query}` : ''}`)
  answer(run, res.body, () => {
    const plan = res.body as StatusInfo | null
    if (!plan?.connector) return `connector ${name} restarted\n`
    // KIP-745's plan: what restarts shows RESTARTING.
    const rows = [
      ['connector', state(run.out, plan.connector.state), plan.connector.worker_id],
      ...plan.tasks.map((t) => [`task ${t.id}`, state(run.out, t.state), t.worker_id]),
    ]
    return `connector ${name} restarting\n${table(run.out, ['WHAT', 'STATE', 'WORKER'], rows)}`
  })
}

async function offsets(run: Run): Promise<void> {
  const [action, name, ...rest] = run.args
  const usage = 'usage: ferry ctl offsets get NAME | set NAME (-f FILE | JSON) | reset NAME'
  if (!name) throw new UsageError(usage)
  if (run.values.file !== undefined && action !== 'set') throw new UsageError(`-f applies to offsets set only`)
  if (action === 'get' && rest.length === 0) {
    const { body } = await (await run.client()).get(connectorPath(name, 'offsets'))
    const list = ((body as { offsets?: Array<{ partition: unknown; offset: unknown }> })?.offsets ?? []).map((o) => [
      compact(o.partition),
      compact(o.offset),
    ])
    answer(run, body, () => (list.length === 0 ? 'no offsets\n' : table(run.out, ['PARTITION', 'OFFSET'], list)))
  } else if (action === 'set') {
    const body = await offsetsBody(run.values.file, rest)
    const res = await (await run.client()).request('PATCH', connectorPath(name, 'offsets'), body)
    answer(run, res.body, () => `${messageOf(res.body) ?? `offsets of ${name} set`}\n`)
  } else if (action === 'reset' && rest.length === 0) {
    const res = await (await run.client()).request('DELETE', connectorPath(name, 'offsets'))
    answer(run, res.body, () => `${messageOf(res.body) ?? `offsets of ${name} reset`}\n`)
  } else throw new UsageError(usage)
}

/** `{"offsets":[...]}` from a file or the argument; a bare list of `{"partition","offset"}` is wrapped. */
async function offsetsBody(file: string | undefined, rest: string[]): Promise<unknown> {
  if ((file === undefined) === (rest.length !== 1)) {
    throw new UsageError(
      'usage: ferry ctl offsets set NAME (-f FILE | JSON): give the offsets in a file or as one argument',
    )
  }
  let text: string
  const where = file ?? 'the offsets argument'
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw new UsageError(`cannot read offsets file ${file}: ${(e as Error).message}`)
    }
  } else text = rest[0]!
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`${where} is not valid JSON: ${(e as Error).message}`)
  }
  if (Array.isArray(parsed)) return { offsets: parsed }
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray((parsed as { offsets?: unknown }).offsets)) {
    throw new UsageError(`${where} must be {"offsets":[{"partition":{...},"offset":{...}}, ...]}`)
  }
  return parsed
}

function messageOf(body: unknown): string | undefined {
  const m = (body as { message?: unknown } | null)?.message
  return typeof m === 'string' ? m : undefined
}

async function configCommand(run: Run): Promise<void> {
  const [action, name, ...rest] = run.args
  const file = run.configFile
  const config = await loadConfig(file)
  const contextFlags = (['user', 'password', 'token', 'ca-file', 'insecure', 'cert-file', 'key-file'] as const).filter(
    (f) => run.values[f] !== undefined,
  )
  if (action !== 'set-context' && contextFlags.length > 0) {
    throw new UsageError(`--${contextFlags[0]} applies to config set-context only`)
  }
  const needName = (usage: string) => {
    if (!name || rest.length > 0) throw new UsageError(`usage: ferry ctl config ${usage}`)
    return name
  }
  switch (action) {
    case 'set-context': {
      const n = needName(
        'set-context NAME [--url URL] [--user USER --password PASSWORD | --token TOKEN] [--ca-file PEM] [--insecure] [--cert-file PEM --key-file PEM]',
      )
      const v = run.values
      const next: Record<string, unknown> = { ...(config.contexts[n] ?? {}) }
      if (v.url !== undefined) next.url = v.url
      // Auth given replaces the auth there was: basic and bearer exclude each other.
      if (v.user !== undefined || v.password !== undefined || v.token !== undefined) {
        delete next.user
        delete next.password
        delete next.token
        if (v.user !== undefined) next.user = v.user
        if (v.password !== undefined) next.password = v.password
        if (v.token !== undefined) next.token = v.token
      }
      if (v['ca-file'] !== undefined) next['ca-file'] = v['ca-file']
      if (v.insecure !== undefined) next.insecure = v.insecure
      if (v['cert-file'] !== undefined) next['cert-file'] = v['cert-file']
      if (v['key-file'] !== undefined) next['key-file'] = v['key-file']
      config.contexts[n] = checkContext(next, `context "${n}"`)
      const created = config['current-context'] === undefined
      if (created) config['current-context'] = n
      await saveConfig(file, config)
      run.out.write(`context ${n} saved in ${file}${created ? ' (now the current context)' : ''}\n`)
      return
    }
    case 'use-context': {
      const n = needName('use-context NAME')
      if (!config.contexts[n]) throw new UsageError(`no context "${n}" in ${file}`)
      config['current-context'] = n
      await saveConfig(file, config)
      run.out.write(`current context: ${n}\n`)
      return
    }
    case 'delete-context': {
      const n = needName('delete-context NAME')
      if (!config.contexts[n]) throw new UsageError(`no context "${n}" in ${file}`)
      delete config.contexts[n]
      if (config['current-context'] === n) delete config['current-context']
      await saveConfig(file, config)
      run.out.write(`context ${n} deleted\n`)
      return
    }
    case 'current-context': {
      if (name !== undefined) throw new UsageError('usage: ferry ctl config current-context')
      const current = config['current-context']
      if (current === undefined) throw new UsageError(`no current context in ${file}`)
      run.out.write(`${current}\n`)
      return
    }
    case 'get-contexts': {
      if (name !== undefined) throw new UsageError('usage: ferry ctl config get-contexts')
      const names = Object.keys(config.contexts).sort()
      if (run.format === 'name') {
        for (const n of names) run.out.write(`${n}\n`)
        return
      }
      // Passwords and tokens stay in the file: only their kind is shown.
      const shown = names.map((n) => ({
        name: n,
        current: n === config['current-context'],
        ...describeContext(config.contexts[n]!),
      }))
      answer(run, shown, () =>
        table(
          run.out,
          ['CURRENT', 'NAME', 'URL', 'AUTH', 'TLS'],
          shown.map((c) => [c.current ? '*' : '', c.name, c.url, c.auth, c.tls]),
        ),
      )
      return
    }
    default:
      throw new UsageError(
        'usage: ferry ctl config set-context|use-context|delete-context|get-contexts|current-context',
      )
  }
}

function describeContext(c: Context): { url: string; auth: string; tls: string } {
  const auth = c.user !== undefined ? `basic (${c.user})` : c.token !== undefined ? 'bearer' : 'none'
  const tls = [
    c.insecure ? 'insecure' : c['ca-file'] ? `ca-file ${c['ca-file']}` : '',
    c['cert-file'] ? `cert-file ${c['cert-file']}` : '',
  ]
    .filter(Boolean)
    .join(', ')
  return { url: c.url, auth, tls }
}

const COMMAND_WORDS = [
  'get',
  'describe',
  'apply',
  'patch',
  'pause',
  'resume',
  'stop',
  'restart',
  'delete',
  'offsets',
  'config',
  'completion',
]
const NAMED = new Set(['patch', 'pause', 'resume', 'stop', 'restart', 'delete'])

/**
 * Candidates for the last word of `words` (the words after `ferry ctl`, the last one being typed), one per line.
 * Connector and context names are looked up; a server that does not answer gives none.
 */
async function complete(words: string[], io: CtlIO): Promise<string> {
  const current = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const prev = before.at(-1)
  const positional: string[] = []
  const flags: Record<string, string> = {}
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!
    const opt = Object.entries(OPTIONS).find(([n, o]) => w === `--${n}` || ('short' in o && w === `-${o.short}`))
    if (opt && opt[1].type === 'string') {
      flags[opt[0]] = before[i + 1] ?? ''
      i++
    } else if (!w.startsWith('-')) positional.push(w)
  }
  const contexts = async () =>
    Object.keys((await loadConfig(configPath(io.env)).catch(() => ({ contexts: {} }))).contexts)
  const connectors = async () => {
    try {
      const config = await loadConfig(configPath(io.env))
      const { context } = resolveContext(config, configPath(io.env), {
        ...(flags.context ? { context: flags.context } : {}),
        ...(flags.url ? { url: flags.url } : {}),
      })
      return ((await new ConnectClient(context).get('/connectors')).body as string[]) ?? []
    } catch {
      return []
    }
  }
  let candidates: string[] = []
  if (prev === '-o' || prev === '--output') candidates = [...OUTPUT_FORMATS]
  else if (prev === '--context') candidates = await contexts()
  else if (['-f', '--file', '--ca-file', '--cert-file', '--key-file'].includes(prev ?? '')) candidates = []
  else if (current.startsWith('-')) {
    const command = positional[0]
    const names = [...GLOBAL, ...(command ? (COMMAND_OPTIONS[command] ?? []) : [])]
    candidates = names.map((n) => `--${n}`)
  } else {
    const [command, first] = positional
    const at = positional.length
    if (at === 0) candidates = COMMAND_WORDS
    else if (command === 'get' && at === 1) candidates = ['connectors', 'plugins', 'loggers']
    else if (command === 'describe' && at === 1) candidates = ['connector']
    else if (command === 'describe' && at === 2) candidates = await connectors()
    else if (NAMED.has(command!) && at === 1) candidates = await connectors()
    else if (command === 'offsets' && at === 1) candidates = ['get', 'set', 'reset']
    else if (command === 'offsets' && at === 2) candidates = await connectors()
    else if (command === 'config' && at === 1) {
      candidates = ['set-context', 'use-context', 'delete-context', 'get-contexts', 'current-context']
    } else if (command === 'config' && at === 2 && /^(set|use|delete)-context$/.test(first ?? '')) {
      candidates = await contexts()
    } else if (command === 'completion' && at === 1) candidates = [...SHELLS]
  }
  const matching = candidates.filter((c) => c.startsWith(current))
  return matching.length === 0 ? '' : `${matching.join('\n')}\n`
}
