import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchV11, fetchV12 } from '@platformatic/kafka'
import { type FetchTopicRequest, fetchRequestBody } from '../../src/kafka/fetch.ts'

/** The body the client's own writer makes for the same fetch. */
function clientBody(version: 11 | 12, options: Parameters<typeof fetchRequestBody>[1], topics: FetchTopicRequest[]) {
  const requestTopics = topics.map((t) => ({
    topicId: t.topic,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      currentLeaderEpoch: -1,
      fetchOffset: BigInt(p.fetchOffset),
      lastFetchedEpoch: -1,
      partitionMaxBytes: p.partitionMaxBytes,
    })),
  }))
  const create = (version === 12 ? fetchV12 : fetchV11).createRequest as (...args: unknown[]) => { buffer: Buffer }
  const { maxWaitMs, minBytes, maxBytes, isolationLevel, rackId } = options
  return create(maxWaitMs, minBytes, maxBytes, isolationLevel, 0, -1, requestTopics, [], rackId ?? '').buffer
}

test("a Fetch request body, written into one Buffer, has the bytes of the client's v12 and v11 writers", () => {
  const long = 'ö'.repeat(70) // 140 bytes: a two-byte length varint
  const cases: Array<[Parameters<typeof fetchRequestBody>[1], FetchTopicRequest[]]> = [
    [
      { maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0 },
      [{ topic: 'in', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1048576 }] }],
    ],
    [
      { maxWaitMs: 100, minBytes: 10, maxBytes: 1000, isolationLevel: 1, rackId: 'rack-ä' },
      [
        {
          topic: 'orders',
          partitions: [
            { partition: 3, fetchOffset: 2 ** 40 + 7, partitionMaxBytes: 100 },
            { partition: 4, fetchOffset: 12, partitionMaxBytes: 100 },
          ],
        },
        { topic: long, partitions: [{ partition: 1, fetchOffset: 5, partitionMaxBytes: 1 }] },
      ],
    ],
    [{ maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, rackId: '' }, []],
  ]
  for (const [options, topics] of cases)
    for (const version of [12, 11] as const)
      assert.deepEqual(fetchRequestBody(version, options, topics), clientBody(version, options, topics), `v${version}`)
})
