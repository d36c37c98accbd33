/**
 * Plugin packages for the end-to-end plugin tests, made the way a third party makes them: the example connector in
 * examples/counter-connector packed with `npm pack` (and a copy of it as version 2.0.0), and small transformation
 * packages generated here, each depending on its own major of one local library.
 */
import { execFile } from 'node:child_process'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { writeFiles, writePluginPackage } from '@ferry/testing'

const run = promisify(execFile)

export const EXAMPLE_DIR = join(import.meta.dirname, '../../examples/counter-connector')
export const COUNTER_CLASS = 'com.example.counter.CounterSourceConnector'

/** `npm pack` of a package folder into `dest`; the tarball's path. */
export async function npmPack(dir: string, dest: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], {
    cwd: dir,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  })
  const [info] = JSON.parse(stdout) as Array<{ filename: string }>
  return join(dest, info!.filename)
}

/** The example connector packed as it is (1.2.0), and a copy packed as `version`. */
export async function packExample(dir: string, version?: string): Promise<string> {
  if (version === undefined) return npmPack(EXAMPLE_DIR, dir)
  const copy = join(dir, `counter-${version}`)
  await cp(EXAMPLE_DIR, copy, { recursive: true })
  const manifest = JSON.parse(await readFile(join(copy, 'package.json'), 'utf8'))
  await writeFile(join(copy, 'package.json'), JSON.stringify({ ...manifest, version }, null, 2))
  return npmPack(copy, dir)
}

/**
 * Two transformation packages, `ferry-tag-one` and `ferry-tag-two` (classes `com.example.TagOne`, `com.example.TagTwo`),
 * that append `|one:<tag>` and `|two:<tag>` to a STRING value, where the tag comes from the `tagger` library: version
 * 1.0.0 for one, 2.0.0 for the other (local folders, no registry). `ferry-tag-one` also has a config provider,
 * `com.example.TagConfigProvider`, whose values are their keys. Their folders, to install.
 */
export async function taggerPlugins(dir: string): Promise<{ one: string; two: string }> {
  const lib = (major: number) =>
    writeFiles(join(dir, `tagger-${major}`), {
      'package.json': { name: 'tagger', version: `${major}.0.0`, type: 'module', exports: './index.js' },
      'index.js': `export function tag() { return 'tagger v${major}' }\n`,
    })
  const plugin = async (suffix: 'one' | 'two', className: string, libDir: string) =>
    writePluginPackage(
      join(dir, `ferry-tag-${suffix}`),
      `ferry-tag-${suffix}`,
      `import { ConfigDef } from '@ferry/api'
import { tag } from 'tagger'
class Tag {
  configure() {}
  config() { return new ConfigDef() }
  apply(r) {
    return r.newRecord(r.topic, r.kafkaPartition, r.keySchema, r.key, r.valueSchema, r.value + '|${suffix}:' + tag(), r.timestamp)
  }
  close() {}
}
export const plugins = [{ className: '${className}', kind: ['transformation'], create: () => new Tag() }]
${
  suffix === 'one'
    ? `// A config provider whose values are their keys: \${tag:any:50} is 50.
class Echo {
  configure() {}
  get(_path, keys) { return { data: Object.fromEntries([...keys].map((k) => [k, k])) } }
}
plugins.push({ className: 'com.example.TagConfigProvider', kind: ['config_provider'], params: {}, create: () => new Echo() })
`
    : ''
}`,
      { license: 'Apache-2.0', author: 'Tag Team', dependencies: { tagger: `file:${libDir}` } },
    )
  return {
    one: await plugin('one', 'com.example.TagOne', await lib(1)),
    two: await plugin('two', 'com.example.TagTwo', await lib(2)),
  }
}

/** A package folder with a plugin manifest whose plugins module does not parse. */
export function brokenPlugin(dir: string): Promise<string> {
  return writeFiles(dir, {
    'package.json': {
      name: 'ferry-broken-plugin',
      version: '0.0.1',
      type: 'module',
      ferry: { plugins: './plugins.js' },
    },
    'plugins.js': 'export const plugins = [ {\n',
  })
}

/** A package folder without a plugin manifest. */
export function notAPlugin(dir: string): Promise<string> {
  return writeFiles(dir, {
    'package.json': { name: 'left-pad-ish', version: '1.0.0', type: 'module' },
    'index.js': 'export const x = 1\n',
  })
}
