import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { runFerry, tempDir } from '@ferry/testing'

const VALID: Record<string, string> = {
  'bootstrap.servers': '127.0.0.1:9',
  'group.id': 'g',
  'config.storage.topic': 'c',
  'offset.storage.topic': 'o',
  'status.storage.topic': 's',
  'key.converter': 'StringConverter',
  'value.converter': 'StringConverter',
}

async function runWith(t: Parameters<typeof tempDir>[0], props: Record<string, string | undefined>) {
  const dir = await tempDir(t)
  const file = join(dir, 'worker.properties')
  const merged = { ...VALID, ...props }
  await writeFile(
    file,
    Object.entries(merged)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  )
  return runFerry(['distributed', file], dir)
}

const cases: Array<[string, Record<string, string | undefined>, RegExp]> = [
  ['a missing group.id', { 'group.id': undefined }, /group\.id/],
  ['a missing status.storage.topic', { 'status.storage.topic': undefined }, /status\.storage\.topic/],
  [
    'two internal topics with one name',
    { 'offset.storage.topic': 'c' },
    /config\.storage\.topic and offset\.storage\.topic/,
  ],
  [
    'an unknown connect.protocol',
    { 'connect.protocol': 'fast' },
    /connect\.protocol: String must be one of: eager, compatible, sessioned/,
  ],
  ['a replication factor of 0', { 'status.storage.replication.factor': '0' }, /status\.storage\.replication\.factor/],
  [
    'an unknown exactly.once.source.support value',
    { 'exactly.once.source.support': 'on' },
    /exactly\.once\.source\.support: String must be one of: disabled, preparing, enabled/,
  ],
  [
    'a REST extension Ferry does not have',
    { 'rest.extension.classes': 'com.example.AuditRestExtension' },
    /rest\.extension\.classes: Ferry cannot load the REST extension com\.example\.AuditRestExtension/,
  ],
  [
    'the basic-auth extension without a JAAS file',
    { 'rest.extension.classes': 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension' },
    /needs a JAAS file with a KafkaConnect entry: set rest\.auth\.login\.config/,
  ],
  [
    'an https listener without a keystore',
    { listeners: 'https://127.0.0.1:0' },
    /ssl\.keystore\.location: an https listener needs a keystore/,
  ],
  [
    'a signature algorithm not in the verification list',
    { 'inter.worker.signature.algorithm': 'HmacSHA512' },
    /inter\.worker\.verification\.algorithms/,
  ],
]

for (const [what, props, names] of cases) {
  test(`ferry distributed with ${what} exits 2 with one line naming the key`, async (t) => {
    const { code, stderr } = await runWith(t, props)
    assert.equal(code, 2, stderr)
    assert.equal(stderr.trim().split('\n').length, 1, `one line, got: ${stderr}`)
    assert.match(stderr, names)
  })
}

test('ferry distributed without a file prints its usage and exits 2', async (t) => {
  const dir = await tempDir(t)
  const { code, stdout } = await runFerry(['distributed'], dir)
  assert.equal(code, 2)
  assert.match(stdout, /Usage: ferry distributed <connect-distributed.properties>/)
})
