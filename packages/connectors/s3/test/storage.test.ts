import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException } from '@ferry/api'
import { s3Settings } from '../src/config.ts'
import { S3Storage } from '../src/storage.ts'

const base = {
  's3.bucket.name': 'b',
  'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
  'format.class': 'JsonFormat',
  'flush.size': '3',
  'store.url': 'http://127.0.0.1:9',
  's3.part.size': '5242880',
  'aws.access.key.id': 'a',
  'aws.secret.access.key': 'b',
}
const scheduled = { ...base, 'rotate.schedule.interval.ms': '3600000', timezone: 'UTC' }

/** A storage whose client answers `answer(commandName, input)` instead of calling S3; the requests are kept. */
function storageAnswering(props: Record<string, string>, answer: (name: string, input: any) => unknown) {
  const storage = new S3Storage(s3Settings(props))
  const sent: { name: string; input: any }[] = []
  ;(storage.client as unknown as { send: unknown }).send = async (command: {
    constructor: { name: string }
    input: unknown
  }) => {
    const name = command.constructor.name.replace(/Command$/, '')
    sent.push({ name, input: command.input })
    return answer(name, command.input)
  }
  return { storage, sent }
}

const failure = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })

test('with conditional writes PutObject and CompleteMultipartUpload carry If-None-Match: *; without, neither does', async () => {
  for (const [props, expected] of [
    [scheduled, '*'],
    [{ ...scheduled, 'enable.conditional.writes': 'false' }, undefined],
    [base, undefined],
  ] as const) {
    const { storage, sent } = storageAnswering(props, (name) =>
      name === 'CreateMultipartUpload' ? { UploadId: 'u' } : { ETag: 'e' },
    )
    const small = storage.create('small', false)
    small.write(Buffer.from('x'))
    await small.commit()
    const large = storage.create('large', false)
    large.write(Buffer.alloc(5 * 1024 * 1024 + 1))
    await large.commit()
    const final = sent.filter((r) => r.name === 'PutObject' || r.name === 'CompleteMultipartUpload')
    assert.deepEqual(
      final.map((r) => [r.name, r.input.IfNoneMatch]),
      [
        ['PutObject', expected],
        ['CompleteMultipartUpload', expected],
      ],
    )
    storage.close()
  }
})

test('a 412 to a conditional write is checked with a HEAD: the object exists (or HEAD is forbidden) -> FileExistsException; it does not -> the task fails', async () => {
  for (const [head, outcome] of [
    [200, 'FileExistsException'],
    [403, 'FileExistsException'],
    [404, 'Contradicting'],
  ] as const) {
    for (const code of ['PreconditionFailed/412', 'PreconditionFailed/200']) {
      const [errName, status] = code.split('/')
      const { storage, sent } = storageAnswering(scheduled, (name) => {
        if (name === 'PutObject') throw failure(errName!, Number(status))
        if (name === 'HeadObject' && head !== 200) throw failure('Head', head)
        return {}
      })
      const out = storage.create('k', false)
      out.write(Buffer.from('x'))
      await assert.rejects(out.commit(), (e: unknown) => {
        assert.ok(e instanceof ConnectException)
        if (outcome === 'FileExistsException') assert.equal(e.name, 'FileExistsException')
        else assert.match(e.message, /Contradicting response from conditional upload and file exists call/)
        return true
      })
      assert.deepEqual(
        sent.map((r) => r.name),
        ['PutObject', 'HeadObject'],
      )
      storage.close()
    }
  }
  // Without conditional writes a 412 is an ordinary failed request, made again later.
  const { storage } = storageAnswering(base, () => {
    throw failure('PreconditionFailed', 412)
  })
  const out = storage.create('k', false)
  out.write(Buffer.from('x'))
  await assert.rejects(out.commit(), (e: unknown) => e instanceof Error && e.name === 'S3RequestException')
  storage.close()
})
