/**
 * `ferry plugins list | install | remove`: what a worker can run and where it comes from, and managing the plugin
 * packages in a `plugin.path` directory. Installing is npm's job (`npm install` into a folder of its own per package
 * version, so each keeps its own dependencies and versions sit side by side); Ferry checks that the result is a
 * plugin package that loads, and shows its licence, author and plugins.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { PLUGIN_KINDS } from '@ferry/api'
import {
  BUILT_IN,
  loadPlugins,
  type PluginPackageInfo,
  type PluginRegistry,
  parseProperties,
  pluginVersion,
  readPluginPackage,
  scanPluginPath,
} from '@ferry/runtime'
import { UsageError } from './errors.ts'
import { workerPlugins } from './plugins.ts'

export const PLUGINS_USAGE = `Usage: ferry plugins [list] [--plugin-path DIR[,DIR...] | --worker-config FILE]
       ferry plugins install <npm spec | tarball | folder> (--plugin-path DIR | --worker-config FILE)
       ferry plugins remove <package>[@version] (--plugin-path DIR | --worker-config FILE)

  list     Every plugin this Ferry can run: kind, class, version, licence and where it comes from (built-in,
           beside Ferry, or a plugin.path directory), then the packages that failed to load and why.
  install  Installs a plugin package with npm into its own folder in plugin.path (the first entry of the worker
           config's plugin.path), prints its name, version, licence, author and plugins. A package without a
           Ferry plugin manifest (a "ferry" field in its package.json), or one that does not load, is refused.
  remove   Removes an installed plugin package (every version, or the one named).

  --plugin-path DIR      plugin.path directories, comma-separated
  --worker-config FILE   take plugin.path from a worker config file
`

interface Options {
  positional: string[]
  pluginPath: string[] | null
}

/** The worker config's `plugin.path` entries: comma-separated, relative ones resolved from the current directory. */
export function pluginPathOf(props: Readonly<Record<string, string>>): string[] {
  return (props['plugin.path'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolve(p))
}

async function parseOptions(args: string[]): Promise<Options> {
  const out: Options = { positional: [], pluginPath: null }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined]
    const value = () => {
      const v = inline ?? args[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value. Run ferry plugins --help.`)
      return v
    }
    if (flag === '--plugin-path') out.pluginPath = pluginPathOf({ 'plugin.path': value() })
    else if (flag === '--worker-config') {
      const file = value()
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (e) {
        throw new UsageError(`cannot read worker config file ${file}: ${(e as Error).message}`)
      }
      out.pluginPath = pluginPathOf(parseProperties(text))
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}. Run ferry plugins --help.`)
    else out.positional.push(arg)
  }
  return out
}

export async function pluginsCommand(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(PLUGINS_USAGE)
    return 0
  }
  const sub = args[0] && !args[0].startsWith('-') ? args[0] : 'list'
  const options = await parseOptions(sub === args[0] ? args.slice(1) : args)
  switch (sub) {
    case 'list':
      if (options.positional.length > 0) throw new UsageError(`ferry plugins list takes no arguments`)
      process.stdout.write(listing(await workerPlugins(options.pluginPath ?? [])))
      return 0
    case 'install':
      return await install(options)
    case 'remove':
      return await remove(options)
    default:
      throw new UsageError(`unknown plugins command '${sub}'. Run ferry plugins --help.`)
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`).join('')
}

function from(info: PluginPackageInfo | undefined): string {
  if (!info) return BUILT_IN
  return info.location === BUILT_IN ? BUILT_IN : `${info.location} (${info.name})`
}

/** The `ferry plugins list` text: one row per plugin and kind, then the broken packages. */
export function listing(registry: PluginRegistry): string {
  const rows = [['KIND', 'CLASS', 'VERSION', 'LICENCE', 'FROM']]
  for (const kind of PLUGIN_KINDS) {
    const plugins = registry
      .plugins(kind)
      .sort((a, b) => (a.className < b.className ? -1 : a.className > b.className ? 1 : 0))
    for (const p of plugins) {
      const info = registry.packageOf(p)
      rows.push([kind, p.className, pluginVersion(p) ?? 'undefined', info?.license ?? 'none', from(info)])
    }
  }
  let out = table(rows)
  const broken = registry.broken()
  if (broken.length > 0) {
    out += `\nBroken plugin packages (not loaded):\n`
    for (const b of broken) out += `  ${b.name}${b.version ? ` ${b.version}` : ''} in ${b.location}: ${b.reason}\n`
  }
  return out
}

function runNpm(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.on('error', (e) => reject(new UsageError(`cannot run npm: ${e.message}`)))
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }))
  })
}

function targetDir(options: Options, what: string): string {
  const dir = options.pluginPath?.[0]
  if (!dir) {
    throw new UsageError(`ferry plugins ${what} needs a plugin.path: --plugin-path DIR or --worker-config FILE`)
  }
  return dir
}

/** The folder name an installed package version gets in plugin.path. */
function folderName(name: string, version: string): string {
  return `${name.replace('/', '+')}@${version}`
}

/** A local tarball or folder is given to npm as an absolute path, so the install folder does not change its meaning. */
function npmSpec(spec: string): string {
  const looksLocal = spec.startsWith('.') || isAbsolute(spec) || spec.endsWith('.tgz') || spec.endsWith('.tar.gz')
  return looksLocal && existsSync(spec) ? resolve(spec) : spec
}

async function install(options: Options): Promise<number> {
  if (options.positional.length !== 1) {
    throw new UsageError('ferry plugins install takes one npm spec, tarball or folder. Run ferry plugins --help.')
  }
  const spec = options.positional[0]!
  const dir = targetDir(options, 'install')
  await mkdir(dir, { recursive: true })
  const staging = await mkdtemp(join(dir, '.installing-'))
  try {
    await writeFile(join(staging, 'package.json'), '{ "private": true }\n')
    // --install-links copies a local folder instead of linking it; a plugin's @ferry/api peer comes from the worker.
    const npm = await runNpm([
      'install',
      '--prefix',
      staging,
      '--install-links',
      '--legacy-peer-deps',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      npmSpec(spec),
    ])
    if (npm.code !== 0) {
      const lines = npm.output.trim().split('\n')
      const reason =
        lines
          .filter((l) => /npm (error|ERR!)/.test(l))
          .slice(0, 3)
          .join(' ') || lines.at(-1)
      throw new UsageError(`npm could not install ${spec}: ${reason}`)
    }
    const manifest = JSON.parse(await readFile(join(staging, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
    }
    const name = Object.keys(manifest.dependencies ?? {})[0]
    if (!name) throw new UsageError(`npm installed nothing for ${spec}`)
    const pkg = readPluginPackage(join(staging, 'node_modules', name))
    if (pkg === null) {
      const { version } = JSON.parse(await readFile(join(staging, 'node_modules', name, 'package.json'), 'utf8'))
      throw new UsageError(
        `${name} ${version} is not a Ferry plugin package: its package.json has no "ferry" field naming the module that exports its plugins (see docs/plugins.md). Nothing was installed.`,
      )
    }
    const registry = await loadPlugins({ pluginPath: [staging] })
    const broken = registry.broken()[0]
    if (broken)
      throw new UsageError(`${pkg.name} ${pkg.version} does not load: ${broken.reason}. Nothing was installed.`)
    const final = join(dir, folderName(pkg.name, pkg.version))
    await rm(final, { recursive: true, force: true })
    await rename(staging, final)
    const plugins = registry.plugins()
    process.stdout.write(
      `Installed ${pkg.name} ${pkg.version} into ${final}\n` +
        `  licence: ${pkg.license ?? 'none declared'}\n` +
        `  author:  ${pkg.author ?? 'none declared'}\n` +
        `  plugins:\n` +
        table(plugins.map((p) => [`    ${p.kind.join(',')}`, p.className, pluginVersion(p) ?? 'undefined'])),
    )
    return 0
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

async function remove(options: Options): Promise<number> {
  if (options.positional.length !== 1) {
    throw new UsageError('ferry plugins remove takes one package name, optionally with @version')
  }
  const arg = options.positional[0]!
  const at = arg.lastIndexOf('@')
  const [name, version] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, null]
  const entries = options.pluginPath ?? []
  targetDir(options, 'remove')
  let removed = 0
  for (const candidate of scanPluginPath(entries)) {
    let pkg: ReturnType<typeof readPluginPackage>
    try {
      pkg = readPluginPackage(candidate.dir)
    } catch {
      continue
    }
    if (!pkg || pkg.name !== name || (version !== null && pkg.version !== version)) continue
    const [first, second] = relative(candidate.location, candidate.dir).split(sep)
    if (first === 'node_modules') {
      // A node_modules tree that npm manages: npm takes it out.
      const npm = await runNpm(['uninstall', '--prefix', candidate.location, '--no-audit', '--no-fund', name])
      if (npm.code !== 0) throw new UsageError(`npm could not remove ${name}: ${npm.output.trim().split('\n').at(-1)}`)
    } else {
      await rm(join(candidate.location, first!.startsWith('@') ? join(first!, second!) : first!), {
        recursive: true,
        force: true,
      })
    }
    process.stdout.write(`Removed ${pkg.name} ${pkg.version} from ${candidate.location}\n`)
    removed++
  }
  if (removed === 0) {
    throw new UsageError(`no plugin package ${arg} in plugin.path ${entries.join(',')}`)
  }
  return 0
}
