import assert from 'node:assert/strict'
import test from 'node:test'
import { type ConnectRecord, SinkRecord } from '@ferry/api'
import { createTransformationChain } from '@ferry/runtime'
import { builtinRegistry } from '@ferry/testing'

const registry = await builtinRegistry()

function record(value: Record<string, unknown>): SinkRecord {
  return new SinkRecord('orders', 0, null, null, null, new Map(Object.entries(value)), 1, 5, 'CreateTime')
}

function values(out: (ConnectRecord | null)[]): unknown[] {
  return out.map((r) => (r === null ? null : [r.topic, Object.fromEntries(r.value as Map<string, unknown>)]))
}

test('in a worker’s transformation chain, Ferry.Map and Ferry.Route apply where their predicate says, negate inverts it, and Filter with Ferry.Matches drops', () => {
  const chain = createTransformationChain(registry, {
    transforms: 'dropTests,tag,route',
    'transforms.dropTests.type': 'Filter',
    'transforms.dropTests.predicate': 'isTest',
    'transforms.tag.type': 'Ferry.Map',
    'transforms.tag.expression': '$merge([value, {"big": true}])',
    'transforms.tag.predicate': 'isSmall',
    'transforms.tag.negate': 'true',
    'transforms.route.type': 'io.ferry.transforms.Route',
    'transforms.route.expression': 'value.big ? topic & "-big" : null',
    predicates: 'isTest,isSmall',
    'predicates.isTest.type': 'Ferry.Matches',
    'predicates.isTest.expression': 'value.test = true',
    'predicates.isSmall.type': 'io.ferry.transforms.predicates.Matches',
    'predicates.isSmall.expression': 'value.amount < 100',
  })
  try {
    const out = [record({ amount: 500 }), record({ amount: 5 }), record({ amount: 500, test: true })].map((r) =>
      chain.apply(r),
    )
    assert.deepEqual(values(out), [['orders-big', { amount: 500, big: true }], ['orders', { amount: 5 }], null])
  } finally {
    chain.close()
  }
})
