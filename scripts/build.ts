/**
 * `npm run build`: Ferry's packages as npm would install them. The repository runs its TypeScript directly (Node
 * strips the types); an installed package must ship JavaScript, as Node does not strip types under node_modules.
 *
 * - the published packages are @ferry/cli, @ferry/testing (the kit plugin authors test with) and the @ferry packages
 *   they depend on (directly or not); `tsc` compiles their `src/` to JavaScript and `.d.ts` in `dist/tsc/`;
 * - `dist/packages/<name>/` is each package as it is published: its package.json (exports, `bin` and the `ferry`
 *   plugin manifest pointing at the `.js` files, typings beside them, no devDependencies), `src/` compiled, `bin/`;
 * - `dist/packages/ferry/` is the `ferry` command with Ferry's own packages bundled (bundleDependencies): one tarball
 *   that installs with `npm i -g ./ferry-<version>.tgz`, taking only third-party dependencies from the registry.
 *
 * `npm run build -- --pack` then runs `npm pack` on each into `dist/` (`ferry-<v>.tgz`, `ferry-api-<v>.tgz`, ...).
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')

interface PackageJson {
  name: string
  version: string
  exports?: Record<string, string | Record<string, string>>
  bin?: Record<string, string>
  ferry?: { plugins: string }
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  [key: string]: unknown
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}

const toJs = (path: string) => path.replace(/\.ts$/, '.js')

/** The package.json a package is published with: JavaScript entry points with their typings, no dev dependencies. */
function publishedManifest(source: PackageJson): PackageJson {
  const { devDependencies: _dev, ...out } = source
  if (source.exports) {
    out.exports = Object.fromEntries(
      Object.entries(source.exports).map(([key, target]) =>
        typeof target === 'string' && target.endsWith('.ts')
          ? [key, { types: target.replace(/\.ts$/, '.d.ts'), default: toJs(target) }]
          : [key, target],
      ),
    )
  }
  if (source.ferry) out.ferry = { ...source.ferry, plugins: toJs(source.ferry.plugins) }
  return out
}

function stage(dist: string, dir: string): PackageJson {
  const from = join(root, 'packages', dir)
  const to = join(dist, 'packages', dir)
  mkdirSync(to, { recursive: true })
  cpSync(join(dist, 'tsc', dir, 'src'), join(to, 'src'), { recursive: true })
  // Files beside the sources that tsc does not emit (the web UI's HTML, CSS and browser scripts) go along as they are.
  cpSync(join(from, 'src'), join(to, 'src'), {
    recursive: true,
    filter: (path) => !path.endsWith('.ts') || !statSync(path).isFile(),
  })
  if (existsSync(join(from, 'bin'))) cpSync(join(from, 'bin'), join(to, 'bin'), { recursive: true })
  const manifest = publishedManifest(readJson(join(from, 'package.json')))
  writeJson(join(to, 'package.json'), manifest)
  return manifest
}

/** `ferry`: the CLI with every @ferry package it needs bundled; their third-party dependencies become its own. */
function bundle(dist: string, manifests: Map<string, PackageJson>): string {
  const cli = manifests.get('cli')!
  const inBundle = publishedPackages(['@ferry/cli'])
  const to = join(dist, 'packages', 'ferry')
  cpSync(join(dist, 'packages', 'cli'), to, { recursive: true })
  const bundled: string[] = []
  const dependencies: Record<string, string> = {}
  for (const [dir, manifest] of manifests) {
    if (dir === 'cli' || !inBundle.has(dir)) continue
    bundled.push(manifest.name)
    cpSync(join(dist, 'packages', dir), join(to, 'node_modules', manifest.name), { recursive: true })
  }
  for (const [dir, manifest] of manifests) {
    if (!inBundle.has(dir)) continue
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) dependencies[name] = range
  }
  cpSync(join(root, 'README.md'), join(to, 'README.md'))
  const { exports: _exports, ...rest } = cli
  writeJson(join(to, 'package.json'), {
    ...rest,
    name: 'ferry',
    description: 'Apache Kafka Connect, rebuilt in TypeScript on Node.js',
    exports: cli.exports,
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1))),
    bundleDependencies: bundled.sort(),
  })
  return to
}

/** Workspace packages by name: their folder under packages/ and package.json. */
function workspaces(): Map<string, { dir: string; manifest: PackageJson }> {
  const out = new Map<string, { dir: string; manifest: PackageJson }>()
  const visit = (dir: string) => {
    const file = join(root, 'packages', dir, 'package.json')
    if (existsSync(file)) {
      const manifest = readJson(file)
      out.set(manifest.name, { dir, manifest })
    }
  }
  for (const name of readdirSync(join(root, 'packages'))) visit(name)
  for (const name of readdirSync(join(root, 'packages', 'connectors'))) visit(`connectors/${name}`)
  return out
}

/** The `roots` and every workspace package they depend on, directly or not: folder → package.json. */
export function publishedPackages(
  roots: readonly string[] = ['@ferry/cli', '@ferry/testing'],
): Map<string, PackageJson> {
  const all = workspaces()
  const out = new Map<string, PackageJson>()
  const add = (name: string) => {
    const ws = all.get(name)
    if (!ws || out.has(ws.dir)) return
    out.set(ws.dir, ws.manifest)
    for (const dep of Object.keys(ws.manifest.dependencies ?? {})) add(dep)
  }
  for (const root of roots) add(root)
  return out
}

/** Compiles and stages the published packages and the bundle in `dist` (emptied first); their package.json by folder. */
export function build(dist = join(root, 'dist')): Map<string, PackageJson> {
  rmSync(dist, { recursive: true, force: true })
  mkdirSync(dist, { recursive: true })
  const published = publishedPackages()
  writeJson(join(dist, 'tsconfig.build.json'), {
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false,
      declaration: true,
      rootDir: join(root, 'packages'),
      outDir: 'tsc',
      typeRoots: [join(root, 'node_modules/@types')],
    },
    include: [...published.keys()].map((dir) => join(root, 'packages', dir, 'src/**/*.ts')),
  })
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dist, 'tsconfig.build.json')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
  const manifests = new Map<string, PackageJson>()
  for (const dir of published.keys()) manifests.set(dir, stage(dist, dir))
  bundle(dist, manifests)
  return manifests
}

/**
 * Packs the staged packages and the `ferry` bundle of a build in `dist` (only those named in `only`, when given); returns the
 * tarball paths by package name.
 */
export function pack(
  manifests: Map<string, PackageJson>,
  only?: readonly string[],
  dist = join(root, 'dist'),
): Map<string, string> {
  const out = new Map<string, string>()
  const dirs: Array<[string, string]> = [...manifests].map(([dir, m]) => [m.name, join(dist, 'packages', dir)])
  dirs.push(['ferry', join(dist, 'packages', 'ferry')])
  for (const [name, dir] of dirs) {
    if (only && !only.includes(name)) continue
    const result = execFileSync('npm', ['pack', '--json', '--pack-destination', dist], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    })
    const [info] = JSON.parse(result) as Array<{ filename: string }>
    out.set(name, join(dist, info!.filename))
  }
  return out
}

if (import.meta.main) {
  const manifests = build()
  if (process.argv.includes('--pack')) {
    for (const [name, tarball] of pack(manifests)) process.stdout.write(`${name}\t${tarball}\n`)
  } else {
    process.stdout.write(`Built ${manifests.size} packages and the ferry bundle in dist/packages\n`)
  }
}
