import { type FileHandle, open } from 'node:fs/promises'
import { ConnectException, type SinkRecord, SinkTask } from '@ferry/api'
import { SINK_FILE_CONFIG } from './file-stream-sink-connector.ts'
import { VERSION } from './version.ts'

/**
 * Appends `String(value)` and a newline per record. Lines are written when `put` returns (one write per batch)
 * and made durable (fsync) by `flush`, which runs before the worker commits offsets.
 */
export class FileStreamSinkTask extends SinkTask {
  #filename: string | null = null
  #file: FileHandle | null = null

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    this.#filename = props[SINK_FILE_CONFIG] || null
    if (this.#filename === null) return
    try {
      this.#file = await open(this.#filename, 'a')
    } catch (e) {
      throw new ConnectException(`Couldn't find or create file '${this.#filename}' for FileStreamSinkTask`, e as Error)
    }
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (records.length === 0) return
    let text = ''
    for (const record of records) text += `${stringValue(record.value)}\n`
    if (this.#file) await this.#file.write(text)
    else process.stdout.write(text)
  }

  override async flush(): Promise<void> {
    await this.#file?.sync()
  }

  async stop(): Promise<void> {
    const file = this.#file
    this.#file = null
    await file?.close()
  }
}

function stringValue(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${stringValue(k)}=${stringValue(v)}`).join(', ')}}`
  if (Array.isArray(value)) return `[${value.map(stringValue).join(', ')}]`
  return String(value)
}
