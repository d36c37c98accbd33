import assert from 'node:assert/strict'
import { test } from 'node:test'
import { silentLogger } from '../../src/logger.ts'
import {
  parseTopicCreationGroups,
  TopicCreation,
  type TopicCreationAdmin,
  topicCreationConfigDef,
} from '../../src/worker/topic-creation.ts'

const base = {
  'topic.creation.default.replication.factor': '-1',
  'topic.creation.default.partitions': '3',
}

test('topic creation is off without a topic.creation. key, or when the worker disables it', () => {
  assert.equal(parseTopicCreationGroups({ topic: 't' }, true), null)
  assert.equal(parseTopicCreationGroups(base, false), null)
})

test('the default group needs its replication factor and partitions, as Apache’s SourceConnectorConfig', () => {
  assert.throws(() => parseTopicCreationGroups({ 'topic.creation.default.partitions': '1' }, true), {
    message: 'Missing required configuration "topic.creation.default.replication.factor" which has no default value.',
  })
  assert.throws(() => parseTopicCreationGroups({ ...base, 'topic.creation.default.partitions': '0' }, true), {
    // Apache's embedded validators name the key without its prefix.
    message:
      "Invalid value 0 for configuration partitions: Number of partitions must be positive, or -1 to use the broker's default",
  })
})

test('groups are tried in topic.creation.groups order, exclude beats include, and the default group takes the rest', () => {
  const groups = parseTopicCreationGroups(
    {
      ...base,
      'topic.creation.default.include': 'ignored',
      'topic.creation.default.cleanup.policy': 'delete',
      'topic.creation.groups': 'compacted,logs',
      'topic.creation.compacted.include': 'state-.*, .*-changelog',
      'topic.creation.compacted.exclude': 'state-tmp-.*',
      'topic.creation.compacted.partitions': '1',
      'topic.creation.compacted.cleanup.policy': 'compact',
      'topic.creation.logs.include': '.*',
      'topic.creation.logs.replication.factor': '1',
      'topic.creation.logs.retention.ms': '60000',
    },
    true,
  )
  assert.ok(groups)
  const creation = new TopicCreation(groups, {} as TopicCreationAdmin, silentLogger())
  const pick = (topic: string) => {
    const g = creation.findFirstGroup(topic)
    return [g.name, g.partitions, g.replicationFactor, g.configs]
  }
  assert.deepEqual(pick('state-1'), ['compacted', 1, -1, { 'cleanup.policy': 'compact' }])
  assert.deepEqual(pick('a-changelog'), ['compacted', 1, -1, { 'cleanup.policy': 'compact' }])
  assert.deepEqual(pick('state-tmp-1'), ['logs', 3, 1, { 'retention.ms': '60000' }])
  assert.deepEqual(pick('other'), ['logs', 3, 1, { 'retention.ms': '60000' }])
  // Without the catch-all group, the default one: its include is not read.
  const two = parseTopicCreationGroups({ ...base, 'topic.creation.groups': 'x', 'topic.creation.x.include': 'x' }, true)
  assert.ok(two)
  const g = new TopicCreation(two, {} as TopicCreationAdmin, silentLogger()).findFirstGroup('y')
  assert.deepEqual([g.name, g.partitions, g.replicationFactor, g.configs], ['default', 3, -1, {}])
})

test('validation reports every topic creation problem on its key, in Apache’s groups', () => {
  const props = {
    'topic.creation.default.partitions': '-2',
    'topic.creation.groups': 'a',
    'topic.creation.a.include': '(unclosed',
    'topic.creation.a.replication.factor': '0',
  }
  const def = topicCreationConfigDef(props)
  const errors = Object.fromEntries(
    [...def.validateAll(props)].filter(([, v]) => v.errorMessages.length > 0).map(([k, v]) => [k, v.errorMessages]),
  )
  assert.deepEqual(Object.keys(errors).sort(), [
    'topic.creation.a.include',
    'topic.creation.a.replication.factor',
    'topic.creation.default.partitions',
    'topic.creation.default.replication.factor',
  ])
  assert.match(
    errors['topic.creation.a.include']![0]!,
    /^Invalid value \[\(unclosed\] for configuration include: Syntax error in regular expression: /,
  )
  assert.deepEqual(errors['topic.creation.default.replication.factor'], [
    'Missing required configuration "topic.creation.default.replication.factor" which has no default value.',
  ])
  assert.equal(def.configKeys().get('topic.creation.default.partitions')?.group, 'default: default')
  assert.equal(def.configKeys().get('topic.creation.a.partitions')?.group, 'Topic Creation: a: Topic Creation: a')
})

test('a topic is created once, with its group’s settings, before the first write; an existing one is left alone', async () => {
  const created: unknown[] = []
  const existing = new Set(['there'])
  const admin: TopicCreationAdmin = {
    topicAuthorizedOperations: async (topics) =>
      new Map(topics.map((t) => [t, { exists: existing.has(t), operations: null }])),
    createTopic: async (name, partitions, rf, configs) => {
      created.push([name, partitions, rf, configs])
      existing.add(name)
    },
    close: async () => {},
  }
  const groups = parseTopicCreationGroups({ ...base, 'topic.creation.default.cleanup.policy': 'compact' }, true)
  assert.ok(groups)
  const creation = new TopicCreation(groups, admin, silentLogger())
  await creation.ensure(['there', 'new', 'new'])
  await creation.ensure(['new'])
  assert.deepEqual(created, [['new', 3, -1, { 'cleanup.policy': 'compact' }]])
})

test('a topic that cannot be created fails with the group’s settings and the broker’s reason', async () => {
  const admin: TopicCreationAdmin = {
    topicAuthorizedOperations: async (topics) => new Map(topics.map((t) => [t, { exists: false, operations: null }])),
    createTopic: async () => {
      throw new Error('Replication factor: 3 larger than available brokers: 1.')
    },
    close: async () => {},
  }
  const groups = parseTopicCreationGroups({ ...base, 'topic.creation.default.replication.factor': '3' }, true)
  assert.ok(groups)
  await assert.rejects(new TopicCreation(groups, admin, silentLogger()).ensure(['t']), {
    name: 'ConnectException',
    message:
      'Task failed to create new topic t (group default: partitions=3, replication factor=3): Replication factor: 3 larger than available brokers: 1.. Ensure that the task is authorized to create topics or that the topic exists and restart the task',
  })
})
