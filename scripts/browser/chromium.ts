/**
 * Debian's Chromium for the browser tests, headless.
 *
 * `FERRY_CHROMIUM` names a Chromium binary to use; else `/usr/bin/chromium` when the `chromium` package is installed;
 * else the `chromium` package and the libraries it needs that the machine lacks are fetched once with
 * `apt-get download` (the machine's configured Debian archive; as root, `apt-get update` first when it has no package
 * lists) and unpacked with `dpkg-deb -x` into `.cache/chromium/<version>/`, the way the Kafka harness caches its jars
 * (a lock dir, a temp dir renamed into place, a marker file), and run from there with the unpacked libraries on
 * `LD_LIBRARY_PATH`.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { promisify } from 'node:util'
import { acquireLock, REPO_ROOT } from '../kafka/harness.ts'

const exec = promisify(execFile)
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'chromium')
const MARKER = '.complete'
const SYSTEM_CHROMIUM = '/usr/bin/chromium'

/** How to start Chromium: the binary and the environment it needs. */
export interface ChromiumInstall {
  executablePath: string
  env: Record<string, string>
}

/**
 * Flags for a headless Chromium on a machine without a display or network (as root it needs `--no-sandbox`;
 * background networking would only try to reach Google's hosts).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

/** Finds or fetches Chromium; throws one readable line when it cannot. */
export async function ensureChromium(): Promise<ChromiumInstall> {
  const given = process.env.FERRY_CHROMIUM
  if (given) {
    if (!existsSync(given)) throw new Error(`FERRY_CHROMIUM=${given}: no such file`)
    return { executablePath: given, env: {} }
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, env: {} }
  return fetchChromium()
}

/**
 * `apt-get install --simulate`: the packages (name=version) that installing Chromium would add to this machine. A
 * fresh machine may have no package lists yet: as root, `apt-get update` runs once and the question is asked again.
 */
async function missingPackages(): Promise<string[]> {
  const first = await simulateInstall()
  if (first.packages.length > 0) return first.packages
  if (process.getuid?.() === 0) {
    process.stderr.write('apt-get knows no chromium package yet: running apt-get update (one time)...\n')
    await exec('apt-get', ['update', '-qq'], { env: aptEnv() }).catch(() => undefined)
    const second = await simulateInstall()
    if (second.packages.length > 0) return second.packages
    throw new Error(`Chromium is needed for the browser tests and apt-get cannot find the package: ${second.reason}`)
  }
  throw new Error(
    `Chromium is needed for the browser tests and apt-get cannot find the package (run apt-get update once, or set FERRY_CHROMIUM): ${first.reason}`,
  )
}

async function simulateInstall(): Promise<{ packages: string[]; reason: string }> {
  let out: string
  try {
    out = (await exec('apt-get', ['install', '--simulate', '--no-install-recommends', 'chromium'], { env: aptEnv() }))
      .stdout
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string }
    if (err.code === 'ENOENT') {
      throw new Error(
        'Chromium is needed for the browser tests: apt-get is missing (not Debian?); set FERRY_CHROMIUM to a Chromium binary',
      )
    }
    return { packages: [], reason: (err.stderr ?? err.message).trim().split('\n').pop() ?? '' }
  }
  const packages: string[] = []
  for (const line of out.split('\n')) {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(line)
    if (m) packages.push(`${m[1]}=${m[2]}`)
  }
  if (!packages.some((p) => p.startsWith('chromium='))) return { packages: [], reason: 'no chromium package to fetch' }
  return { packages, reason: '' }
}

function aptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C' }
}

async function fetchChromium(): Promise<ChromiumInstall> {
  const packages = await missingPackages()
  const version = packages.find((p) => p.startsWith('chromium='))!.slice('chromium='.length)
  const dir = join(CACHE_ROOT, version.replace(/[^0-9A-Za-z.+-]/g, '_'))
  const root = join(dir, 'root')
  if (existsSync(join(dir, MARKER))) return installAt(root)
  await mkdir(CACHE_ROOT, { recursive: true })
  const release = await acquireLock(`${dir}.lock`, () => existsSync(join(dir, MARKER)), 'Chromium')
  if (!release) return installAt(root)
  const tmp = join(CACHE_ROOT, `tmp-${process.pid}`)
  try {
    if (existsSync(join(dir, MARKER))) return installAt(root)
    await rm(tmp, { recursive: true, force: true })
    await mkdir(join(tmp, 'debs'), { recursive: true })
    process.stderr.write(
      `Fetching Debian's chromium ${version} and ${packages.length - 1} libraries into ${relative(process.cwd(), dir)} (one time)...\n`,
    )
    const started = Date.now()
    try {
      await exec('apt-get', ['download', ...packages], { cwd: join(tmp, 'debs'), env: aptEnv() })
    } catch (e) {
      const err = e as { stderr?: string; message: string }
      throw new Error(`apt-get download chromium failed: ${(err.stderr ?? err.message).trim().split('\n').pop()}`)
    }
    for (const deb of await readdir(join(tmp, 'debs'))) {
      await exec('dpkg-deb', ['-x', join(tmp, 'debs', deb), join(tmp, 'root')])
    }
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await rename(join(tmp, 'root'), root)
    await writeFile(join(dir, MARKER), `${packages.join('\n')}\n`)
    process.stderr.write(`Fetched Chromium in ${((Date.now() - started) / 1000).toFixed(1)}s.\n`)
    return installAt(root)
  } finally {
    await rm(tmp, { recursive: true, force: true })
    await release()
  }
}

/** The unpacked Chromium under `root`, with its libraries' folders on `LD_LIBRARY_PATH`. */
function installAt(root: string): ChromiumInstall {
  const executablePath = join(root, 'usr/lib/chromium/chromium')
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: remove ${root} and run again`)
  // Every unpacked folder that holds shared libraries (some sit in subfolders, e.g. pulseaudio/).
  const libs = new Set<string>()
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (/\.so(\.|$)/.test(file)) libs.add(join(root, dirname(file)))
  }
  const inherited = process.env.LD_LIBRARY_PATH
  return {
    executablePath,
    env: { LD_LIBRARY_PATH: [...libs, ...(inherited ? [inherited] : [])].join(':') },
  }
}

if (import.meta.main) {
  const install = await ensureChromium()
  process.stdout.write(`${install.executablePath}\n`)
}
