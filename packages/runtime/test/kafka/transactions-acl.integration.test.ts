/**
 * The transactional producer against a broker with ACLs (a secured broker of its own): a principal without WRITE on
 * its transactional id is refused at initTransactions, the error naming the ACL it needs; alice, allowed, commits.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { startSecuredKafka } from '../../../../scripts/kafka/harness.ts'
import type { AclSpec } from '../../../../scripts/kafka/security.ts'
import { parseSecurity } from '../../src/kafka/client-config.ts'
import { KafkaProducer } from '../../src/kafka/clients.ts'

test('without WRITE on its transactional id a producer fails at initTransactions with TransactionalIdAuthorizationException naming the ACL', async (t) => {
  const cluster = await startSecuredKafka()
  t.after(() => cluster.stop())
  const id = randomName('tx')
  const topic = randomName('acl-txn')
  const acls: AclSpec[] = [
    { principal: 'User:*', operation: 'ALL', permission: 'ALLOW', resourceType: 'TRANSACTIONAL_ID', resourceName: id },
    {
      principal: 'User:bob',
      operation: 'WRITE',
      permission: 'DENY',
      resourceType: 'TRANSACTIONAL_ID',
      resourceName: id,
    },
  ]
  await cluster.addAcl(...acls)
  const producerFor = (user: string) =>
    new KafkaProducer({
      bootstrapServers: [cluster.listeners.SASL_PLAINTEXT.bootstrap],
      clientId: randomName(user),
      security: parseSecurity(cluster.clientProps('SASL_PLAINTEXT', 'PLAIN', user)),
      transactionalId: id,
    })

  const bob = producerFor('bob')
  try {
    await assert.rejects(bob.initTransactions(), {
      name: 'TransactionalIdAuthorizationException',
      apiId: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
      message: `Transactional Id authorization failed. (User:bob needs WRITE on transactional id ${id})`,
    })
  } finally {
    await bob.close()
  }
  const alice = producerFor('alice')
  try {
    await alice.initTransactions()
    alice.beginTransaction()
    await alice.send([{ topic, key: null, value: Buffer.from('allowed') }])
    await alice.commitTransaction()
  } finally {
    await alice.close()
  }
})
