import { test } from 'node:test'
import { connectorConformance } from '@ferry/testing'
import { S3SinkConnector } from '../src/sink-connector.ts'

// The S3 sink's start checks its bucket: the suite runs the checks that need no store here, and
// sink.integration.test.ts runs the connector against S3Mock.
test('the S3 sink passes the connector conformance checks that need no store', async (t) => {
  const config = {
    topics: 'objects',
    's3.bucket.name': 'bucket',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    'flush.size': '1000',
  }
  await connectorConformance(t, {
    create: () => new S3SinkConnector(),
    config,
    invalid: {
      config: { ...config, 'format.class': 'io.confluent.connect.s3.format.orc.OrcFormat' },
      key: 'format.class',
    },
    running: false,
  })
})
