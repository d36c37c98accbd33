// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigException } from '@ferry/api'
import { tempDir } from '@ferry/testing'
import {
  builtinConfigProviders,
  type ConfigData,
  type ConfigProvider,
  ConfigTransformer,
  configProvidersFromWorkerConfig,
  DirectoryConfigProvider,
  EnvVarConfigProvider,
  FileConfigProvider,
  InvalidParamException,
  isConfigProviderKey,
  keysWithVariableValues,
  reverseTransform,
  WorkerConfigTransformer,
} from '../../src/config/config-providers.ts'

const FILE = 'org.apache.kafka.common.config.provider.FileConfigProvider'
const DIR = 'org.apache.kafka.common.config.provider.DirectoryConfigProvider'
const ENV = 'org.apache.kafka.common.config.provider.EnvVarConfigProvider'

function file(params: Record<string, string> = {}): FileConfigProvider {
  const provider = new FileConfigProvider()
  provider.configure(params)
  return provider
}

function directory(params: Record<string, string> = {}): DirectoryConfigProvider {
  const provider = new DirectoryConfigProvider()
  provider.configure(params)
  return provider
}

function env(vars: Record<string, string>, params: Record<string, string> = {}): EnvVarConfigProvider {
  const provider = new EnvVarConfigProvider(vars)
  provider.configure(params)
  return provider
}

/** Apache's ConfigTransformerTest provider: `testPath` holds testKey, testKeyWithTTL (TTL 1) and testIndirection. */
class TestConfigProvider implements ConfigProvider {
  readonly calls: Array<{ path: string; keys: string[] }> = []
  configure(): void {}
  get(path: string, keys: ReadonlySet<string>): ConfigData {
    this.calls.push({ path, keys: [...keys].sort() })
    const data: Record<string, string> = {}
    let ttl: number | null = null
    if (path === 'testPath') {
      if (keys.has('testKey')) data.testKey = 'testResult'
      if (keys.has('testKeyWithTTL')) {
        data.testKeyWithTTL = 'testResultWithTTL'
        ttl = 1
      }
      if (keys.has('testIndirection')) data.testIndirection = '${test:testPath:testResult}'
    } else if (keys.has('testKey')) {
      data.testKey = 'testResultNoPath'
    }
    return { data, ttl }
  }
}

function transformer(): { transformer: ConfigTransformer; provider: TestConfigProvider } {
  const provider = new TestConfigProvider()
  return { transformer: new ConfigTransformer(new Map([['test', provider]])), provider }
}

// --- FileConfigProvider -----------------------------------------------------------------------------------------

test('the file provider reads keys of a properties file with Java’s rules', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'secrets.properties')
  await writeFile(path, '# comment\npassword = s3cr\\u0065t\nurl: jdbc\\:pg://h\nlong=a,\\\n   b\nspaced\\ key=v\n')
  const data = await file().get(path, new Set(['password', 'url', 'long', 'spaced key']))
  assert.deepEqual(data.data, { password: 's3cret', url: 'jdbc:pg://h', long: 'a,b', 'spaced key': 'v' })
  assert.equal(data.ttl ?? null, null, 'Apache’s file provider gives no TTL')
})

test('the file provider names a key the file does not have, and fails on a file it cannot read', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'p.properties')
  await writeFile(path, 'a=1\n')
  const data = await file().get(path, new Set(['a', 'b']))
  assert.deepEqual(data.data, { a: '1' })
  assert.deepEqual(data.unresolved, { b: `no key b in ${path}` })
  await assert.rejects(file().get(join(dir, 'missing.properties'), new Set(['a'])), {
    message: `Could not read properties from file ${join(dir, 'missing.properties')}: no such file`,
  })
  await assert.rejects(file().get('', new Set(['a'])), /needs a file path/)
})

test('allowed.paths lets the provider read only inside the listed paths, after folding `..`', async (t) => {
  const dir = await tempDir(t)
  const allowed = join(dir, 'allowed')
  const other = join(dir, 'allowed2')
  await mkdir(allowed)
  await mkdir(other)
  await writeFile(join(allowed, 'ok.properties'), 'k=inside\n')
  await writeFile(join(other, 'x.properties'), 'k=outside\n')
  await writeFile(join(dir, 'top.properties'), 'k=top\n')
  const provider = file({ 'allowed.paths': `${allowed}/` })
  assert.deepEqual((await provider.get(join(allowed, 'ok.properties'), new Set(['k']))).data, { k: 'inside' })
  assert.deepEqual((await provider.get(`${allowed}/./sub/../ok.properties`, new Set(['k']))).data, { k: 'inside' })
  for (const outside of [
    `${allowed}/../top.properties`,
    join(other, 'x.properties'),
    'allowed/ok.properties',
    `${allowed}/../allowed2/x.properties`,
  ]) {
    await assert.rejects(
      provider.get(outside, new Set(['k'])),
      (e: Error) => e instanceof ConfigException && e.message.startsWith(`The path ${outside} is not allowed`),
      outside,
    )
  }
  const two = file({ 'allowed.paths': `${other}, ${allowed}` })
  assert.deepEqual((await two.get(join(allowed, 'ok.properties'), new Set(['k']))).data, { k: 'inside' })
})

test('allowed.paths must be absolute and must exist, as Apache’s AllowedPaths checks', async (t) => {
  const dir = await tempDir(t)
  assert.throws(() => file({ 'allowed.paths': 'relative/dir' }), {
    message: 'Invalid value relative/dir for configuration allowed.paths: Path relative/dir is not absolute',
  })
  assert.throws(
    () => directory({ 'allowed.paths': `${dir},${dir}/nope` }),
    (e: Error) => e instanceof InvalidParamException && e.reason === `Path ${dir}/nope does not exist`,
  )
  assert.doesNotThrow(() => file({ 'allowed.paths': '' }), 'an empty value allows every path')
})

// --- DirectoryConfigProvider ------------------------------------------------------------------------------------

test('the directory provider gives a file’s exact contents; a key is a file name, never a path', async (t) => {
  const dir = await tempDir(t)
  const secrets = join(dir, 'secrets')
  await mkdir(join(secrets, 'sub'), { recursive: true })
  await writeFile(join(secrets, 'db-pass'), 'p4ss\n')
  await writeFile(join(dir, 'outside'), 'nope')
  await writeFile(join(secrets, 'sub', 'inner'), 'nope')
  await symlink(join(secrets, 'db-pass'), join(secrets, 'link'))
  const provider = directory({ 'allowed.paths': secrets })
  const data = await provider.get(secrets, new Set(['db-pass', 'link', '../outside', 'sub', 'sub/inner', 'absent']))
  assert.deepEqual(data.data, { 'db-pass': 'p4ss\n', link: 'p4ss\n' })
  assert.deepEqual(Object.keys(data.unresolved ?? {}).sort(), ['../outside', 'absent', 'sub', 'sub/inner'])
  assert.equal(data.unresolved?.absent, `no file absent in directory ${secrets}`)
  await assert.rejects(provider.get(join(secrets, 'db-pass'), new Set(['x'])), /is not a directory/)
  await assert.rejects(provider.get(dir, new Set(['outside'])), /is not allowed to be accessed/)
  await assert.rejects(provider.get(`${secrets}/..`, new Set(['outside'])), /is not allowed to be accessed/)
})

// --- EnvVarConfigProvider ---------------------------------------------------------------------------------------

test('the env provider reads variables the allowlist pattern matches entirely, and takes no path', async () => {
  const vars = { FERRY_OUT: '/tmp/out', XFERRY_OUT: 'x', HOME: '/home/me' }
  const provider = env(vars, { 'allowlist.pattern': 'FERRY_.*' })
  const data = await provider.get('', new Set(['FERRY_OUT', 'XFERRY_OUT', 'HOME', 'UNSET']))
  assert.deepEqual(data.data, { FERRY_OUT: '/tmp/out' })
  assert.deepEqual(data.unresolved, {
    XFERRY_OUT: 'the environment variable XFERRY_OUT does not match allowlist.pattern=FERRY_.*',
    HOME: 'the environment variable HOME does not match allowlist.pattern=FERRY_.*',
    UNSET: 'the environment variable UNSET is not set',
  })
  assert.deepEqual((await env(vars).get('', new Set(['HOME']))).data, { HOME: '/home/me' }, 'default: every variable')
  assert.throws(() => provider.get('/some/path', new Set(['FERRY_OUT'])), {
    message: "Path is not supported for EnvVarConfigProvider, invalid value '/some/path'",
  })
  assert.throws(() => env(vars, { 'allowlist.pattern': '(' }), /allowlist.pattern: not a valid regular expression/)
})

// --- Registry and worker keys -----------------------------------------------------------------------------------

test('provider classes are found by Apache’s class name, simple name and the name without ConfigProvider', () => {
  const registry = builtinConfigProviders()
  for (const name of [FILE, 'FileConfigProvider', 'File']) assert.equal(registry.find(name)?.className, FILE)
  for (const name of [DIR, 'DirectoryConfigProvider', 'Directory']) assert.equal(registry.find(name)?.className, DIR)
  for (const name of [ENV, 'EnvVarConfigProvider', 'EnvVar']) assert.equal(registry.find(name)?.className, ENV)
  assert.equal(registry.find('VaultConfigProvider'), null)
})

test('the worker’s config.providers keys set up configured providers', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'p.properties'), 'pw=from-file\n')
  const providers = configProvidersFromWorkerConfig({
    'config.providers': 'file, env ,dir',
    'config.providers.file.class': FILE,
    'config.providers.file.param.allowed.paths': dir,
    'config.providers.env.class': 'EnvVarConfigProvider',
    'config.providers.env.param.allowlist.pattern': 'PATH',
    'config.providers.dir.class': 'Directory',
    'bootstrap.servers': 'localhost:9092',
  })
  assert.deepEqual([...providers.keys()], ['file', 'env', 'dir'])
  assert.ok(providers.get('file') instanceof FileConfigProvider)
  assert.ok(providers.get('env') instanceof EnvVarConfigProvider)
  assert.ok(providers.get('dir') instanceof DirectoryConfigProvider)
  assert.equal(configProvidersFromWorkerConfig({}).size, 0)
})

test('every mistake in the config.providers keys is refused at once, each naming its key', async (t) => {
  const dir = await tempDir(t)
  let error: unknown
  try {
    configProvidersFromWorkerConfig({
      'config.providers': 'nameless,vault,file,env',
      'config.providers.vault.class': 'com.example.VaultConfigProvider',
      'config.providers.file.class': 'FileConfigProvider',
      'config.providers.file.param.allowed.path': dir,
      'config.providers.env.class': 'EnvVar',
      'config.providers.env.param.allowlist.pattern': '[',
      'config.providers.dir.class': 'DirectoryConfigProvider',
      'config.providers.file.clazz': FILE,
    })
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof ConfigException, 'a ConfigException, so the CLI exits 2')
  assert.equal((error as { code?: string }).code, 'FERRY_ERR_CONFIG')
  const problems = (error as Error).message.split('; ')
  assert.deepEqual(problems, [
    'Missing required configuration "config.providers.nameless.class" which has no default value (config.providers lists nameless).',
    `Invalid value com.example.VaultConfigProvider for configuration config.providers.vault.class: Failed to find any class that implements ConfigProvider and which name matches com.example.VaultConfigProvider, available ConfigProviders are: ${FILE}, ${DIR}, ${ENV}`,
    `Unknown configuration config.providers.file.param.allowed.path: ${FILE} takes param.allowed.paths`,
    'Unknown configuration config.providers.dir.class: config.providers lists nameless,vault,file,env, and a provider takes only config.providers.<name>.class and config.providers.<name>.param.<parameter>',
    'Unknown configuration config.providers.file.clazz: config.providers lists nameless,vault,file,env, and a provider takes only config.providers.<name>.class and config.providers.<name>.param.<parameter>',
    'Invalid value [ for configuration config.providers.env.param.allowlist.pattern: not a valid regular expression (Invalid regular expression: /^(?:[)$/: Unterminated character class)',
  ])
})

test('an invalid allowed.paths is refused naming the full worker key', () => {
  assert.throws(
    () =>
      configProvidersFromWorkerConfig({
        'config.providers': 'file',
        'config.providers.file.class': FILE,
        'config.providers.file.param.allowed.paths': 'secrets',
      }),
    {
      message:
        'Invalid value secrets for configuration config.providers.file.param.allowed.paths: Path secrets is not absolute',
    },
  )
})

test('isConfigProviderKey is true for config.providers and its prefixed keys only', () => {
  assert.ok(isConfigProviderKey('config.providers'))
  assert.ok(isConfigProviderKey('config.providers.file.class'))
  assert.ok(!isConfigProviderKey('config.providersx'))
  assert.ok(!isConfigProviderKey('producer.config.providers'))
})

// --- ConfigTransformer ------------------------------------------------------------------------------------------

test('a reference is replaced by its value, with its TTL (Apache’s testReplaceVariable and WithTTL)', async () => {
  const { transformer: tr } = transformer()
  const plain = await tr.transform({ myKey: '${test:testPath:testKey}' })
  assert.deepEqual(plain.data, { myKey: 'testResult' })
  assert.deepEqual(plain.ttls, {})
  assert.deepEqual(plain.resolved, [{ configKey: 'myKey', reference: '${test:testPath:testKey}', value: 'testResult' }])
  const withTtl = await tr.transform({ myKey: '${test:testPath:testKeyWithTTL}' })
  assert.deepEqual(withTtl.data, { myKey: 'testResultWithTTL' })
  assert.deepEqual(withTtl.ttls, { testPath: 1 })
})

test('several references in one value are all replaced, and one provider path is asked once', async () => {
  const { transformer: tr, provider } = transformer()
  const result = await tr.transform({
    myKey: 'hello, ${test:testPath:testKey}; goodbye, ${test:testPath:testKeyWithTTL}!!!',
    other: '${test:testPath:testKey}',
    noPath: 'first ${test:testKey}; second ${test:testKey}',
  })
  assert.deepEqual(result.data, {
    myKey: 'hello, testResult; goodbye, testResultWithTTL!!!',
    other: 'testResult',
    noPath: 'first testResultNoPath; second testResultNoPath',
  })
  assert.deepEqual(provider.calls, [
    { path: 'testPath', keys: ['testKey', 'testKeyWithTTL'] },
    { path: '', keys: ['testKey'] },
  ])
  assert.deepEqual(result.failures, [])
})

test('a reference to a provider that is not configured is left as it is, without an error', async () => {
  const { transformer: tr, provider } = transformer()
  const result = await tr.transform({
    a: '${vault:secret/db:password}',
    b: 'x ${vault:k} ${test:testKey} y',
    c: 'no ${reference here',
  })
  assert.deepEqual(result.data, {
    a: '${vault:secret/db:password}',
    b: 'x ${vault:k} testResultNoPath y',
    c: 'no ${reference here',
  })
  assert.deepEqual(result.failures, [])
  assert.equal(provider.calls.length, 1)
})

test('resolved values are not resolved again, and `$${...}` is no escape (Apache has none)', async () => {
  const { transformer: tr } = transformer()
  const result = await tr.transform({ ind: '${test:testPath:testIndirection}', dollar: '$${test:testKey}' })
  assert.deepEqual(result.data, { ind: '${test:testPath:testResult}', dollar: '$testResultNoPath' })
})

test('a key a configured provider lacks is a failure naming the reference and the key; the value stays', async () => {
  const { transformer: tr } = transformer()
  const result = await tr.transform({ myKey: 'x${test:testPath:missingKey}y', nothing: null })
  assert.deepEqual(result.data, { myKey: 'x${test:testPath:missingKey}y', nothing: null })
  assert.deepEqual(result.failures, [
    {
      configKey: 'myKey',
      reference: '${test:testPath:missingKey}',
      reason: 'the provider test has no value for missingKey',
    },
  ])
})

test('a provider that throws for a path fails every reference to that path; other references resolve', async () => {
  const failing: ConfigProvider = {
    configure() {},
    get(path) {
      if (path === 'bad') throw new ConfigException('Could not read properties from file bad')
      return { data: { k: 'v' } }
    },
  }
  const tr = new ConfigTransformer(new Map([['p', failing]]))
  const result = await tr.transform({ a: '${p:bad:k}', b: '${p:bad:j}', c: '${p:good:k}' })
  assert.deepEqual(result.data, { a: '${p:bad:k}', b: '${p:bad:j}', c: 'v' })
  assert.deepEqual(
    result.failures.map((f) => [f.configKey, f.reason]),
    [
      ['a', 'Could not read properties from file bad'],
      ['b', 'Could not read properties from file bad'],
    ],
  )
})

test('keys that `skip` selects are not resolved', async () => {
  const { transformer: tr } = transformer()
  const result = await tr.transform({ a: '${test:testKey}', b: '${test:testKey}' }, (k) => k === 'b')
  assert.deepEqual(result.data, { a: 'testResultNoPath', b: '${test:testKey}' })
})

// --- reverseTransform -------------------------------------------------------------------------------------------

test('keysWithVariableValues lists the keys whose value holds a reference', () => {
  assert.deepEqual(keysWithVariableValues({ a: '${file:/x:y}', b: 'plain', c: 'pre ${env:X} post', d: null }), [
    'a',
    'c',
  ])
})

test('reverseTransform writes task configs back with the references, also where a connector copied a value', () => {
  const raw = { file: '${env:OUT}', token: '${file:/s.properties:token}', topics: 't', 'tasks.max': '${env:N}' }
  const resolved = [
    { configKey: 'file', reference: '${env:OUT}', value: '/tmp/out.txt' },
    { configKey: 'token', reference: '${file:/s.properties:token}', value: 'tok-123456' },
    { configKey: 'tasks.max', reference: '${env:N}', value: '2' },
  ]
  const tasks: Record<string, string>[] = [
    { file: '/tmp/out.txt', topics: 't', header: 'Bearer tok-123456', 'task.id': '2' },
    { file: '/tmp/other.txt', token: 'derived' },
  ]
  assert.deepEqual(reverseTransform(raw, resolved, tasks), [
    { file: '${env:OUT}', topics: 't', header: 'Bearer ${file:/s.properties:token}', 'task.id': '2' },
    // Apache's rule: a key with a reference in the connector config gets its raw value, whatever the task holds.
    { file: '${env:OUT}', token: '${file:/s.properties:token}' },
  ])
})

// --- WorkerConfigTransformer ------------------------------------------------------------------------------------

test('the worker transformer resolves, throws one ConfigException for every failure, and learns the secrets', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 's.properties'), 'pw=hunter2-secret\n')
  const worker = WorkerConfigTransformer.fromWorkerConfig({
    'config.providers': 'file',
    'config.providers.file.class': 'FileConfigProvider',
  })
  const ref = `\${file:${dir}/s.properties:pw}`
  const { config, resolved } = await worker.resolve({ 'db.password': ref, 'ssl.key.password': 'plain-pass' })
  assert.deepEqual(config, { 'db.password': 'hunter2-secret', 'ssl.key.password': 'plain-pass' })
  assert.equal(resolved.length, 1)
  assert.equal(worker.redactor.redact('failed with hunter2-secret'), `failed with ${ref}`)
  assert.equal(worker.redactor.redact('key plain-pass'), 'key [hidden]', 'a client PASSWORD key’s value is hidden')

  await assert.rejects(
    worker.resolve({ a: `\${file:${dir}/s.properties:nope}`, b: `\${file:${dir}/none.properties:pw}` }),
    (e: Error) =>
      e instanceof ConfigException &&
      e.message ===
        `Cannot resolve \${file:${dir}/s.properties:nope} in a: no key nope in ${dir}/s.properties; ` +
          `Cannot resolve \${file:${dir}/none.properties:pw} in b: Could not read properties from file ${dir}/none.properties: no such file`,
  )
  await worker.close()
})

test('the worker config is resolved except its config.providers keys', async () => {
  const worker = new WorkerConfigTransformer(new Map([['env', env({ HOST: 'broker:9092', X: 'x' })]]))
  const out = await worker.resolveWorkerConfig({
    'bootstrap.servers': '${env:HOST}',
    'config.providers': 'env',
    'config.providers.env.class': 'EnvVarConfigProvider',
    'config.providers.env.param.allowlist.pattern': '${env:X}',
  })
  assert.deepEqual(out, {
    'bootstrap.servers': 'broker:9092',
    'config.providers': 'env',
    'config.providers.env.class': 'EnvVarConfigProvider',
    'config.providers.env.param.allowlist.pattern': '${env:X}',
  })
  await assert.rejects(worker.resolveWorkerConfig({ 'client.id': '${env:MISSING}' }), {
    message: 'Cannot resolve ${env:MISSING} in client.id: the environment variable MISSING is not set',
  })
})

test('a worker without providers leaves every value as it is', async () => {
  const worker = new WorkerConfigTransformer()
  assert.deepEqual(await worker.resolve({ a: '${file:/x:y}' }), { config: { a: '${file:/x:y}' }, resolved: [] })
})
