/**
 * Requests Node's HTTP parser refuses before fastify sees them, answered as Jetty answers them but with Apache's
 * `{"error_code","message"}` body, and the connection closed: a request line over the header size limit is 414, the
 * header block 431, a method the parser does not know 405 on a known path (404 elsewhere), `CONNECT` 400, anything
 * else that is not HTTP 400.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { httpStatusError } from './errors.ts'

/** Writes one error answer on a raw socket and closes it. */
export function answerAndClose(socket: Duplex, status: number, message = httpStatusError(status).message): void {
  if (socket.destroyed) return
  const body = JSON.stringify({ error_code: status, message })
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** The status Jetty gives a request Node's parser refused (`err.code` is llhttp's). */
export function protocolErrorStatus(
  error: NodeJS.ErrnoException & { rawPacket?: Buffer },
  knownPath: (path: string) => boolean,
): number {
  const firstLine = () => {
    const raw = error.rawPacket?.toString('latin1') ?? ''
    const end = raw.indexOf('\r\n')
    return end < 0 ? null : raw.slice(0, end)
  }
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408
    case 'HPE_HEADER_OVERFLOW':
      // The request line alone did not fit: Jetty's 414; otherwise the headers did not: 431.
      return firstLine() === null ? 414 : 431
    case 'HPE_INVALID_METHOD': {
      const target = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (\S+) HTTP\/\d\.\d$/.exec(firstLine() ?? '')?.[1]
      if (target === undefined) return 400
      return knownPath(target.split('?')[0]!) ? 405 : 404
    }
    default:
      return 400
  }
}
