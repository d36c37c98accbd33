import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SinkRecord } from '@ferry/api'
import { sinkSettings } from '../src/config.ts'
import { DataConverter } from '../src/data-converter.ts'
import { ElasticsearchClient } from '../src/elasticsearch-client.ts'
import type { HttpClient, HttpResponse } from '../src/http-client.ts'
import { createLog } from '../src/log.ts'
import type { OffsetState } from '../src/offset-tracker.ts'

/** A client whose `_bulk` requests all get `body`, and the states of `n` operations sent through it. */
async function bulkAnswered(body: string, n: number): Promise<{ states: OffsetState[]; failed: boolean }> {
  const settings = sinkSettings({ 'connection.url': 'http://es:9200', 'batch.size': String(n), 'max.retries': '0' })
  const http = {
    request: async (): Promise<HttpResponse> => ({ status: 200, body: Buffer.from(body) }),
    close() {},
  } as unknown as HttpClient
  const client = new ElasticsearchClient(settings, http, null, createLog('ElasticsearchClient'), () => {})
  const converter = new DataConverter(settings)
  const states: OffsetState[] = []
  for (let i = 0; i < n; i++) {
    const state = { offset: i, processed: false }
    states.push(state)
    await client.add(converter.convertRecord(new SinkRecord('t', 0, null, `k${i}`, null, { i }, i), 't')!, state)
  }
  await client.waitForInFlightRequests(10_000)
  return { states, failed: client.failed }
}

test('a bulk answer whose head says no item failed acknowledges every operation, in any order of its head fields', async () => {
  for (const head of [
    '{"took":3,"errors":false,',
    '{"took":3,"ingest_took":0,"errors":false,',
    '{"errors":false,"took":3,',
  ]) {
    // Items that say otherwise: had they been read, they would have failed the task.
    const item = '{"index":{"_index":"t","_id":"k","status":400,"error":{"type":"some_exception","reason":"no"}}}'
    const { states, failed } = await bulkAnswered(`${head}"items":[${item},${item},${item}]}`, 3)
    assert.equal(failed, false, head)
    assert.deepEqual(
      states.map((s) => s.processed),
      [true, true, true],
      head,
    )
  }
})

test('a bulk answer with errors is read item by item: a failed item fails the task, the others are acknowledged', async () => {
  const ok = '{"index":{"_index":"t","_id":"k","status":201}}'
  const bad = '{"index":{"_index":"t","_id":"k","status":400,"error":{"type":"some_exception","reason":"no"}}}'
  const { states, failed } = await bulkAnswered(`{"took":3,"errors":true,"items":[${ok},${bad},${ok}]}`, 3)
  assert.equal(failed, true)
  assert.deepEqual(
    states.map((s) => s.processed),
    [true, false, true],
  )
})
