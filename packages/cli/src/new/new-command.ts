/**
 * `ferry new connector NAME`: writes a plugin package to start from (see templates.ts), ready to `npm install`,
 * test, pack and `ferry plugins install`. `npm init ferry-connector NAME` runs the same code.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { API_VERSION } from '@ferry/api'
import { UsageError } from '../errors.ts'
import { type ScaffoldNames, scaffoldFiles, tarballName } from './templates.ts'

export const NEW_USAGE = `Usage: ferry new connector <name> [--dir DIR] [--class-package PACKAGE]

  Writes a TypeScript plugin package with a source and a sink connector, their tests (the connector
  conformance suite of @ferry/testing and in-process runs with real converters and transforms), a
  README and the "ferry" plugin manifest in package.json.

  <name>                   the npm package name, e.g. acme-connector or @acme/kafka-connector
  --dir DIR                where to write it (default: ./<name without its scope>); must be empty or missing
  --class-package PACKAGE  the dotted prefix of the class names configs use (default: com.example.<name>)
`

/** npm's rules for a new package name (lower case, URL-safe, at most 214 characters). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/
const CLASS_PACKAGE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/

/** The names the templates use, from the package name (and an explicit class package). */
export function scaffoldNames(packageName: string, classPackage?: string): ScaffoldNames {
  if (!PACKAGE_NAME.test(packageName) || packageName.length > 214) {
    throw new UsageError(
      `'${packageName}' is not a valid npm package name: use lower case letters, digits, '-', '.' and '_', optionally with an @scope/ (e.g. acme-connector)`,
    )
  }
  const unscoped = packageName.replace(/^@[^/]+\//, '')
  const stem = unscoped.replace(/^(ferry|kafka-connect)-/, '').replace(/-(connector|connectors|plugin)$/, '')
  const words = stem.split(/[^a-zA-Z0-9]+/).filter(Boolean)
  let pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
  if (!/^[A-Za-z]/.test(pascal)) pascal = `My${pascal}`
  const pkg = classPackage ?? `com.example.${pascal.toLowerCase()}`
  if (!CLASS_PACKAGE.test(pkg)) {
    throw new UsageError(`--class-package '${pkg}' is not a dotted class package name (e.g. com.acme.kafka)`)
  }
  return { packageName, pascal, classPackage: pkg, apiRange: `^${API_VERSION}` }
}

/** Writes the package for `names` into `dir` (which must be missing or empty); the files written, relative to it. */
export async function scaffold(dir: string, names: ScaffoldNames): Promise<string[]> {
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new UsageError(`${dir} exists and is not empty: choose another folder with --dir`)
  }
  const files = scaffoldFiles(names)
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  }
  return Object.keys(files)
}

export async function newCommand(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(NEW_USAGE)
    return 0
  }
  const positional: string[] = []
  let dir: string | undefined
  let classPackage: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined]
    const value = () => {
      const v = inline ?? args[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value. Run ferry new --help.`)
      return v
    }
    if (flag === '--dir') dir = value()
    else if (flag === '--class-package') classPackage = value()
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}. Run ferry new --help.`)
    else positional.push(arg)
  }
  const [what, name, ...extra] = positional
  if (what !== 'connector') {
    throw new UsageError(
      what === undefined
        ? 'ferry new needs what to create: ferry new connector <name>'
        : `ferry new can create a connector, not '${what}': ferry new connector <name>`,
    )
  }
  if (name === undefined)
    throw new UsageError('ferry new connector needs a package name, e.g. ferry new connector acme-connector')
  if (extra.length > 0) throw new UsageError(`ferry new connector takes one name, not also ${extra.join(' ')}`)
  const names = scaffoldNames(name, classPackage)
  const target = resolve(dir ?? name.replace(/^@[^/]+\//, ''))
  const files = await scaffold(target, names)
  const shown = relative(process.cwd(), target) || '.'
  process.stdout.write(
    `Created ${name} in ${target}: ${files.length} files\n` +
      `  source: ${names.classPackage}.${names.pascal}SourceConnector\n` +
      `  sink:   ${names.classPackage}.${names.pascal}SinkConnector\n\n` +
      `Next:\n` +
      `  cd ${shown}\n` +
      `  npm install\n` +
      `  npm test\n` +
      `  npm pack\n` +
      `  ferry plugins install ./${tarballName(name)} --plugin-path <your plugin.path>\n`,
  )
  return 0
}
