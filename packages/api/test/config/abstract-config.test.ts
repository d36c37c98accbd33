import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AbstractConfig, parsedConfig } from '../../src/config/abstract-config.ts'
import { ConfigDef, Password } from '../../src/config/config-def.ts'
import { ConfigException } from '../../src/errors.ts'

const DEF = new ConfigDef()
  .define({ name: 'name', type: 'STRING', importance: 'HIGH', documentation: 'Name' })
  .define({ name: 'count', type: 'INT', defaultValue: 2, importance: 'LOW', documentation: 'Count' })
  .define({ name: 'big', type: 'LONG', defaultValue: '9007199254740993', importance: 'LOW', documentation: 'Big' })
  .define({ name: 'on', type: 'BOOLEAN', defaultValue: false, importance: 'LOW', documentation: 'On' })
  .define({ name: 'list', type: 'LIST', defaultValue: 'a,b', importance: 'LOW', documentation: 'List' })
  .define({ name: 'ratio', type: 'DOUBLE', defaultValue: 1.5, importance: 'LOW', documentation: 'Ratio' })
  .define({ name: 'pw', type: 'PASSWORD', defaultValue: null, importance: 'LOW', documentation: 'Password' })
  .define({ name: 'opt', type: 'STRING', defaultValue: null, importance: 'LOW', documentation: 'Optional' })

test('typed getters return the parsed values', () => {
  const config = parsedConfig(DEF, {
    name: ' n ',
    count: '5',
    on: 'true',
    pw: 'secret',
    'producer.override.acks': 'all',
  })
  assert.ok(config instanceof AbstractConfig)
  assert.equal(config.getString('name'), 'n')
  assert.equal(config.getInt('count'), 5)
  assert.equal(config.getLongExact('big'), 9007199254740993n)
  assert.equal(config.getLong('big'), 9007199254740992)
  assert.equal(config.getBoolean('on'), true)
  assert.deepEqual(config.getList('list'), ['a', 'b'])
  assert.equal(config.getDouble('ratio'), 1.5)
  assert.ok(config.getPassword('pw') instanceof Password)
  assert.equal(config.getPassword('pw')?.value(), 'secret')
  assert.equal(config.getString('opt'), null)
  assert.equal(config.typeOf('count'), 'INT')
  assert.equal(config.documentationOf('count'), 'Count')
  assert.throws(() => config.get('nope'), { name: 'ConfigException', message: "Unknown configuration 'nope'" })
})

test('construction fails like parse', () => {
  assert.throws(() => parsedConfig(DEF, {}), ConfigException)
})

test('originalsWithPrefix selects, and by default strips, prefixed keys', () => {
  const config = parsedConfig(DEF, {
    name: 'n',
    'producer.override.acks': 'all',
    'producer.override.linger.ms': '5',
    'producer.override.': 'exact prefix is skipped',
  })
  assert.deepEqual(config.originalsWithPrefix('producer.override.'), { acks: 'all', 'linger.ms': '5' })
  assert.deepEqual(config.originalsWithPrefix('producer.override.', false), {
    'producer.override.acks': 'all',
    'producer.override.linger.ms': '5',
  })
  assert.equal(config.originals().name, 'n')
  assert.deepEqual([...config.unused()].sort(), [
    'name',
    'producer.override.',
    'producer.override.acks',
    'producer.override.linger.ms',
  ])
  config.getString('name')
  assert.ok(!config.unused().has('name'))
})

test('valuesWithPrefixOverride lets prefixed keys override parsed values', () => {
  const config = parsedConfig(DEF, { name: 'n', count: '1', 'sub.count': '7' })
  const values = config.valuesWithPrefixOverride('sub.')
  assert.equal(values.count, 7)
  assert.equal(values.name, 'n')
})
