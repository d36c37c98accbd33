/**
 * Secrets (passwords, tokens) compared in constant time: each is kept as its SHA-256 digest, and a given secret's
 * digest is compared with `timingSafeEqual`, so neither the time taken nor the length compared says where the texts
 * differ.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

/** Whether `given` is the secret whose digest is `digest`. */
export function matchesSecret(digest: Buffer, given: string): boolean {
  return timingSafeEqual(digest, secretDigest(given))
}
