import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { runFerry, tempDir } from '@ferry/testing'
import { UsageError } from '../../src/errors.ts'
import { newCommand } from '../../src/new/new-command.ts'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '../../../..')

test('ferry new connector writes a plugin package with a source, a sink, tests and the manifest, which type-checks', async (t) => {
  const dir = await tempDir(t)
  const result = await runFerry(['new', 'connector', '@acme/kafka-connector', '--class-package', 'com.acme.kafka'], dir)
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /^Created @acme\/kafka-connector in .*kafka-connector: 12 files\n/)
  assert.match(result.stdout, /source: com\.acme\.kafka\.KafkaSourceConnector\n/)
  assert.match(result.stdout, /ferry plugins install \.\/acme-kafka-connector-0\.1\.0\.tgz/)
  const pkgDir = join(dir, 'kafka-connector')
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'))
  assert.equal(pkg.name, '@acme/kafka-connector')
  assert.deepEqual(pkg.ferry, { plugins: './dist/plugins.js' })
  assert.deepEqual(pkg.peerDependencies, { '@ferry/api': '^0.1.0' })
  assert.equal(pkg.devDependencies['@ferry/testing'], '^0.1.0')
  const plugins = await readFile(join(pkgDir, 'src', 'plugins.ts'), 'utf8')
  assert.match(plugins, /className: 'com\.acme\.kafka\.KafkaSourceConnector', kind: \['source'\]/)
  assert.match(plugins, /className: 'com\.acme\.kafka\.KafkaSinkConnector', kind: \['sink'\]/)
  for (const test of ['source-connector', 'sink-connector']) {
    assert.match(await readFile(join(pkgDir, 'test', `${test}.test.ts`), 'utf8'), /connectorConformance\(t, \{/)
  }
  // Against the workspace's @ferry packages (the end-to-end test does it with the packed ones).
  await symlink(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'))
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], {
    cwd: pkgDir,
  }).catch((e: { stdout: string }) => assert.fail(`the scaffold does not type-check: ${e.stdout}`))
})

test('ferry new refuses a bad package name or class package, a non-empty folder and anything but a connector', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'taken'))
  await writeFile(join(dir, 'taken', 'x'), '')
  const cases: Array<[string[], RegExp]> = [
    [['transform', 'x'], /^ferry new can create a connector, not 'transform'/],
    [['connector'], /^ferry new connector needs a package name/],
    [['connector', 'Acme Connector'], /^'Acme Connector' is not a valid npm package name/],
    [['connector', 'acme', '--class-package', 'com..acme'], /^--class-package 'com\.\.acme' is not/],
    [['connector', 'acme', '--dir', join(dir, 'taken')], /taken exists and is not empty: choose another folder/],
    [['connector', 'acme', '--force'], /^unknown option --force/],
  ]
  for (const [args, message] of cases) {
    await assert.rejects(newCommand(args), (e) => e instanceof UsageError && message.test(e.message), args.join(' '))
  }
  // As the command line shows it: one line, exit code 2.
  const result = await runFerry(['new'], dir)
  assert.deepEqual(result, {
    code: 2,
    stdout: '',
    stderr: 'ferry: ferry new needs what to create: ferry new connector <name>\n',
  })
})
