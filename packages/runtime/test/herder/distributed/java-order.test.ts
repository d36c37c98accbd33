import assert from 'node:assert/strict'
import { test } from 'node:test'
import { javaTaskHash, javaTaskOrder } from '../../../src/herder/distributed/java-order.ts'

// Expected values printed by OpenJDK 17.0.15 with Apache Connect 4.4.0's ConnectorTaskId.

test('ConnectorTaskId’s hash and a HashSet of task ids iterate as in Java', () => {
  assert.equal(javaTaskHash({ connector: 'conn', task: 3 }), 94844503)
  const tasks = ['sink', 'source', 'jdbc-source'].flatMap((connector) =>
    Array.from({ length: 5 }, (_, task) => ({ connector, task })),
  )
  assert.deepEqual(
    javaTaskOrder(tasks).map((t) => `${t.connector}-${t.task}`),
    'sink-0,sink-2,sink-1,sink-4,source-3,sink-3,source-4,source-0,jdbc-source-0,source-1,source-2,jdbc-source-3,jdbc-source-4,jdbc-source-1,jdbc-source-2'.split(
      ',',
    ),
  )
})
