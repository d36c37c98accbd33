/**
 * The queue between the replication connection and `poll` (Debezium's ChangeEventQueue): messages received and not
 * yet taken, kept as the bytes the server sent (one Buffer each, decoded only when taken), at most `max.queue.size`
 * messages and, when `max.queue.size.in.bytes` is positive, at most that many bytes. When either bound is reached the
 * source is paused (the socket stops reading, and TCP holds the server back); messages the last network read already
 * held still join the queue, so it can go past a bound by what one read holds. The source resumes once a take leaves
 * the queue under half of each bound, so a paused connection always resumes when `poll` drains the queue.
 */
export interface Flow {
  pause(): void
  resume(): void
}

export class ChangeQueue {
  readonly #maxMessages: number
  /** 0: no bound in bytes (Debezium's default). */
  readonly #maxBytes: number
  readonly #flow: Flow
  #items: Buffer[] = []
  #bytes = 0
  #paused = false
  #error: Error | null = null
  #closed = false
  #waiter: (() => void) | null = null

  constructor(maxMessages: number, maxBytes: number, flow: Flow) {
    this.#maxMessages = maxMessages
    this.#maxBytes = maxBytes
    this.#flow = flow
  }

  /** Messages waiting. */
  get size(): number {
    return this.#items.length
  }

  /** Bytes of the messages waiting. */
  get bytes(): number {
    return this.#bytes
  }

  get paused(): boolean {
    return this.#paused
  }

  /** Adds a message (the caller's own copy: it is kept as is); pauses the source once a bound is reached. */
  push(message: Buffer): void {
    this.#items.push(message)
    this.#bytes += message.length
    if (!this.#paused && this.#full()) {
      this.#paused = true
      this.#flow.pause()
    }
    this.#wake()
  }

  #full(): boolean {
    return this.#items.length >= this.#maxMessages || (this.#maxBytes > 0 && this.#bytes >= this.#maxBytes)
  }

  /** The source failed: `take` throws `e` once the messages before it are taken. */
  fail(e: Error): void {
    if (this.#closed) return
    this.#error ??= e
    this.#wake()
  }

  /** No more messages: a waiting `take` returns at once. */
  close(): void {
    this.#closed = true
    this.#wake()
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = null
    w?.()
  }

  /** Up to `max` messages in arrival order, waiting up to `waitMs` for the first; throws once the source failed. */
  async take(max: number, waitMs: number): Promise<Buffer[]> {
    if (this.#items.length === 0 && !this.#error && !this.#closed) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(() => {
          this.#waiter = null
          ok()
        }, waitMs)
        this.#waiter = () => {
          clearTimeout(timer)
          ok()
        }
      })
    }
    if (this.#items.length === 0 && this.#error) throw this.#error
    const out = this.#items.length <= max ? this.#items : this.#items.slice(0, max)
    this.#items = this.#items.length <= max ? [] : this.#items.slice(max)
    for (const m of out) this.#bytes -= m.length
    if (
      this.#paused &&
      this.#items.length < this.#maxMessages / 2 &&
      (this.#maxBytes === 0 || this.#bytes < this.#maxBytes / 2)
    ) {
      this.#paused = false
      this.#flow.resume()
    }
    return out
  }
}
