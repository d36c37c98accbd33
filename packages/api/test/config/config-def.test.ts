import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { ConfigDef, ConfigKey, NO_DEFAULT_VALUE, Password, type Recommender } from '../../src/config/config-def.ts'
import { Range, ValidString } from '../../src/config/validators.ts'
import { ConfigException } from '../../src/errors.ts'

const def = () =>
  new ConfigDef()
    .define({
      name: 'tasks.max',
      type: 'INT',
      defaultValue: 1,
      validator: Range.atLeast(1),
      importance: 'HIGH',
      documentation: 'Tasks',
    })
    .define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'Topic' })
    .define({ name: 'enabled', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', documentation: 'On?' })
    .define({ name: 'hosts', type: 'LIST', defaultValue: 'a, b', importance: 'MEDIUM', documentation: 'Hosts' })
    .define({ name: 'ratio', type: 'DOUBLE', defaultValue: 0.5, importance: 'LOW', documentation: 'Ratio' })
    .define({ name: 'offset', type: 'LONG', defaultValue: '0', importance: 'LOW', documentation: 'Offset' })
    .define({
      name: 'mode',
      type: 'STRING',
      defaultValue: 'a',
      validator: ValidString.in('a', 'b'),
      importance: 'LOW',
      documentation: 'Mode',
    })
    .define({ name: 'secret', type: 'PASSWORD', defaultValue: null, importance: 'LOW', documentation: 'Secret' })
    .define({ name: 'klass', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'Class' })

test('parse converts strings to typed values and fills in defaults', () => {
  const parsed = def().parse({
    'tasks.max': ' 3 ',
    topic: ' t ',
    enabled: 'FALSE',
    hosts: 'x ,y,, z',
    offset: '9223372036854775807',
    secret: 's3cret',
    klass: 'org.example.Foo',
    unknown: 'ignored',
  })
  assert.deepEqual(Object.keys(parsed), [
    'tasks.max',
    'topic',
    'enabled',
    'hosts',
    'ratio',
    'offset',
    'mode',
    'secret',
    'klass',
  ])
  assert.equal(parsed['tasks.max'], 3)
  assert.equal(parsed.topic, 't')
  assert.equal(parsed.enabled, false)
  assert.deepEqual(parsed.hosts, ['x', 'y', '', 'z'])
  assert.equal(parsed.ratio, 0.5)
  assert.equal(parsed.offset, 9223372036854775807n)
  assert.equal(parsed.mode, 'a')
  assert.ok(parsed.secret instanceof Password)
  assert.equal((parsed.secret as Password).value(), 's3cret')
  assert.equal(parsed.klass, 'org.example.Foo')
  assert.deepEqual(def().parse({ topic: 't', hosts: '' }).hosts, [])
  assert.equal(def().parse(new Map([['topic', 'from-map']])).topic, 'from-map')
})

test('parse throws Apache messages naming the key', () => {
  assert.throws(() => def().parse({}), {
    name: 'ConfigException',
    message: 'Missing required configuration "topic" which has no default value.',
  })
  assert.throws(() => def().parse({ topic: 't', 'tasks.max': 'x' }), {
    message: 'Invalid value x for configuration tasks.max: Not a number of type INT',
  })
  assert.throws(() => def().parse({ topic: 't', 'tasks.max': '0' }), {
    message: 'Invalid value 0 for configuration tasks.max: Value must be at least 1',
  })
  assert.throws(() => def().parse({ topic: 't', enabled: 'yes' }), {
    message: 'Invalid value yes for configuration enabled: Expected value to be either true or false',
  })
  assert.throws(() => def().parse({ topic: 't', 'tasks.max': '3000000000' }), /Not a number of type INT/)
  assert.throws(() => def().parse({ topic: 't', offset: '1.5' }), /Not a number of type LONG/)
  assert.throws(() => def().parse({ topic: 't', ratio: 'x' }), /Not a number of type DOUBLE/)
  assert.throws(() => def().parse({ topic: 't', mode: 'c' }), {
    message: 'Invalid value c for configuration mode: String must be one of: a, b',
  })
})

test('parseType accepts already typed values and rejects other types', () => {
  assert.equal(ConfigDef.parseType('k', 5, 'INT'), 5)
  assert.equal(ConfigDef.parseType('k', 5, 'LONG'), 5)
  assert.equal(ConfigDef.parseType('k', 5n, 'LONG'), 5)
  assert.equal(ConfigDef.parseType('k', '1e3', 'DOUBLE'), 1000)
  assert.equal(ConfigDef.parseType('k', '2.5d', 'DOUBLE'), 2.5)
  assert.equal(ConfigDef.parseType('k', true, 'BOOLEAN'), true)
  assert.deepEqual(ConfigDef.parseType('k', ['a'], 'LIST'), ['a'])
  assert.equal(ConfigDef.parseType('k', null, 'INT'), null)
  assert.equal(ConfigDef.parseType('k', '-32768', 'SHORT'), -32768)
  assert.throws(() => ConfigDef.parseType('k', 1.5, 'INT'), {
    message: 'Invalid value 1.5 for configuration k: Expected value to be a 32-bit integer, but it was a number',
  })
  assert.throws(() => ConfigDef.parseType('k', 1, 'STRING'), {
    message: 'Invalid value 1 for configuration k: Expected value to be a string, but it was a number',
  })
  assert.throws(() => ConfigDef.parseType('k', 1, 'LIST'), {
    message: 'Invalid value 1 for configuration k: Expected a comma separated list.',
  })
})

test('validate reports every problem at once, each on its key', () => {
  const values = def().validate({ 'tasks.max': 'abc', enabled: 'maybe', mode: 'z' })
  assert.deepEqual(
    values.map((v) => v.name),
    ['tasks.max', 'topic', 'enabled', 'hosts', 'ratio', 'offset', 'mode', 'secret', 'klass'],
  )
  const byName = new Map(values.map((v) => [v.name, v]))
  assert.deepEqual(byName.get('tasks.max')!.errorMessages, [
    'Invalid value abc for configuration tasks.max: Not a number of type INT',
    'Invalid value null for configuration tasks.max: Value must be non-null',
  ])
  assert.deepEqual(byName.get('topic')!.errorMessages, [
    'Missing required configuration "topic" which has no default value.',
  ])
  assert.deepEqual(byName.get('enabled')!.errorMessages, [
    'Invalid value maybe for configuration enabled: Expected value to be either true or false',
  ])
  assert.deepEqual(byName.get('mode')!.errorMessages, [
    'Invalid value z for configuration mode: String must be one of: a, b',
  ])
  assert.equal(byName.get('mode')!.value, 'z')
  assert.deepEqual(byName.get('hosts'), {
    name: 'hosts',
    value: ['a', 'b'],
    recommendedValues: [],
    errorMessages: [],
    visible: true,
  })
  const total = values.reduce((n, v) => n + v.errorMessages.length, 0)
  assert.equal(total, 5)
})

test('validate runs recommenders with the parsed values and follows dependents', () => {
  const recommender: Recommender = {
    validValues: (_name, parsed) => (parsed.kind === 'x' ? ['x1', 'x2'] : ['y1']),
    visible: (_name, parsed) => parsed.kind === 'x',
  }
  const d = new ConfigDef()
    .define({
      name: 'kind',
      type: 'STRING',
      defaultValue: 'x',
      importance: 'HIGH',
      documentation: '',
      dependents: ['sub'],
    })
    .define({ name: 'sub', type: 'STRING', defaultValue: null, importance: 'LOW', documentation: '', recommender })
  const [, sub] = d.validate({ kind: 'y' })
  assert.deepEqual(sub!.recommendedValues, ['y1'])
  assert.equal(sub!.visible, false)
  const [, subX] = d.validate({})
  assert.deepEqual(subX!.recommendedValues, ['x1', 'x2'])
  assert.equal(subX!.visible, true)

  const dangling = new ConfigDef().define({
    name: 'a',
    type: 'INT',
    defaultValue: 1,
    importance: 'LOW',
    documentation: '',
    dependents: ['ghost'],
  })
  const ghost = dangling.validate({}).find((v) => v.name === 'ghost')!
  assert.deepEqual(ghost.errorMessages, ['ghost is referred in the dependents, but not defined.'])
  assert.equal(ghost.visible, false)
  assert.throws(() => dangling.parse({}), /referred in the dependents, but not defined: ghost/)
})

test('keys are kept in definition order and a name cannot be defined twice', () => {
  const d = def()
  assert.deepEqual([...d.names()].slice(0, 3), ['tasks.max', 'topic', 'enabled'])
  assert.deepEqual([...d.configKeys().keys()], [...d.names()])
  const key = d.configKeys().get('topic')!
  assert.ok(key instanceof ConfigKey)
  assert.equal(key.defaultValue, NO_DEFAULT_VALUE)
  assert.equal(key.hasDefault(), false)
  assert.equal(key.orderInGroup, -1)
  assert.equal(key.width, 'NONE')
  assert.equal(key.displayName, 'topic')
  assert.deepEqual(key.dependents, [])
  assert.throws(() => d.define({ name: 'topic', type: 'STRING', importance: 'LOW', documentation: '' }), {
    message: 'Configuration topic is defined twice.',
  })
  assert.deepEqual(d.defaultValues().hosts, ['a', 'b'])
  assert.equal('topic' in d.defaultValues(), false)
})

test('an invalid default value fails when the key is defined', () => {
  assert.throws(
    () =>
      new ConfigDef().define({
        name: 'n',
        type: 'INT',
        defaultValue: 0,
        validator: Range.atLeast(1),
        importance: 'LOW',
        documentation: '',
      }),
    { message: 'Invalid value 0 for configuration n: Value must be at least 1' },
  )
  assert.throws(
    () => new ConfigDef().define({ name: 'n', type: 'INT', defaultValue: 'x', importance: 'LOW', documentation: '' }),
    ConfigException,
  )
})

test('a copy of a definition is independent', () => {
  const base = def()
  const copy = new ConfigDef(base).define({
    name: 'extra',
    type: 'INT',
    defaultValue: 1,
    importance: 'LOW',
    documentation: '',
  })
  assert.ok(copy.names().has('extra'))
  assert.ok(!base.names().has('extra'))
})

test('embed adds prefixed keys whose validators see the unprefixed name', () => {
  const child = new ConfigDef()
    .define({
      name: 'b',
      type: 'INT',
      defaultValue: 1,
      validator: Range.atLeast(1),
      importance: 'LOW',
      documentation: 'B',
      group: 'g',
    })
    .define({ name: 'a', type: 'STRING', importance: 'HIGH', documentation: 'A' })
  const parent = new ConfigDef()
  parent.embed('transforms.x.', 'Transforms: x', 5, child)
  assert.deepEqual([...parent.names()], ['transforms.x.a', 'transforms.x.b'])
  const b = parent.configKeys().get('transforms.x.b')!
  assert.equal(b.group, 'Transforms: x: g')
  assert.equal(b.orderInGroup, 6)
  assert.equal(parent.configKeys().get('transforms.x.a')!.group, 'Transforms: x')
  assert.equal(String(b.validator), '[1,...]')
  const errors = parent.validate({ 'transforms.x.b': '0' }).flatMap((v) => v.errorMessages)
  assert.deepEqual(errors, [
    'Missing required configuration "transforms.x.a" which has no default value.',
    'Invalid value 0 for configuration b: Value must be at least 1',
  ])
})

test('Password hides its value in String(), JSON and inspection', () => {
  const password = new Password('hunter2')
  assert.equal(String(password), '[hidden]')
  assert.equal(`${password}`, '[hidden]')
  assert.equal(JSON.stringify({ password }), '{"password":"[hidden]"}')
  assert.ok(!inspect(password).includes('hunter2'))
  assert.equal(password.value(), 'hunter2')
  assert.ok(password.equals(new Password('hunter2')))
  assert.ok(!password.equals(new Password('other')))
  assert.equal(ConfigDef.convertToString(password, 'PASSWORD'), '[hidden]')
  assert.deepEqual(ConfigDef.convertToStringMapWithPasswordValues({ p: password, l: ['a', 'b'], n: 1 }), {
    p: 'hunter2',
    l: 'a,b',
    n: '1',
  })
})

test('convertToString renders lists comma-joined and doubles as Java', () => {
  assert.equal(ConfigDef.convertToString(['a', 'b'], 'LIST'), 'a,b')
  assert.equal(ConfigDef.convertToString(1, 'DOUBLE'), '1.0')
  assert.equal(ConfigDef.convertToString(null, 'STRING'), null)
  assert.equal(ConfigDef.convertToString(class Foo {}, 'CLASS'), 'Foo')
})

test('toRst documents the keys with their valid values', () => {
  const rst = new ConfigDef()
    .define({
      name: 'retry.backoff.ms',
      type: 'LONG',
      defaultValue: 60000,
      validator: Range.between(0, 100000),
      importance: 'LOW',
      documentation: 'Backoff.',
    })
    .toRst()
  assert.equal(
    rst,
    '``retry.backoff.ms``\n  Backoff.\n\n  * Type: long\n  * Default: 60000 (1 minute)\n  * Valid Values: [0,...,100000]\n  * Importance: low\n\n',
  )
})
