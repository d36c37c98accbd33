import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { PAGE, renderClientKeys } from '../client-keys.ts'

test('docs/client-keys.md matches the client key table (regenerate with node scripts/docs/client-keys.ts)', () => {
  assert.equal(readFileSync(PAGE, 'utf8'), renderClientKeys())
})
