/**
 * Internal request signing (KIP-507): followers sign the body of internal requests with the session key the leader
 * wrote to the config topic, and the leader checks it, with Apache's headers, statuses and messages.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { HMAC_ALGORITHMS } from '../../config/worker-config.ts'
import type { SessionKey } from '../../storage/config-store.ts'
import { BadRequestException, type InternalRequestSignature } from '../herder.ts'

export const SIGNATURE_HEADER = 'X-Connect-Authorization'
export const SIGNATURE_ALGORITHM_HEADER = 'X-Connect-Request-Signature-Algorithm'

/** A failed check with the HTTP status Apache answers (403 for a bad MAC, 503 before any key exists). */
export class SignatureException extends Error {
  readonly statusCode: number

  constructor(statusCode: number, message: string) {
    super(message)
    this.name = 'ConnectRestException'
    this.statusCode = statusCode
  }
}

function mac(algorithm: string, key: Buffer, body: Buffer): Buffer {
  const digest = HMAC_ALGORITHMS[algorithm]
  if (!digest) throw new BadRequestException(`Unsupported signature algorithm '${algorithm}'`)
  return createHmac(digest, key).update(body).digest()
}

/** The headers that sign `body` with the session key. */
export function signatureHeaders(key: SessionKey, algorithm: string, body: Buffer): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: mac(algorithm, key.key, body).toString('base64'),
    [SIGNATURE_ALGORITHM_HEADER]: algorithm,
  }
}

/** Throws unless `signature` is a valid MAC of its body under `key` with an allowed algorithm (Apache's messages). */
export function verifySignature(
  signature: InternalRequestSignature | null,
  key: SessionKey | null,
  allowedAlgorithms: readonly string[],
): void {
  if (!signature?.signature) throw new BadRequestException('Internal request missing required signature')
  if (!allowedAlgorithms.includes(signature.algorithm)) {
    throw new BadRequestException(
      `This worker does not support the '${signature.algorithm}' key signing algorithm used by other workers. This worker is currently configured to use: [${allowedAlgorithms.join(', ')}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.`,
    )
  }
  if (!key) {
    throw new SignatureException(
      503,
      'This worker is still starting up and has not been able to read a session key from the config topic yet',
    )
  }
  const expected = mac(signature.algorithm, key.key, signature.body)
  const given = Buffer.from(signature.signature, 'base64')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureException(403, 'Internal request contained invalid signature.')
  }
}

/** A new session key: `keySizeBits` random bits (256 by default, the JDK's size for HmacSHA256). */
export function generateSessionKey(algorithm: string, keySizeBits: number | null, now: number): SessionKey {
  return { key: randomBytes(Math.ceil((keySizeBits ?? 256) / 8)), algorithm, creationTimestamp: now }
}
