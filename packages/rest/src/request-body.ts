/**
 * Request bodies as Jersey and Jackson take them. A body is kept as bytes when it arrives and read only by the routes
 * that take one, so a malformed body never fails a request that has none (`PUT .../pause`) or a wrong method (405).
 *
 * - `Content-Type` is checked as Jersey does: a header that is not `type/subtype` is 400 on any path; a type other
 *   than `application/json` is 415 on Apache's JSON resources (everything but `/` and `/health`), with or without a
 *   body; no header and a body is 415 where the route reads one.
 * - The encoding is Jackson's: UTF-8, UTF-16 or UTF-32 (big or little endian), told by a byte-order mark or by where
 *   the zero bytes of the first characters are; the `charset` parameter is ignored, as Jackson ignores it. Bytes that
 *   are not valid in that encoding are refused, never replaced.
 * - A JSON number keeps the text it was written as (`1.0`, `12345678901234567890123`) where it becomes a string, as
 *   Jackson reads a number into a `String`.
 */
import type { FastifyRequest } from 'fastify'
import { ConnectRestException, httpStatusError } from './errors.ts'

const RAW_BODIES = new WeakMap<object, Buffer>()

/** Keeps the exact bytes of the request body (signatures cover them; forwarding re-sends them). */
export function keepRawBody(request: FastifyRequest, bytes: Buffer): void {
  RAW_BODIES.set(request, bytes)
}

/** The exact bytes of the request body, or undefined when it had none. */
export function rawBody(request: FastifyRequest): Buffer | undefined {
  return RAW_BODIES.get(request)
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const MEDIA_TYPE = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})\\s*(?:;.*)?$`, 's')

/** 400 for a `Content-Type` header Jersey cannot parse (it answers so before choosing a route). */
export function checkContentTypeSyntax(request: FastifyRequest): void {
  const header = request.headers['content-type']
  if (header !== undefined && !MEDIA_TYPE.test(header)) throw httpStatusError(400)
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** 415 unless the request may reach a JSON resource (`@Consumes(APPLICATION_JSON)`); `entity`: the route reads a body. */
export function checkJsonMediaType(request: FastifyRequest, entity: boolean): void {
  const header = request.headers['content-type']
  if (header === undefined) {
    if (entity && hasBody(request)) throw httpStatusError(415)
    return
  }
  const m = MEDIA_TYPE.exec(header)
  if (m?.[1]?.toLowerCase() !== 'application' || m[2]?.toLowerCase() !== 'json') throw httpStatusError(415)
}

type Encoding = 'UTF-8' | 'UTF-16BE' | 'UTF-16LE' | 'UTF-32BE' | 'UTF-32LE'

/** Jackson's `ByteSourceJsonBootstrapper`: the encoding and the length of its byte-order mark. */
function detectEncoding(b: Buffer): { encoding: Encoding; bom: number } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'UTF-8', bom: 3 }
  if (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0xfe && b[3] === 0xff) return { encoding: 'UTF-32BE', bom: 4 }
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0x00 && b[3] === 0x00) return { encoding: 'UTF-32LE', bom: 4 }
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'UTF-16BE', bom: 2 }
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'UTF-16LE', bom: 2 }
  if (b.length >= 4) {
    if (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] !== 0) return { encoding: 'UTF-32BE', bom: 0 }
    if (b[0] !== 0 && b[1] === 0 && b[2] === 0 && b[3] === 0) return { encoding: 'UTF-32LE', bom: 0 }
  }
  if (b.length >= 2) {
    if (b[0] === 0 && b[1] !== 0) return { encoding: 'UTF-16BE', bom: 0 }
    if (b[0] !== 0 && b[1] === 0) return { encoding: 'UTF-16LE', bom: 0 }
  }
  return { encoding: 'UTF-8', bom: 0 }
}

function decodeUtf32(b: Buffer, bigEndian: boolean): string | null {
  if (b.length % 4 !== 0) return null
  const parts: string[] = []
  for (let i = 0; i < b.length; i += 4) {
    const cp = bigEndian ? b.readUInt32BE(i) : b.readUInt32LE(i)
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null
    parts.push(String.fromCodePoint(cp))
  }
  return parts.join('')
}

/** The body's text in the encoding Jackson would read it in; 500 (Apache's status) for bytes invalid in it. */
export function decodeBody(bytes: Buffer): string {
  const { encoding, bom } = detectEncoding(bytes)
  const content = bytes.subarray(bom)
  let text: string | null
  if (encoding === 'UTF-32BE' || encoding === 'UTF-32LE') {
    text = decodeUtf32(content, encoding === 'UTF-32BE')
  } else {
    try {
      text = new TextDecoder(encoding.toLowerCase(), { fatal: true, ignoreBOM: true }).decode(content)
    } catch {
      text = null
    }
  }
  if (text === null) throw new ConnectRestException(500, `The request body is not valid ${encoding}`)
  return text
}

const NUMBER_TEXTS = new WeakMap<object, Map<string, string>>()

/** The text a number of this object or array was written as in the request, or undefined. */
export function numberText(holder: object, key: string): string | undefined {
  return NUMBER_TEXTS.get(holder)?.get(key)
}

/** The request body as JSON: undefined when there is none (or only white space); 500 when it is malformed. */
export function jsonBody(request: FastifyRequest): unknown {
  const bytes = rawBody(request)
  if (bytes === undefined) return undefined
  const text = decodeBody(bytes)
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text, function (this: object, key, value, context?: { source?: string }) {
      if (typeof value === 'number' && context?.source !== undefined) {
        const texts = NUMBER_TEXTS.get(this) ?? new Map<string, string>()
        NUMBER_TEXTS.set(this, texts)
        texts.set(key, context.source)
      }
      return value
    })
  } catch (e) {
    throw new ConnectRestException(500, `Malformed JSON in the request body: ${(e as Error).message}`)
  }
}
