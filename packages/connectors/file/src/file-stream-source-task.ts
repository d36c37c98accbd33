import { type FileHandle, open } from 'node:fs/promises'
import { ConnectException, type OffsetMap, Schema, SourceRecord, SourceTask } from '@ferry/api'
import { FILE_CONFIG, TASK_BATCH_SIZE_CONFIG, TOPIC_CONFIG } from './file-stream-source-connector.ts'
import { VERSION } from './version.ts'

export const FILENAME_FIELD = 'filename'
export const POSITION_FIELD = 'position'
const CHUNK = 64 * 1024
const NEWLINE = 0x0a
const CR = 0x0d

/**
 * Reads lines from a file (or standard input) and emits one STRING record per line, without a key. The source
 * partition is `{"filename": path}` and the offset `{"position": bytes}`, the byte position after the line, so a
 * restarted task resumes after the last committed line. At the end of the file it waits for more, like `tail -f`.
 */
export class FileStreamSourceTask extends SourceTask {
  #filename: string | null = null
  #topic = ''
  #batchSize = 2000
  #file: FileHandle | null = null
  #stdin: AsyncIterator<Buffer> | null = null
  #position = 0
  #pending: Buffer = Buffer.alloc(0)
  #partition: OffsetMap | null = null
  #stopped = false
  #wake: (() => void) | null = null

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    this.#filename = props[FILE_CONFIG] || null
    this.#topic = props[TOPIC_CONFIG] ?? ''
    this.#batchSize = Number(props[TASK_BATCH_SIZE_CONFIG] ?? 2000)
    if (this.#filename === null) {
      this.#stdin = process.stdin[Symbol.asyncIterator]()
      return
    }
    this.#partition = { [FILENAME_FIELD]: this.#filename }
    const stored = this.context.offsetStorageReader().offset(this.#partition)
    if (stored) {
      const position = stored[POSITION_FIELD]
      if (typeof position !== 'number' && typeof position !== 'bigint') {
        throw new ConnectException(`Offset position is the incorrect type: ${typeof position}`)
      }
      this.#position = Number(position)
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.#stopped) return null
    if (this.#stdin) return this.#pollStdin()
    if (!this.#file) {
      try {
        const file = await open(this.#filename!, 'r')
        if (this.#stopped) {
          // Stopped while opening: stop() found nothing to close, so the handle is closed here.
          await file.close()
          return null
        }
        this.#file = file
      } catch (e) {
        const err = e as NodeJS.ErrnoException
        if (err.code === 'ENOENT') {
          // Apache waits for the file to appear.
          await this.#sleep(1000)
          return null
        }
        throw new ConnectException(`Couldn't open file ${this.#filename}: ${err.message}`, err)
      }
    }
    const file = this.#file
    const records: SourceRecord[] = []
    let readPosition = this.#position + this.#pending.length
    while (records.length < this.#batchSize && !this.#stopped) {
      this.#takeLines(records)
      if (records.length >= this.#batchSize) break
      const buffer = Buffer.allocUnsafe(CHUNK)
      let bytesRead: number
      try {
        ;({ bytesRead } = await file.read(buffer, 0, CHUNK, readPosition))
      } catch (e) {
        throw new ConnectException(
          `Error while reading from file ${this.#filename}: ${(e as Error).message}`,
          e as Error,
        )
      }
      if (bytesRead === 0) break
      readPosition += bytesRead
      const chunk = buffer.subarray(0, bytesRead)
      this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    }
    if (records.length === 0) {
      await this.#sleep(1000)
      return null
    }
    return records
  }

  /** Moves complete lines from the pending bytes into records, advancing the position past each newline. */
  #takeLines(records: SourceRecord[]): void {
    const pending = this.#pending
    let start = 0
    while (records.length < this.#batchSize) {
      const nl = pending.indexOf(NEWLINE, start)
      if (nl < 0) break
      const end = nl > start && pending[nl - 1] === CR ? nl - 1 : nl
      const line = pending.toString('utf8', start, end)
      this.#position += nl + 1 - start
      start = nl + 1
      records.push(
        new SourceRecord(
          this.#partition,
          this.#partition && { [POSITION_FIELD]: this.#position },
          this.#topic,
          null,
          null,
          null,
          Schema.STRING_SCHEMA,
          line,
        ),
      )
    }
    this.#pending = start === pending.length ? Buffer.alloc(0) : pending.subarray(start)
  }

  async #pollStdin(): Promise<SourceRecord[] | null> {
    const records: SourceRecord[] = []
    this.#takeLines(records)
    if (records.length > 0) return records
    const next = await this.#stdin!.next()
    if (next.done) {
      await this.#sleep(1000)
      return null
    }
    this.#pending = Buffer.concat([this.#pending, next.value])
    this.#takeLines(records)
    return records.length > 0 ? records : null
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#wake?.()
    const file = this.#file
    this.#file = null
    await file?.close()
  }
}
