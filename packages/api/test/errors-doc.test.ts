import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { ErrorCode } from '../src/errors.ts'

test('docs/errors.md lists every error code and no code that does not exist', async () => {
  const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const documented = new Set(doc.match(/FERRY_ERR_[A-Z_]+/g))
  assert.deepEqual([...documented].sort(), Object.values(ErrorCode).sort())
})
