/**
 * The bucket, through the AWS SDK v3 S3 client (Confluent's S3Storage and S3OutputStream).
 *
 * An object is written through an `S3ObjectOutput`: bytes are buffered (gzip-compressed first when
 * `s3.compression.type=gzip`); once `s3.part.size` bytes are buffered a multipart upload starts and each full part is
 * uploaded; `commit()` uploads the rest and completes it. An object smaller than one part is sent with one PutObject
 * (Confluent always starts a multipart upload; the object is the same). Nothing is visible in the bucket before
 * `commit()` returns, and a failed request leaves the output as it was, so the same call can be made again.
 *
 * With conditional writes (`conditionalWrites` in the settings: Confluent's `enable.conditional.writes` where it
 * applies) the PutObject or CompleteMultipartUpload carries `If-None-Match: *`, so an object that already exists is
 * not overwritten: S3 answers 412 Precondition Failed, and, as Confluent's S3OutputStream, a HEAD of the key then
 * confirms it exists (a 403 counts as existing) and `commit()` throws FileExistsException; when the HEAD says it does
 * not, the contradiction fails the task.
 */
import { once } from 'node:events'
import { createGzip, type Gzip } from 'node:zlib'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { ConnectException } from '@ferry/api'
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import type { S3SinkSettings } from './config.ts'

/** The bucket a task writes to. */
export class S3Storage {
  readonly client: S3Client
  readonly bucket: string
  readonly #settings: S3SinkSettings

  constructor(settings: S3SinkSettings) {
    this.#settings = settings
    this.bucket = settings.bucket
    this.client = newS3Client(settings)
  }

  /** HeadBucket: false when the bucket does not exist; throws for other failures (credentials, network). */
  async bucketExists(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
      return true
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 404) return false
      throw new ConnectException(`Could not reach S3 bucket ${this.bucket}: ${describe(e)}`)
    }
  }

  /** Whether the object `key` exists: HEAD, 404 false, 403 'forbidden' (callers decide, as Confluent's), else throws. */
  async objectExists(key: string): Promise<boolean | 'forbidden'> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return true
    } catch (e) {
      if (httpStatus(e) === 404) return false
      if (httpStatus(e) === 403) return 'forbidden'
      throw new S3RequestException(`HeadObject of s3://${this.bucket}/${key} failed: ${describe(e)}`)
    }
  }

  /** An output for the object `key`. */
  create(key: string, gzip: boolean): S3ObjectOutput {
    const s = this.#settings
    return new S3ObjectOutput(this, key, s.partSize, gzip ? s.compressionLevel : null, s.conditionalWrites)
  }

  close(): void {
    this.client.destroy()
  }
}

/**
 * The S3 client for a config: `store.url` as the endpoint, `s3.path.style.access.enabled`, `s3.region`, the keys when
 * `aws.access.key.id` is set (the default credential chain otherwise), `s3.part.retries` retries with an exponential
 * backoff from `s3.retry.backoff.ms`, `Expect: 100-continue` unless `s3.http.send.expect.continue=false`. No request
 * checksum is sent unless S3 requires one (Confluent's `s3.send.digest=false`).
 */
export function newS3Client(s: S3SinkSettings): S3Client {
  const backoff = s.s3RetryBackoffMs
  return new S3Client({
    region: s.region,
    ...(s.storeUrl ? { endpoint: s.storeUrl } : {}),
    forcePathStyle: s.pathStyle,
    ...(s.accessKeyId && s.secretAccessKey
      ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } }
      : {}),
    retryStrategy: new ConfiguredRetryStrategy(s.partRetries + 1, (attempt) =>
      Math.min(backoff * 2 ** Math.max(0, attempt - 1), 60_000),
    ),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's default sends `Expect: 100-continue` with bodies of 2 MiB or more.
    ...(s.expectContinue ? {} : { expectContinueHeader: false }),
  })
}

/** One object being written. `write` is synchronous; `uploadFullParts` and `commit` do the requests. */
export class S3ObjectOutput {
  readonly key: string
  readonly #storage: S3Storage
  readonly #partSize: number
  #chunks: Buffer[] = []
  #buffered = 0
  #gzip: Gzip | null = null
  #gzipEnded = false
  #uploadId: string | null = null
  readonly #parts: { ETag: string; PartNumber: number }[] = []
  #committed = false
  readonly #conditional: boolean

  constructor(storage: S3Storage, key: string, partSize: number, gzipLevel: number | null, conditional = false) {
    this.#storage = storage
    this.#conditional = conditional
    this.key = key
    this.#partSize = partSize
    if (gzipLevel !== null) {
      this.#gzip = createGzip({ level: gzipLevel })
      this.#gzip.on('data', (chunk: Buffer) => this.#push(chunk))
    }
  }

  /** Bytes waiting to be uploaded. */
  get buffered(): number {
    return this.#buffered
  }

  write(chunk: Uint8Array): void {
    if (this.#gzip) this.#gzip.write(chunk)
    else this.#push(chunk)
  }

  #push(chunk: Uint8Array): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.#chunks.push(b)
    this.#buffered += b.length
  }

  /** Uploads every full part buffered so far (starting the multipart upload with the first). */
  async uploadFullParts(): Promise<void> {
    while (this.#buffered >= this.#partSize) await this.#uploadPart(this.#partSize)
  }

  /** Uploads what is left and makes the object visible. */
  async commit(): Promise<void> {
    if (this.#committed) return
    if (this.#gzip && !this.#gzipEnded) {
      const ended = once(this.#gzip, 'end')
      this.#gzip.end()
      await ended
      this.#gzipEnded = true
    }
    await this.uploadFullParts()
    const bucket = this.#storage.bucket
    const ifNoneMatch = this.#conditional ? { IfNoneMatch: '*' } : {}
    if (this.#uploadId === null) {
      const size = this.#buffered
      await this.#sendFinal(
        'PutObject',
        new PutObjectCommand({ Bucket: bucket, Key: this.key, Body: this.#peek(size), ...ifNoneMatch }),
      )
      this.#take(size) // only now: a failed PutObject is sent again, whole, by the next call
    } else {
      if (this.#buffered > 0 || this.#parts.length === 0) await this.#uploadPart(this.#buffered)
      await this.#sendFinal(
        'CompleteMultipartUpload',
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: this.key,
          UploadId: this.#uploadId,
          MultipartUpload: { Parts: this.#parts },
          ...ifNoneMatch,
        }),
      )
      this.#uploadId = null
    }
    this.#committed = true
  }

  /** The request that makes the object visible; a 412 to a conditional one is checked with a HEAD (see above). */
  async #sendFinal(what: string, command: { input: unknown }): Promise<void> {
    try {
      await this.#storage.client.send(command as any)
    } catch (e) {
      const err = e as { name?: string; Code?: string }
      if (
        !this.#conditional ||
        (httpStatus(e) !== 412 && err.name !== 'PreconditionFailed' && err.Code !== 'PreconditionFailed')
      ) {
        throw new S3RequestException(`${what} of s3://${this.#storage.bucket}/${this.key} failed: ${describe(e)}`)
      }
      // As Confluent: without the right to HEAD (403), the 412 is believed.
      if (!(await this.#storage.objectExists(this.key))) {
        throw new ConnectException(
          `Unexpected state - Contradicting response from conditional upload and file exists call in S3: ${what} of s3://${this.#storage.bucket}/${this.key} answered ${describe(e)}, HeadObject found no object`,
        )
      }
      await this.abort()
      throw new FileExistsException(
        `s3://${this.#storage.bucket}/${this.key} already exists (${what} with If-None-Match: * answered ${describe(e)})`,
      )
    }
  }

  /** Drops the object: aborts a multipart upload in progress (best effort; S3 lifecycle rules clean up the rest). */
  async abort(): Promise<void> {
    this.#gzip?.destroy()
    this.#chunks = []
    this.#buffered = 0
    const uploadId = this.#uploadId
    this.#uploadId = null
    if (uploadId === null) return
    try {
      await this.#storage.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#storage.bucket, Key: this.key, UploadId: uploadId }),
      )
    } catch {}
  }

  async #uploadPart(size: number): Promise<void> {
    const bucket = this.#storage.bucket
    if (this.#uploadId === null) {
      const res = await this.#send<{ UploadId?: string }>(
        'CreateMultipartUpload',
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: this.key }),
      )
      this.#uploadId = res.UploadId ?? null
      if (!this.#uploadId) throw new ConnectException(`S3 returned no upload id for s3://${bucket}/${this.key}`)
    }
    const body = this.#peek(size)
    const partNumber = this.#parts.length + 1
    const res = await this.#send<{ ETag?: string }>(
      'UploadPart',
      new UploadPartCommand({
        Bucket: bucket,
        Key: this.key,
        UploadId: this.#uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    )
    // Only now are the bytes gone: a failed part is sent again by the next call.
    this.#take(size)
    this.#parts.push({ ETag: res.ETag ?? '', PartNumber: partNumber })
  }

  /** The first `size` buffered bytes, left in the buffer. */
  #peek(size: number): Buffer {
    const first = this.#chunks[0]
    if (first && first.length >= size) return first.subarray(0, size)
    const all = Buffer.concat(this.#chunks, this.#buffered)
    this.#chunks = [all]
    return all.subarray(0, size)
  }

  /** Removes and returns the first `size` buffered bytes. */
  #take(size: number): Buffer {
    const head = this.#peek(size)
    const first = this.#chunks[0]!
    this.#chunks = first.length === size ? this.#chunks.slice(1) : [first.subarray(size), ...this.#chunks.slice(1)]
    this.#buffered -= size
    return head
  }

  async #send<T>(what: string, command: { input: unknown }): Promise<T> {
    try {
      return (await this.#storage.client.send(command as any)) as T
    } catch (e) {
      throw new S3RequestException(`${what} of s3://${this.#storage.bucket}/${this.key} failed: ${describe(e)}`)
    }
  }
}

/**
 * A conditional write found its object already there (Confluent's FileExistsException): the partition rewinds to the
 * next offset at which no object starts (see TopicPartitionWriter).
 */
export class FileExistsException extends ConnectException {
  override readonly name = 'FileExistsException'
}

/** An S3 request that failed after the client's retries; the sink retries it after `retry.backoff.ms`. */
export class S3RequestException extends ConnectException {
  override readonly name = 'S3RequestException'
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = err.$metadata?.httpStatusCode
  return `${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err.message ?? String(e)}`
}
