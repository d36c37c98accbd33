import assert from 'node:assert/strict'
import { test } from 'node:test'
import { matchesSecret, secretDigest } from '../../src/auth/secret.ts'

test('a secret matches its own digest only: not a prefix, a longer text, another case or the empty text', () => {
  const digest = secretDigest('s3cret-é')
  assert.equal(matchesSecret(digest, 's3cret-é'), true)
  for (const other of ['s3cret-', 's3cret-éé', 'S3CRET-É', '', 's3cret-e'])
    assert.equal(matchesSecret(digest, other), false, other)
})
