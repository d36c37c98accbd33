import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rangeAssigner } from '../../src/kafka/clients.ts'

function assign(members: Record<string, string[]>, partitions: Record<string, number>): Record<string, string> {
  const result = rangeAssigner(
    '',
    new Map(Object.entries(members).map(([id, topics]) => [id, { topics }])),
    new Set(Object.keys(partitions)),
    { topics: new Map(Object.entries(partitions).map(([t, n]) => [t, { partitionsCount: n }])) },
  )
  const out: Record<string, string> = {}
  for (const { memberId, assignments } of result) {
    out[memberId] = [...assignments.values()]
      .map((a) => `${a.topic}:${a.partitions.join(',')}`)
      .sort()
      .join(' ')
  }
  return out
}

test('range assignment gives each member consecutive partitions per topic, the first members one more, as Java', () => {
  assert.deepEqual(assign({ b: ['t'], a: ['t'] }, { t: 5 }), { a: 't:0,1,2', b: 't:3,4' })
  assert.deepEqual(assign({ a: ['t'], b: ['t'], c: ['t'] }, { t: 7 }), { a: 't:0,1,2', b: 't:3,4', c: 't:5,6' })
})

test('range assignment splits each topic on its own among the members subscribed to it', () => {
  assert.deepEqual(assign({ a: ['t', 'u'], b: ['t'] }, { t: 2, u: 3 }), { a: 't:0 u:0,1,2', b: 't:1' })
})

test('range assignment leaves members beyond the partition count without partitions', () => {
  assert.deepEqual(assign({ a: ['t'], b: ['t'], c: ['t'] }, { t: 2 }), { a: 't:0', b: 't:1', c: '' })
})

test('range assignment orders static members by group.instance.id, before dynamic ones, as Java’s MemberInfo', () => {
  const result = rangeAssigner(
    '',
    new Map([
      ['m-a', { topics: ['t'], groupInstanceId: 'task-1' }],
      ['m-b', { topics: ['t'], groupInstanceId: null }],
      ['m-c', { topics: ['t'], groupInstanceId: 'task-0' }],
    ]),
    new Set(['t']),
    { topics: new Map([['t', { partitionsCount: 3 }]]) },
  )
  const out = Object.fromEntries(result.map((r) => [r.memberId, r.assignments.get('t')?.partitions.join(',')]))
  assert.deepEqual(out, { 'm-c': '0', 'm-a': '1', 'm-b': '2' })
})
