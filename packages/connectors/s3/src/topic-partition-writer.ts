/**
 * Confluent's TopicPartitionWriter: the open objects of one Kafka partition, and when they are committed.
 *
 * Each record goes to the object of its encoded partition, named
 * `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<zero-padded start offset><ext>` after the offset of
 * its first record. All open objects of the partition are committed (uploaded) together when:
 * - `flush.size` records were written since the last commit;
 * - `rotate.interval.ms` (time-based partitioners): a record's time is that far past the first record's of the
 *   files, or (`rotate.file.on.partition.change`) it goes to another encoded partition than the record before;
 * - `rotate.schedule.interval.ms`: the wall clock passed the next multiple of it after midnight in `timezone`;
 * - a record's value schema differs from the one its object was opened with (`schema.compatibility=NONE`).
 * Only then does the partition's committable offset move, to the offset after the last record written, so the
 * consumer resumes at the first record of an object and a redelivery writes the same objects again: the bucket holds
 * each record once (rotation by record count and record time is deterministic; by wall clock it is not).
 *
 * Committed objects upload in the background while the next ones fill (at most MAX_UPLOADS_IN_FLIGHT commits per
 * partition), and the committable offset moves only past uploads that finished, in order. A failed upload is made
 * again by the next `write`, which throws when it fails again (the batch is then delivered again and records at
 * offsets already taken are skipped).
 *
 * With conditional writes (storage.ts) an object found already in the bucket is not overwritten, and, as Confluent's
 * TopicPartitionWriter and S3SinkTask, the partition rewinds: from the offset after the object's start offset, the
 * first offset at which no object starts (checked with HEAD for the first `max.files.scan.limit` records of the
 * commit; a 403 stops there), or the start of an object of the same commit not yet uploaded if lower, is where the
 * task seeks the consumer; the writer, its open objects and later uploads are dropped (RewindException). So that
 * no later upload lands first, each upload then waits for the one before (the objects still fill meanwhile).
 */
import {
  ConnectException,
  DataException,
  type ErrantRecordReporter,
  RetriableException,
  type Schema,
  type SinkRecord,
  schemaEquals,
} from '@ferry/api'
import type { S3SinkSettings } from './config.ts'
import type { TimeZone } from './date-format.ts'
import type { Format, RecordWriter } from './formats/format.ts'
import { nextScheduledRotation, PartitionException, type Partitioner, type TimestampExtractor } from './partitioner.ts'
import type { S3ObjectOutput, S3Storage } from './storage.ts'

/** The partition must be read again from `offset` by a new writer (see above). */
export class RewindException extends RetriableException {
  override readonly name = 'RewindException'
  readonly offset: number
  constructor(offset: number, message: string) {
    super(message)
    this.offset = offset
  }
}

/** Objects committed together, uploading in the background; `offset` is committable once they all are in the bucket. */
interface Upload {
  files: OpenFile[]
  /** The file whose commit failed. */
  failed: OpenFile | null
  /** With conditional writes: the key an object starting at each offset would have (the first records only). */
  offsetToFilename: Map<number, string>
  offset: number
  done: boolean
  error: unknown
  promise: Promise<void>
}

/**
 * Uploads of one partition that may be in flight while the next objects fill: the consumer keeps going while S3
 * answers. More wait (back-pressure), so at most this many objects are held in memory beside the open ones.
 */
const MAX_UPLOADS_IN_FLIGHT = 2

interface OpenFile {
  key: string
  startOffset: number
  schema: Schema | null
  out: S3ObjectOutput
  writer: RecordWriter
  finished: boolean
}

export class TopicPartitionWriter {
  readonly topic: string
  readonly partition: number
  readonly #storage: S3Storage
  readonly #format: Format
  readonly #partitioner: Partitioner
  readonly #s: S3SinkSettings
  readonly #reporter: ErrantRecordReporter | null
  readonly #extractor: TimestampExtractor | null
  readonly #zone: TimeZone | null
  #buffer: SinkRecord[] = []
  #next = 0
  /** The offset after the last record taken into the buffer: records delivered again below it are skipped. */
  #nextOffset: number | null = null
  readonly #files = new Map<string, OpenFile>()
  #recordCount = 0
  #currentOffset = -1
  #currentEncodedPartition: string | null = null
  #currentTimestamp: number | null = null
  #baseRecordTimestamp: number | null = null
  #nextScheduledRotation = 0
  readonly #uploads: Upload[] = []
  #offsetToFilename = new Map<number, string>()
  #offsetToCommit: number | null = null

  constructor(
    tp: { topic: string; partition: number },
    storage: S3Storage,
    format: Format,
    partitioner: Partitioner,
    settings: S3SinkSettings,
    reporter: ErrantRecordReporter | null,
    zone: TimeZone | null,
  ) {
    this.topic = tp.topic
    this.partition = tp.partition
    this.#storage = storage
    this.#format = format
    this.#partitioner = partitioner
    this.#s = settings
    this.#reporter = reporter
    this.#extractor = partitioner.timestampExtractor
    this.#zone = zone
    this.#setNextScheduledRotation(Date.now())
  }

  /** Takes a record to write; one at an offset already taken (a batch delivered again) is skipped. */
  buffer(record: SinkRecord): void {
    if (this.#nextOffset !== null && record.kafkaOffset < this.#nextOffset) return
    this.#nextOffset = record.kafkaOffset + 1
    this.#buffer.push(record)
  }

  /** Writes the buffered records, committing objects as the rotation rules say. */
  async write(now: number = Date.now()): Promise<void> {
    await this.#settleUploads(MAX_UPLOADS_IN_FLIGHT - 1)
    for (const file of this.#files.values()) await file.out.uploadFullParts()
    if (this.#recordCount === 0 && this.#scheduledRotationDue(now)) this.#setNextScheduledRotation(now)
    while (this.#next < this.#buffer.length) {
      const record = this.#buffer[this.#next]!
      if (this.#extractor) {
        this.#currentTimestamp = this.#extractor(record, now)
        this.#baseRecordTimestamp ??= this.#currentTimestamp
      }
      let encoded: string
      try {
        encoded = this.#partitioner.encodePartition(record, now)
      } catch (e) {
        if (e instanceof PartitionException && this.#reporter) {
          await this.#reporter.report(record, e)
          this.#next++
          continue
        }
        throw e
      }
      if (this.#s.conditionalWrites && this.#offsetToFilename.size < this.#s.maxFilesScanLimit) {
        this.#offsetToFilename.set(record.kafkaOffset, this.#fileKey(encoded, record.kafkaOffset))
      }
      if (this.#rotateOnTime(encoded, this.#currentTimestamp, now)) {
        this.#setNextScheduledRotation(now)
        await this.#commitFiles()
        continue
      }
      const open = this.#files.get(encoded)
      if (open && open.schema !== record.valueSchema && !schemaEquals(open.schema, record.valueSchema)) {
        await this.#commitFiles()
        continue
      }
      // Synchronous unless the record is errant: no await per record on the way through.
      const file = this.#writeRecord(record, encoded, open)
      this.#next++
      if (file instanceof Promise) {
        await file
        continue
      }
      if (this.#recordCount >= this.#s.flushSize) await this.#commitFiles()
      else if (file.out.buffered >= this.#s.partSize) await file.out.uploadFullParts()
    }
    this.#buffer = []
    this.#next = 0
    if (
      this.#recordCount > 0 &&
      this.#currentEncodedPartition !== null &&
      this.#rotateOnTime(this.#currentEncodedPartition, this.#currentTimestamp, now)
    ) {
      this.#setNextScheduledRotation(now)
      await this.#commitFiles()
    }
  }

  /**
   * The offset to commit for this partition since the last call (null: nothing new was uploaded). Waits for the
   * uploads in flight first; one that failed is left for the next `write` to make again.
   */
  async offsetToCommitAndReset(): Promise<number | null> {
    await Promise.all(this.#uploads.map((u) => u.promise))
    this.#harvest()
    const offset = this.#offsetToCommit
    this.#offsetToCommit = null
    return offset
  }

  /** Drops the open objects (their records are delivered again to the partition's next owner). */
  async close(): Promise<void> {
    const files = [...this.#files.values()]
    this.#files.clear()
    // Uploads in flight may still land: their records are delivered again and written to the same objects.
    await Promise.all(this.#uploads.map((u) => u.promise))
    this.#uploads.length = 0
    await Promise.all(files.map((f) => f.out.abort()))
  }

  /** Writes one record to its object and returns the object; a record the format cannot hold is reported (async). */
  #writeRecord(record: SinkRecord, encoded: string, open: OpenFile | undefined): OpenFile | Promise<void> {
    let file = open
    let out: S3ObjectOutput | null = null
    try {
      if (!file) {
        const key = this.#fileKey(encoded, record.kafkaOffset)
        out = this.#storage.create(key, this.#format.gzip)
        file = {
          key,
          startOffset: record.kafkaOffset,
          schema: record.valueSchema,
          out,
          writer: this.#format.newWriter(out, key, record.valueSchema),
          finished: false,
        }
      }
      file.writer.write(record)
    } catch (e) {
      if (out) void out.abort() // nothing was uploaded: this only frees it
      if (!(e instanceof DataException)) throw e
      return this.#errant(record, e)
    }
    if (!open) this.#files.set(encoded, file)
    this.#currentEncodedPartition = encoded
    this.#currentOffset = record.kafkaOffset
    this.#recordCount++
    return file
  }

  /** Reports a record the format cannot hold, or fails naming it. */
  async #errant(record: SinkRecord, e: DataException): Promise<void> {
    if (!this.#reporter) {
      throw new ConnectException(
        `Could not write ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset}: ${e.message}`,
      )
    }
    await this.#reporter.report(record, e)
  }

  /**
   * Closes every open object and starts uploading them; the next records go to new objects. Waits while more than
   * MAX_UPLOADS_IN_FLIGHT uploads are unfinished, and throws when one failed (it is made again by the next `write`).
   */
  async #commitFiles(): Promise<void> {
    const files = [...this.#files.values()]
    for (const file of files) {
      if (!file.finished) {
        await file.writer.finish()
        file.finished = true
      }
    }
    this.#files.clear()
    const upload: Upload = {
      files,
      failed: null,
      offsetToFilename: this.#offsetToFilename,
      offset: this.#currentOffset + 1,
      done: false,
      error: null,
      promise: Promise.resolve(),
    }
    this.#offsetToFilename = new Map()
    // With conditional writes an upload waits for the one before: an object found existing drops the later ones
    // before they land, as Confluent's uploads, one at a time, would.
    this.#startUpload(upload, this.#s.conditionalWrites ? this.#uploads.at(-1) : undefined)
    this.#uploads.push(upload)
    this.#recordCount = 0
    this.#baseRecordTimestamp = null
    await this.#settleUploads(MAX_UPLOADS_IN_FLIGHT)
  }

  #startUpload(upload: Upload, after?: Upload): void {
    upload.error = null
    upload.promise = (async () => {
      if (after) {
        await after.promise
        // Not made: `#settleUploads` starts it again once it is the oldest.
        if (!after.done) throw new ConnectException(`an earlier upload of ${this.topic}-${this.partition} failed`)
      }
      for (const file of upload.files) {
        upload.failed = file
        await file.out.commit()
      }
      upload.failed = null
    })().then(
      () => {
        upload.done = true
      },
      (e: unknown) => {
        upload.error = e
      },
    )
  }

  /** Makes the finished uploads' offset committable, in order. */
  #harvest(): void {
    while (this.#uploads[0]?.done) this.#offsetToCommit = this.#uploads.shift()!.offset
  }

  /** Waits until at most `limit` uploads are unfinished; a failed one is made again, and throws if it fails again. */
  async #settleUploads(limit: number): Promise<void> {
    for (;;) {
      this.#harvest()
      const oldest = this.#uploads[0]
      if (!oldest) return
      if (oldest.error instanceof Error && oldest.error.name === 'FileExistsException') {
        throw await this.#rewind(oldest, oldest.failed!, oldest.error)
      }
      if (oldest.error !== null) {
        this.#startUpload(oldest)
        await oldest.promise
        if (oldest.error !== null) throw oldest.error
        continue
      }
      if (this.#uploads.length <= limit) return
      await oldest.promise
    }
  }

  /** Where to read again from after `file` of `upload` was found already written (Confluent's findNextAvailableFile). */
  async #rewind(upload: Upload, file: OpenFile, cause: Error): Promise<RewindException> {
    const limit = this.#s.maxFilesScanLimit
    let next = file.startOffset + 1
    const end = next + limit
    for (; next < end; next++) {
      const key = upload.offsetToFilename.get(next)
      if (key === undefined || (await this.#storage.objectExists(key)) !== true) break
    }
    const notUploaded = upload.files.slice(upload.files.indexOf(file) + 1).map((f) => f.startOffset)
    const offset = Math.min(next, ...notUploaded)
    return new RewindException(
      offset,
      `${cause.message}: ${this.topic}-${this.partition} is read again from offset ${offset}`,
    )
  }

  #fileKey(encoded: string, startOffset: number): string {
    const s = this.#s
    const name = `${this.topic}${s.fileDelim}${this.partition}${s.fileDelim}${String(startOffset).padStart(s.zeroPadWidth, '0')}${this.#format.extension}`
    const path = `${this.#partitioner.generatePartitionedPath(this.topic, encoded)}${s.directoryDelim}${name}`
    return s.topicsDir.trim() ? `${s.topicsDir}${s.directoryDelim}${path}` : path
  }

  #rotateOnTime(encoded: string, timestamp: number | null, now: number): boolean {
    if (this.#recordCount <= 0) return false
    const s = this.#s
    const base = this.#baseRecordTimestamp
    const periodic =
      s.rotateIntervalMs > 0 &&
      this.#extractor !== null &&
      ((base !== null && timestamp !== null && timestamp - base >= s.rotateIntervalMs) ||
        (s.rotateOnPartitionChange && encoded !== this.#currentEncodedPartition))
    return periodic || this.#scheduledRotationDue(now)
  }

  #scheduledRotationDue(now: number): boolean {
    return this.#s.rotateScheduleIntervalMs > 0 && now >= this.#nextScheduledRotation
  }

  #setNextScheduledRotation(now: number): void {
    if (this.#s.rotateScheduleIntervalMs > 0 && this.#zone) {
      this.#nextScheduledRotation = nextScheduledRotation(now, this.#s.rotateScheduleIntervalMs, this.#zone)
    }
  }
}
