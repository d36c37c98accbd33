/**
 * Java key and trust stores, read the way Java 17's `KeyStore` reads them: JKS, PKCS12 and PEM (Apache's
 * `DefaultSslEngineFactory.PemStore`). A JKS or PKCS12 store is recognised by its content whatever the type says,
 * as Java's "dual format" KeyStore does (a `.p12` file read as type JKS works in Java, so it works here).
 *
 * PKCS12 covers both Java 17's default (PBES2 with PBKDF2-HmacSHA256 and AES-256-CBC, HmacSHA256 MAC) and the legacy
 * stores of Java 8 and OpenSSL 1.x (pbeWithSHAAnd3-KeyTripleDES-CBC keys, pbeWithSHAAnd40BitRC2-CBC certificates,
 * HmacSHA1 MAC). RC2 is written out below: Node's OpenSSL 3 only has it in the legacy provider.
 *
 * Errors say what is wrong, never a password.
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  type KeyObject,
  pbkdf2Sync,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto'

export type KeyStoreFormat = 'JKS' | 'PKCS12'

/** A private key with its certificate chain (leaf first). */
export interface KeyEntry {
  alias: string
  key: KeyObject
  chain: X509Certificate[]
}

export interface KeyStoreContents {
  format: KeyStoreFormat
  keys: KeyEntry[]
  /** Trusted certificate entries (keytool -importcert). */
  trusted: X509Certificate[]
}

/** Why a store could not be read: `password` (the store password is wrong), `key-password`, or `format`. */
export class KeyStoreError extends Error {
  readonly reason: 'password' | 'key-password' | 'format'
  constructor(reason: 'password' | 'key-password' | 'format', message: string) {
    super(message)
    this.name = 'KeyStoreError'
    this.reason = reason
  }
}

/**
 * Reads a JKS or PKCS12 store. `password` null reads it without the integrity check, as Java does for a trust store
 * without a password (a PKCS12 store whose certificates are encrypted then cannot be read). `keyPassword` (default: the
 * store password) unlocks the private keys.
 */
export function readKeyStore(data: Buffer, password: string | null, keyPassword: string | null): KeyStoreContents {
  return read(data, password, keyPassword, true)
}

/**
 * The certificates a Java trust manager trusts in a JKS or PKCS12 trust store: its trusted entries and each key
 * entry's own certificate. The private keys are not recovered (Java does not need their password to trust).
 */
export function readTrustStore(data: Buffer, password: string | null): X509Certificate[] {
  const store = read(data, password, null, false)
  return [...store.trusted, ...store.chains.flatMap((chain) => (chain[0] ? [chain[0]] : []))]
}

function read(
  data: Buffer,
  password: string | null,
  keyPassword: string | null,
  withKeys: boolean,
): KeyStoreContents & { chains: X509Certificate[][] } {
  if (data.length >= 4 && data.readUInt32BE(0) === JKS_MAGIC)
    return readJks(data, password, keyPassword ?? password, withKeys)
  if (data.length >= 4 && data.readUInt32BE(0) === JCEKS_MAGIC) {
    throw new KeyStoreError(
      'format',
      'JCEKS stores are not supported; convert it with keytool -importkeystore -deststoretype PKCS12',
    )
  }
  if (data.length > 0 && data[0] === 0x30) return readPkcs12(data, password, keyPassword ?? password, withKeys)
  throw new KeyStoreError('format', 'not a JKS or PKCS12 store')
}

/** The certificates a Java trust manager trusts in a store: the trusted entries and each key entry's own certificate. */
export function trustedCertificates(store: KeyStoreContents): X509Certificate[] {
  return [...store.trusted, ...store.keys.flatMap((k) => (k.chain[0] ? [k.chain[0]] : []))]
}

// ---------------------------------------------------------------------------------------------------------------------
// PEM (Apache's DefaultSslEngineFactory.PemParser and PemStore)

function pemPattern(name: string): RegExp {
  const beginOrEnd = (what: string) => `-+${what}\\s*.*${name.replace(/ /g, '\\s+')}[^-]*-+\\s+`
  const encodingParams = '\\s*[^\\r\\n]*:[^\\r\\n]*[\\r\\n]+'
  return new RegExp(`${beginOrEnd('BEGIN')}(?:${encodingParams})*([a-zA-Z0-9/+=\\s]*)${beginOrEnd('END')}`, 'g')
}

const CERTIFICATE_PATTERN = pemPattern('CERTIFICATE')
const PRIVATE_KEY_PATTERN = pemPattern('PRIVATE KEY')

function pemEntries(pem: string, pattern: RegExp, name: string): Buffer[] {
  const entries = [...`${pem}\n`.matchAll(pattern)].map((m) => Buffer.from(m[1]!.replace(/\s/g, ''), 'base64'))
  if (entries.length === 0) throw new KeyStoreError('format', `No matching ${name} entries in PEM file`)
  return entries
}

/** Every certificate of a PEM text (`ssl.truststore.certificates`, a PEM trust store, a certificate chain). */
export function readPemCertificates(pem: string): X509Certificate[] {
  return pemEntries(pem, CERTIFICATE_PATTERN, 'CERTIFICATE').map((der) => certificate(der))
}

/** A PEM private key (PKCS#8, encrypted with `keyPassword` when given) and its certificate chain. */
export function readPemKeyPair(keyPem: string, chainPem: string, keyPassword: string | null): KeyEntry {
  const keys = pemEntries(keyPem, PRIVATE_KEY_PATTERN, 'PRIVATE KEY')
  if (keys.length !== 1) throw new KeyStoreError('format', `Expected one private key, but found ${keys.length}`)
  return { alias: 'kafka', key: pemPrivateKey(keys[0]!, keyPassword), chain: readPemCertificates(chainPem) }
}

function pemPrivateKey(der: Buffer, keyPassword: string | null): KeyObject {
  const encrypted = isEncryptedPrivateKeyInfo(der)
  if (encrypted && keyPassword === null) {
    throw new KeyStoreError('key-password', 'the private key is encrypted and no key password is given')
  }
  try {
    if (encrypted) return createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: keyPassword! })
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch {
    for (const type of ['pkcs1', 'sec1'] as const) {
      try {
        if (!encrypted) return createPrivateKey({ key: der, format: 'der', type })
      } catch {}
    }
    if (encrypted)
      throw new KeyStoreError('key-password', 'the private key could not be decrypted: wrong key password?')
    throw new KeyStoreError('format', 'Private key could not be loaded')
  }
}

function isEncryptedPrivateKeyInfo(der: Buffer): boolean {
  try {
    const seq = decode(der)
    const first = children(seq)[0]
    // EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier (a SEQUENCE), PrivateKeyInfo with a version INTEGER.
    return first?.tag === 0x30
  } catch {
    return false
  }
}

function certificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der)
  } catch (e) {
    throw new KeyStoreError('format', `a certificate could not be read: ${(e as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// DER / BER

interface Der {
  tag: number
  /** The content octets (for an indefinite-length encoding: up to the end-of-contents octets). */
  content: Buffer
  /** The whole encoding, tag and length included. */
  raw: Buffer
}

function readTlv(buf: Buffer, offset: number): Der {
  if (offset + 2 > buf.length) throw new KeyStoreError('format', 'truncated ASN.1 data')
  const tag = buf[offset]!
  if ((tag & 0x1f) === 0x1f) throw new KeyStoreError('format', 'unsupported ASN.1 tag')
  let pos = offset + 1
  let length = buf[pos++]!
  if (length === 0x80) {
    // BER indefinite length (constructed only): children up to the end-of-contents octets 00 00.
    const start = pos
    while (!(buf[pos] === 0 && buf[pos + 1] === 0)) {
      if (pos >= buf.length) throw new KeyStoreError('format', 'truncated ASN.1 data')
      pos += readTlv(buf, pos).raw.length
    }
    return { tag, content: buf.subarray(start, pos), raw: buf.subarray(offset, pos + 2) }
  }
  if (length > 0x80) {
    const n = length & 0x7f
    if (n > 4) throw new KeyStoreError('format', 'ASN.1 length too large')
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!
  }
  if (pos + length > buf.length) throw new KeyStoreError('format', 'truncated ASN.1 data')
  return { tag, content: buf.subarray(pos, pos + length), raw: buf.subarray(offset, pos + length) }
}

function decode(buf: Buffer): Der {
  return readTlv(buf, 0)
}

function children(node: Der): Der[] {
  const out: Der[] = []
  let pos = 0
  while (pos < node.content.length) {
    const child = readTlv(node.content, pos)
    out.push(child)
    pos += child.raw.length
  }
  return out
}

function child(node: Der, index: number, tag?: number): Der {
  const c = children(node)[index]
  if (c === undefined || (tag !== undefined && c.tag !== tag))
    throw new KeyStoreError('format', 'unexpected ASN.1 structure')
  return c
}

function oid(node: Der): string {
  if (node.tag !== 0x06) throw new KeyStoreError('format', 'unexpected ASN.1 structure (OID expected)')
  const bytes = node.content
  const parts: number[] = []
  let value = 0
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f)
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

function integer(node: Der): number {
  if (node.tag !== 0x02) throw new KeyStoreError('format', 'unexpected ASN.1 structure (INTEGER expected)')
  let n = 0
  for (const b of node.content) n = n * 256 + b
  return n
}

/** An OCTET STRING's bytes; a constructed (BER) one is concatenated. */
function octets(node: Der): Buffer {
  if (node.tag === 0x04 || node.tag === 0x80) return node.content
  if (node.tag === 0x24 || node.tag === 0xa0) return Buffer.concat(children(node).map(octets))
  throw new KeyStoreError('format', 'unexpected ASN.1 structure (OCTET STRING expected)')
}

// ---------------------------------------------------------------------------------------------------------------------
// JKS (sun.security.provider.JavaKeyStore)

const JKS_MAGIC = 0xfeedfeed
const JCEKS_MAGIC = 0xcececece
const KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1'

/** Java's char[] as bytes, big-endian, two per char. */
function utf16be(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2)
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2)
  return out
}

function readJks(
  data: Buffer,
  password: string | null,
  keyPassword: string | null,
  withKeys: boolean,
): KeyStoreContents & { chains: X509Certificate[][] } {
  let pos = 4
  const need = (n: number) => {
    if (pos + n > data.length) throw new KeyStoreError('format', 'truncated JKS store')
  }
  const int = () => {
    need(4)
    const v = data.readUInt32BE(pos)
    pos += 4
    return v
  }
  const bytes = (n: number) => {
    need(n)
    const v = data.subarray(pos, pos + n)
    pos += n
    return v
  }
  const utf = () => {
    need(2)
    const n = data.readUInt16BE(pos)
    pos += 2
    return bytes(n).toString('utf8')
  }
  const version = int()
  if (version !== 1 && version !== 2) throw new KeyStoreError('format', `unknown JKS version ${version}`)
  const cert = () => {
    if (version === 2) {
      const type = utf()
      if (type !== 'X.509') throw new KeyStoreError('format', `unsupported certificate type ${type}`)
    }
    return certificate(Buffer.from(bytes(int())))
  }
  const count = int()
  const protectedKeys: { alias: string; protectedKey: Buffer; chain: X509Certificate[] }[] = []
  const trusted: X509Certificate[] = []
  for (let i = 0; i < count; i++) {
    const tag = int()
    const alias = utf()
    bytes(8) // the entry's date
    if (tag === 1) {
      const protectedKey = Buffer.from(bytes(int()))
      const chain: X509Certificate[] = []
      const n = int()
      for (let j = 0; j < n; j++) chain.push(cert())
      protectedKeys.push({ alias, protectedKey, chain })
    } else if (tag === 2) {
      trusted.push(cert())
    } else {
      throw new KeyStoreError('format', 'unrecognized JKS entry (a secret key? use PKCS12)')
    }
  }
  if (password !== null) {
    need(20)
    const digest = createHash('sha1')
      .update(utf16be(password))
      .update('Mighty Aphrodite', 'utf8')
      .update(data.subarray(0, pos))
      .digest()
    if (!timingSafeEqual(digest, data.subarray(pos, pos + 20))) {
      throw new KeyStoreError('password', 'Keystore was tampered with, or password was incorrect')
    }
  }
  const chains = protectedKeys.map((k) => k.chain)
  if (!withKeys) return { format: 'JKS', keys: [], trusted, chains }
  const keys = protectedKeys.map(({ alias, protectedKey, chain }) => {
    if (keyPassword === null) throw new KeyStoreError('key-password', `no password to recover the key '${alias}'`)
    return { alias, key: recoverJksKey(protectedKey, keyPassword, alias), chain }
  })
  return { format: 'JKS', keys, trusted, chains }
}

/** sun.security.provider.KeyProtector#recover. */
function recoverJksKey(encoded: Buffer, password: string, alias: string): KeyObject {
  const info = decode(encoded)
  const algorithm = oid(child(child(info, 0, 0x30), 0))
  if (algorithm !== KEY_PROTECTOR_OID) throw new KeyStoreError('format', `unsupported JKS key protection ${algorithm}`)
  const protectedKey = octets(child(info, 1))
  const salt = protectedKey.subarray(0, 20)
  const encrypted = protectedKey.subarray(20, protectedKey.length - 20)
  const check = protectedKey.subarray(protectedKey.length - 20)
  const passwordBytes = utf16be(password)
  const xorKey = Buffer.alloc(encrypted.length)
  let digest: Buffer = salt
  for (let offset = 0; offset < encrypted.length; offset += 20) {
    digest = createHash('sha1').update(passwordBytes).update(digest).digest()
    digest.copy(xorKey, offset, 0, Math.min(20, encrypted.length - offset))
  }
  const plain = Buffer.alloc(encrypted.length)
  for (let i = 0; i < plain.length; i++) plain[i] = encrypted[i]! ^ xorKey[i]!
  const expected = createHash('sha1').update(passwordBytes).update(plain).digest()
  if (!timingSafeEqual(expected, check)) {
    throw new KeyStoreError('key-password', `Cannot recover key '${alias}': the key password is wrong`)
  }
  return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' })
}

// ---------------------------------------------------------------------------------------------------------------------
// PKCS12 (RFC 7292)

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Java's "trusted certificate" attribute (keytool -importcert into a PKCS12 store). */
  javaTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
} as const

const DIGESTS: Readonly<Record<string, { name: string; blockSize: number }>> = {
  '1.3.14.3.2.26': { name: 'sha1', blockSize: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', blockSize: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', blockSize: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', blockSize: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', blockSize: 128 },
}

const PBKDF2_PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
}

const PBES2_CIPHERS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
}

/** PKCS#12 password-based encryption (RFC 7292 appendix C), all with SHA-1. */
const PKCS12_PBE: Readonly<Record<string, { cipher: string; keyLength: number; rc2Bits?: number }>> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyLength: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyLength: 16, rc2Bits: 128 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyLength: 5, rc2Bits: 40 },
}

/** The password as PKCS#12 wants it: a BMPString with two zero bytes at the end. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([utf16be(password), Buffer.alloc(2)])
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1 = key, 2 = IV, 3 = MAC key). */
function pkcs12Kdf(
  digest: { name: string; blockSize: number },
  password: Buffer,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
): Buffer {
  const v = digest.blockSize
  const fill = (src: Buffer) => {
    if (src.length === 0) return Buffer.alloc(0)
    const out = Buffer.alloc(v * Math.ceil(src.length / v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!
    return out
  }
  const D = Buffer.alloc(v, id)
  const I = Buffer.concat([fill(salt), fill(password)])
  const out: Buffer[] = []
  let produced = 0
  while (produced < length) {
    let A = createHash(digest.name).update(D).update(I).digest()
    for (let i = 1; i < iterations; i++) A = createHash(digest.name).update(A).digest()
    out.push(A)
    produced += A.length
    if (produced >= length) break
    const B = Buffer.alloc(v)
    for (let i = 0; i < v; i++) B[i] = A[i % A.length]!
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry
        I[j + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return Buffer.concat(out).subarray(0, length)
}

/** Decrypts with an AlgorithmIdentifier of PBES2 or PKCS#12 PBE; null when the password is wrong (bad padding). */
function pbeDecrypt(algorithm: Der, data: Buffer, password: string): Buffer | null {
  const algorithmOid = oid(child(algorithm, 0))
  if (algorithmOid === OID.pbes2) {
    const params = child(algorithm, 1, 0x30)
    const kdf = child(params, 0, 0x30)
    if (oid(child(kdf, 0)) !== OID.pbkdf2) throw new KeyStoreError('format', 'unsupported PBES2 key derivation')
    const kdfParams = children(child(kdf, 1, 0x30))
    const salt = octets(kdfParams[0]!)
    const iterations = integer(kdfParams[1]!)
    let prf = 'sha1'
    for (const p of kdfParams.slice(2)) {
      if (p.tag === 0x30) {
        const name = PBKDF2_PRFS[oid(child(p, 0))]
        if (name === undefined) throw new KeyStoreError('format', 'unsupported PBKDF2 PRF')
        prf = name
      }
    }
    const scheme = child(params, 1, 0x30)
    const schemeOid = oid(child(scheme, 0))
    const cipher = PBES2_CIPHERS[schemeOid]
    if (cipher === undefined) throw new KeyStoreError('format', `unsupported PBES2 cipher ${schemeOid}`)
    const iv = octets(child(scheme, 1))
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf)
    return decipher(cipher.name, key, iv, data)
  }
  const pbe = PKCS12_PBE[algorithmOid]
  if (pbe === undefined) throw new KeyStoreError('format', `unsupported PKCS12 encryption ${algorithmOid}`)
  const params = child(algorithm, 1, 0x30)
  const salt = octets(child(params, 0))
  const iterations = integer(child(params, 1))
  const sha1 = DIGESTS['1.3.14.3.2.26']!
  const pw = bmpPassword(password)
  const key = pkcs12Kdf(sha1, pw, salt, 1, iterations, pbe.keyLength)
  const iv = pkcs12Kdf(sha1, pw, salt, 2, iterations, 8)
  if (pbe.rc2Bits !== undefined) return rc2CbcDecrypt(key, pbe.rc2Bits, iv, data)
  return decipher(pbe.cipher, key, iv, data)
}

function decipher(name: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  try {
    const d = createDecipheriv(name, key, iv)
    return Buffer.concat([d.update(data), d.final()])
  } catch {
    return null
  }
}

interface Pkcs12Bag {
  type: string
  value: Der
  friendlyName: string | null
  localKeyId: string | null
  trusted: boolean
}

function readPkcs12(
  data: Buffer,
  password: string | null,
  keyPassword: string | null,
  withKeys: boolean,
): KeyStoreContents & { chains: X509Certificate[][] } {
  let pfx: Der
  try {
    pfx = decode(data)
  } catch {
    throw new KeyStoreError('format', 'not a JKS or PKCS12 store')
  }
  if (pfx.tag !== 0x30 || pfx.raw.length !== data.length) throw new KeyStoreError('format', 'not a JKS or PKCS12 store')
  const parts = children(pfx)
  if (parts[0]?.tag !== 0x02 || integer(parts[0]) !== 3) throw new KeyStoreError('format', 'not a PKCS12 store')
  const authSafe = parts[1]!
  if (oid(child(authSafe, 0)) !== OID.data)
    throw new KeyStoreError('format', 'PKCS12 stores signed with a public key are not supported')
  const authSafeContent = octets(child(child(authSafe, 1, 0xa0), 0))
  const macData = parts[2]
  if (macData !== undefined && password !== null) verifyMac(macData, authSafeContent, password)

  const bags: Pkcs12Bag[] = []
  for (const contentInfo of children(decode(authSafeContent))) {
    const type = oid(child(contentInfo, 0))
    if (type === OID.data) {
      collectBags(decode(octets(child(child(contentInfo, 1, 0xa0), 0))), bags)
    } else if (type === OID.encryptedData) {
      if (password === null) {
        throw new KeyStoreError('password', 'the PKCS12 store is encrypted and no password is given to read it')
      }
      const encryptedData = child(child(contentInfo, 1, 0xa0), 0, 0x30)
      const encryptedContentInfo = child(encryptedData, 1, 0x30)
      const algorithm = child(encryptedContentInfo, 1, 0x30)
      const content = children(encryptedContentInfo)[2]
      if (content === undefined) continue
      const plain = pbeDecrypt(algorithm, octets(content), password)
      if (plain === null) throw new KeyStoreError('password', 'keystore password was incorrect')
      collectBags(decode(plain), bags)
    } else {
      throw new KeyStoreError('format', `unsupported PKCS12 content ${type}`)
    }
  }

  const certs = bags
    .filter((b) => b.type === OID.certBag)
    .map((b) => {
      const certBag = b.value
      if (oid(child(certBag, 0)) !== OID.x509Certificate) return null
      return { bag: b, cert: certificate(Buffer.from(octets(child(child(certBag, 1, 0xa0), 0)))) }
    })
    .filter((c) => c !== null)
  const keys: KeyEntry[] = []
  const chains: X509Certificate[][] = []
  const all = certs.map((c) => c.cert)
  for (const bag of bags) {
    if (bag.type !== OID.keyBag && bag.type !== OID.shroudedKeyBag) continue
    const alias = bag.friendlyName ?? bag.localKeyId ?? `key${keys.length}`
    const byId = certs.find((c) => bag.localKeyId !== null && c.bag.localKeyId === bag.localKeyId)?.cert
    if (!withKeys) {
      if (byId) chains.push(chainFrom(byId, all))
      continue
    }
    let pkcs8: Buffer
    if (bag.type === OID.keyBag) pkcs8 = Buffer.from(bag.value.raw)
    else {
      if (keyPassword === null) throw new KeyStoreError('key-password', `no password to recover the key '${alias}'`)
      const plain = pbeDecrypt(child(bag.value, 0, 0x30), octets(child(bag.value, 1)), keyPassword)
      if (plain === null)
        throw new KeyStoreError('key-password', `Cannot recover key '${alias}': the key password is wrong`)
      pkcs8 = plain
    }
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    const leaf = byId ?? certs.find((c) => c.cert.checkPrivateKey(key))?.cert
    const chain = leaf ? chainFrom(leaf, all) : []
    keys.push({ alias, key, chain })
    chains.push(chain)
  }
  const trusted = certs.filter((c) => c.bag.trusted).map((c) => c.cert)
  return { format: 'PKCS12', keys, trusted, chains }
}

function verifyMac(macData: Der, content: Buffer, password: string): void {
  const digestInfo = child(macData, 0, 0x30)
  const algorithm = child(digestInfo, 0, 0x30)
  const algorithmOid = oid(child(algorithm, 0))
  const digest = DIGESTS[algorithmOid]
  if (digest === undefined) throw new KeyStoreError('format', `unsupported PKCS12 MAC algorithm ${algorithmOid}`)
  const expected = octets(child(digestInfo, 1))
  const salt = octets(child(macData, 1))
  const iterationsNode = children(macData)[2]
  const iterations = iterationsNode === undefined ? 1 : integer(iterationsNode)
  const macKey = pkcs12Kdf(digest, bmpPassword(password), salt, 3, iterations, expected.length)
  const mac = createHmac(digest.name, macKey).update(content).digest()
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new KeyStoreError('password', 'keystore password was incorrect')
  }
}

function collectBags(safeContents: Der, bags: Pkcs12Bag[]): void {
  for (const bag of children(safeContents)) {
    const parts = children(bag)
    const type = oid(parts[0]!)
    const value = child(parts[1]!, 0)
    if (type === OID.safeContentsBag) {
      collectBags(value, bags)
      continue
    }
    let friendlyName: string | null = null
    let localKeyId: string | null = null
    let trusted = false
    const attributes = parts[2]
    if (attributes !== undefined) {
      for (const attribute of children(attributes)) {
        const attributeOid = oid(child(attribute, 0))
        const values = children(child(attribute, 1))
        if (attributeOid === OID.friendlyName && values[0])
          friendlyName = values[0].content.swap16().toString('utf16le')
        else if (attributeOid === OID.localKeyId && values[0]) localKeyId = values[0].content.toString('hex')
        else if (attributeOid === OID.javaTrustedKeyUsage) trusted = true
      }
    }
    bags.push({ type, value, friendlyName, localKeyId, trusted })
  }
}

function chainFrom(leaf: X509Certificate, certs: X509Certificate[]): X509Certificate[] {
  const chain = [leaf]
  let current = leaf
  while (chain.length < 10 && current.issuer !== current.subject) {
    const issuer = certs.find((c) => !chain.includes(c) && current.checkIssued(c))
    if (issuer === undefined) break
    chain.push(issuer)
    current = issuer
  }
  return chain
}

// ---------------------------------------------------------------------------------------------------------------------
// RC2 (RFC 2268), decryption in CBC mode with PKCS#5 padding: the legacy PKCS12 certificate encryption.

const PITABLE = Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32' +
    'bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
    '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a' +
    '961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
    '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e' +
    'c5f3db47e5a59c770aa62068fe7fc1ad',
  'hex',
)

function rc2Keys(key: Buffer, effectiveBits: number): Uint16Array {
  const L = Buffer.alloc(128)
  key.copy(L)
  const T = key.length
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1]! + L[i - T]!) & 0xff]!
  const T8 = Math.ceil(effectiveBits / 8)
  const TM = 0xff >> (8 * T8 - effectiveBits)
  L[128 - T8] = PITABLE[L[128 - T8]! & TM]!
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1]! ^ L[i + T8]!]!
  const K = new Uint16Array(64)
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8)
  return K
}

function rc2DecryptBlock(K: Uint16Array, block: Buffer, out: Buffer, at: number): void {
  const R = [block.readUInt16LE(0), block.readUInt16LE(2), block.readUInt16LE(4), block.readUInt16LE(6)]
  const rotr = (x: number, s: number) => ((x >>> s) | (x << (16 - s))) & 0xffff
  let j = 63
  const mixRound = () => {
    R[3] = (rotr(R[3]!, 5) - K[j--]! - (R[2]! & R[1]!) - (~R[2]! & R[0]!)) & 0xffff
    R[2] = (rotr(R[2]!, 3) - K[j--]! - (R[1]! & R[0]!) - (~R[1]! & R[3]!)) & 0xffff
    R[1] = (rotr(R[1]!, 2) - K[j--]! - (R[0]! & R[3]!) - (~R[0]! & R[2]!)) & 0xffff
    R[0] = (rotr(R[0]!, 1) - K[j--]! - (R[3]! & R[2]!) - (~R[3]! & R[1]!)) & 0xffff
  }
  const mashRound = () => {
    R[3] = (R[3]! - K[R[2]! & 63]!) & 0xffff
    R[2] = (R[2]! - K[R[1]! & 63]!) & 0xffff
    R[1] = (R[1]! - K[R[0]! & 63]!) & 0xffff
    R[0] = (R[0]! - K[R[3]! & 63]!) & 0xffff
  }
  for (let i = 0; i < 5; i++) mixRound()
  mashRound()
  for (let i = 0; i < 6; i++) mixRound()
  mashRound()
  for (let i = 0; i < 5; i++) mixRound()
  for (let i = 0; i < 4; i++) out.writeUInt16LE(R[i]!, at + 2 * i)
}

function rc2CbcDecrypt(key: Buffer, effectiveBits: number, iv: Buffer, data: Buffer): Buffer | null {
  if (data.length === 0 || data.length % 8 !== 0) return null
  const K = rc2Keys(key, effectiveBits)
  const out = Buffer.alloc(data.length)
  let previous = iv
  for (let i = 0; i < data.length; i += 8) {
    const block = data.subarray(i, i + 8)
    rc2DecryptBlock(K, block, out, i)
    for (let k = 0; k < 8; k++) out[i + k] = out[i + k]! ^ previous[k]!
    previous = block
  }
  const pad = out[out.length - 1]!
  if (pad < 1 || pad > 8) return null
  for (let k = out.length - pad; k < out.length; k++) if (out[k] !== pad) return null
  return out.subarray(0, out.length - pad)
}
