import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { randomName } from '@ferry/testing'
import { type SchemaRegistryServer, startApicurio } from '../../../../scripts/apicurio/harness.ts'
import { RestClientException, SUBJECT_NOT_FOUND } from '../../src/schema-registry/rest-service.ts'
import { CachedSchemaRegistryClient } from '../../src/schema-registry/schema-registry-client.ts'
import { clientOptionsFrom, registryClientConfigDef } from '../../src/schema-registry/schema-registry-client-config.ts'

let registry: SchemaRegistryServer

before(async () => {
  registry = await startApicurio()
})
after(async () => {
  await registry?.stop()
})

function client(props: Record<string, unknown>): CachedSchemaRegistryClient {
  return new CachedSchemaRegistryClient(clientOptionsFrom(registryClientConfigDef().parse(props), props))
}

const record = (fields: string) => `{"type":"record","name":"R","namespace":"ferry.test","fields":[${fields}]}`

test('against Apicurio: register, look up, read by id and the latest version of a subject, which evolves', async () => {
  const c = client({ 'schema.registry.url': registry.confluentUrl, 'latest.cache.ttl.sec': 0 })
  const subject = `${randomName('topic')}-value`
  const v1 = { schema: record('{"name":"a","type":"int"}') }
  const id1 = await c.register(subject, v1)
  assert.equal(await c.getId(subject, v1), id1)
  const latest1 = await c.getLatestSchemaMetadata(subject)
  assert.equal(latest1.id, id1)
  assert.equal(latest1.version, 1)
  assert.equal(latest1.subject, subject)
  // Adding an optional field is a new version under the subject's default (backward) compatibility.
  const v2 = { schema: record('{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}') }
  const id2 = await c.register(subject, v2)
  assert.notEqual(id2, id1)
  const latest2 = await c.getLatestSchemaMetadata(subject)
  assert.deepEqual([latest2.id, latest2.version], [id2, 2])
  assert.equal((await c.getSchemaMetadata(subject, 1)).id, id1)
  // A second client (no cache) reads the same schema back by id.
  const other = client({ 'schema.registry.url': registry.confluentUrl })
  assert.deepEqual(JSON.parse((await other.getSchemaById(id2)).schema), JSON.parse(v2.schema))
  await assert.rejects(
    other.getLatestSchemaMetadata(randomName('missing')),
    (e: unknown) => e instanceof RestClientException && e.errorCode === SUBJECT_NOT_FOUND,
  )
  c.close()
  other.close()
})

test('against Apicurio: a dead first URL fails over to the registry', async () => {
  const c = client({ 'schema.registry.url': `http://127.0.0.1:1,${registry.confluentUrl}`, 'max.retries': 0 })
  const subject = `${randomName('topic')}-key`
  const id = await c.register(subject, { schema: '"string"' })
  assert.deepEqual(await c.getSchemaById(id), { schema: '"string"' })
  c.close()
})
