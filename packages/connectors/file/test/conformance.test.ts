import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectorConformance, tempDir } from '@ferry/testing'
import { FileStreamSinkConnector } from '../src/file-stream-sink-connector.ts'
import { FileStreamSourceConnector } from '../src/file-stream-source-connector.ts'

test('the file source passes the connector conformance suite', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'input.txt')
  await writeFile(file, 'one\ntwo\nthree\n')
  await connectorConformance(t, {
    create: () => new FileStreamSourceConnector(),
    config: { file, topic: 'lines' },
    invalid: { config: { file, topic: 'lines', 'batch.size': '0' }, key: 'batch.size' },
  })
})

test('the file sink passes the connector conformance suite', async (t) => {
  const dir = await tempDir(t)
  await connectorConformance(t, {
    create: () => new FileStreamSinkConnector(),
    config: { file: join(dir, 'output.txt'), topics: 'lines' },
  })
})
