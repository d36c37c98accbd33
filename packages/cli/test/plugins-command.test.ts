import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { runFerry, tempDir, writeFiles } from '@ferry/testing'

test('ferry plugins lists the built-ins with kind, class, version, licence and origin', async (t) => {
  const { code, stdout } = await runFerry(['plugins'], await tempDir(t))
  assert.equal(code, 0)
  const [header, ...rows] = stdout.trim().split('\n')
  assert.match(header!, /^KIND\s+CLASS\s+VERSION\s+LICENCE\s+FROM$/)
  assert.ok(
    rows.some((r) =>
      /^sink\s+org\.apache\.kafka\.connect\.file\.FileStreamSinkConnector\s+0\.1\.0\s+Apache-2\.0\s+built-in$/.test(r),
    ),
  )
  assert.ok(
    rows.some((r) => /^header_converter\s+org\.apache\.kafka\.connect\.storage\.SimpleHeaderConverter\s/.test(r)),
  )
  assert.ok(
    rows.some((r) => /^predicate\s+org\.apache\.kafka\.connect\.transforms\.predicates\.HasHeaderKey\s/.test(r)),
  )
  const providers = rows.filter((r) => r.startsWith('config_provider '))
  assert.deepEqual(
    providers.map((r) => r.split(/\s+/).slice(1)),
    ['DirectoryConfigProvider', 'EnvVarConfigProvider', 'FileConfigProvider'].map((c) => [
      `org.apache.kafka.common.config.provider.${c}`,
      '0.1.0',
      'Apache-2.0',
      'built-in',
    ]),
  )
})

test('ferry plugins list takes plugin.path from a worker config, and reports a broken package there', async (t) => {
  const dir = await tempDir(t)
  const plugins = join(dir, 'plugins')
  await writeFiles(join(plugins, 'half-done'), {
    'package.json': { name: 'half-done', version: '0.1.0', ferry: { plugins: './missing.js' } },
  })
  await writeFile(join(dir, 'worker.properties'), `plugin.path=${plugins}\n`)
  const { code, stdout } = await runFerry(['plugins', 'list', '--worker-config', join(dir, 'worker.properties')], dir)
  assert.equal(code, 0)
  assert.match(
    stdout,
    /Broken plugin packages \(not loaded\):\n {2}half-done 0\.1\.0 in .*plugins: importing \.\/missing\.js failed: cannot find module/,
  )
})

test('install and remove need a plugin.path; unknown commands and options are refused with one line and exit 2', async (t) => {
  const dir = await tempDir(t)
  const cases: Array<[string[], RegExp]> = [
    [
      ['plugins', 'install', 'x'],
      /^ferry: ferry plugins install needs a plugin.path: --plugin-path DIR or --worker-config FILE\n$/,
    ],
    [['plugins', 'remove', 'x'], /^ferry: ferry plugins remove needs a plugin.path/],
    [
      ['plugins', 'install', '--plugin-path', dir],
      /^ferry: ferry plugins install takes one npm spec, tarball or folder/,
    ],
    [['plugins', 'upgrade'], /^ferry: unknown plugins command 'upgrade'/],
    [['plugins', '--plugin-dir', dir], /^ferry: unknown option --plugin-dir/],
    [
      ['plugins', 'remove', 'nothing-here', '--plugin-path', dir],
      /^ferry: no plugin package nothing-here in plugin.path /,
    ],
    [
      ['plugins', '--worker-config', join(dir, 'missing.properties')],
      /^ferry: cannot read worker config file .*missing\.properties/,
    ],
  ]
  for (const [args, message] of cases) {
    const { code, stderr } = await runFerry(args, dir)
    assert.equal(code, 2, args.join(' '))
    assert.match(stderr, message)
  }
  const help = await runFerry(['plugins', '--help'], dir)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: ferry plugins \[list\]/)
})
