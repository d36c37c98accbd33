import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { tempDir } from '@ferry/testing'
import { readConnectorFile, UsageError } from '../src/main.ts'

test('a connector JSON file may be a {"name","config"} request', async (t) => {
  const file = join(await tempDir(t), 'c.json')
  await writeFile(
    file,
    JSON.stringify({ name: 'src', config: { 'connector.class': 'FileStreamSource', 'tasks.max': 1 } }),
  )
  assert.deepEqual(await readConnectorFile(file), {
    name: 'src',
    config: { 'connector.class': 'FileStreamSource', 'tasks.max': '1', name: 'src' },
  })
})

test('a connector JSON file may be a flat config map', async (t) => {
  const file = join(await tempDir(t), 'c.json')
  await writeFile(file, JSON.stringify({ name: 'flat', 'connector.class': 'FileStreamSink', topics: 'a,b' }))
  assert.deepEqual(await readConnectorFile(file), {
    name: 'flat',
    config: { name: 'flat', 'connector.class': 'FileStreamSink', topics: 'a,b' },
  })
})

test('a .properties connector file is read as Java properties', async (t) => {
  const file = join(await tempDir(t), 'c.properties')
  await writeFile(file, '# comment\nname=props\nconnector.class=FileStreamSource\ntopic=t\n')
  assert.deepEqual((await readConnectorFile(file)).config, {
    name: 'props',
    'connector.class': 'FileStreamSource',
    topic: 't',
  })
})

test('a name in the request that differs from config.name is refused with Apache’s message', async (t) => {
  const file = join(await tempDir(t), 'c.json')
  await writeFile(file, JSON.stringify({ name: 'a', config: { name: 'b' } }))
  await assert.rejects(readConnectorFile(file), /Connector name configuration \(b\) doesn't match connector name \(a\)/)
})

test('broken JSON, a missing name and a missing file are usage errors that name the file', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'broken.json'), '{"name": ')
  await writeFile(join(dir, 'noname.properties'), 'connector.class=FileStreamSource\n')
  await assert.rejects(
    readConnectorFile(join(dir, 'broken.json')),
    (e) => e instanceof UsageError && /broken\.json is not valid JSON/.test(e.message),
  )
  await assert.rejects(readConnectorFile(join(dir, 'noname.properties')), /Missing required configuration "name"/)
  await assert.rejects(
    readConnectorFile(join(dir, 'missing.json')),
    /cannot read connector config file .*missing\.json: no such file/,
  )
})
