import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import {
  KeyStoreError,
  readKeyStore,
  readPemCertificates,
  readPemKeyPair,
  trustedCertificates,
} from '../../src/tls/keystore.ts'
import { makeStores, type Stores } from './stores.ts'

let stores: Stores

before(async () => {
  stores = await makeStores()
})

after(async () => {
  await stores?.cleanup()
})

const subjects = (certs: { subject: string }[]) => certs.map((c) => c.subject.replace(/\n/g, ','))

function reason(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof KeyStoreError, String(e))
    return `${e.reason}: ${e.message}`
  }
  assert.fail('expected a KeyStoreError')
}

describe('readKeyStore', () => {
  it("reads a PKCS12 store made by Java 17's keytool (PBES2/AES-256, HmacSHA256)", async () => {
    const store = readKeyStore(await readFile(stores.clientP12), 'client-pw', null)
    assert.equal(store.format, 'PKCS12')
    assert.equal(store.keys.length, 1)
    assert.equal(store.keys[0]!.alias, 'client')
    assert.equal(store.keys[0]!.key.asymmetricKeyType, 'rsa')
    assert.deepEqual(subjects(store.keys[0]!.chain), ['O=Ferry,CN=ferry-client', 'CN=Ferry Test CA'])
    assert.ok(store.keys[0]!.chain[0]!.checkPrivateKey(store.keys[0]!.key))
    assert.deepEqual(subjects(store.trusted), ['CN=Ferry Test CA'])
  })

  it("reads a legacy PKCS12 store (Java 8's 3DES keys, RC2-40 certificates, HmacSHA1)", async () => {
    const store = readKeyStore(await readFile(stores.clientLegacyP12), 'legacy-pw', null)
    assert.deepEqual(subjects(store.keys[0]!.chain), ['O=Ferry,CN=ferry-client', 'CN=Ferry Test CA'])
    assert.ok(store.keys[0]!.chain[0]!.checkPrivateKey(store.keys[0]!.key))
  })

  it('reads a JKS store whose key has its own password', async () => {
    const store = readKeyStore(await readFile(stores.clientJks), 'jks-pw', 'jks-key-pw')
    assert.equal(store.format, 'JKS')
    assert.deepEqual(subjects(store.keys[0]!.chain), ['O=Ferry,CN=ferry-client', 'CN=Ferry Test CA'])
    assert.ok(store.keys[0]!.chain[0]!.checkPrivateKey(store.keys[0]!.key))
  })

  it('reads JKS and PKCS12 trust stores; the trusted certificates include each key entry certificate, as Java', async () => {
    for (const path of [stores.trustJks, stores.trustP12]) {
      assert.deepEqual(subjects(trustedCertificates(readKeyStore(await readFile(path), 'trust-pw', null))), [
        'CN=Ferry Test CA',
      ])
    }
    const client = readKeyStore(await readFile(stores.clientP12), 'client-pw', null)
    assert.deepEqual(subjects(trustedCertificates(client)), ['CN=Ferry Test CA', 'O=Ferry,CN=ferry-client'])
  })

  it('reads a JKS trust store without a password (no integrity check, as Java)', async () => {
    assert.deepEqual(subjects(readKeyStore(await readFile(stores.trustJks), null, null).trusted), ['CN=Ferry Test CA'])
  })

  it('refuses a PKCS12 store whose certificates are encrypted when no password is given', async () => {
    const data = await readFile(stores.trustP12)
    assert.equal(
      reason(() => readKeyStore(data, null, null)),
      'password: the PKCS12 store is encrypted and no password is given to read it',
    )
  })

  it('tells a wrong store password from a wrong key password, never showing either', async () => {
    const p12 = await readFile(stores.clientP12)
    const jks = await readFile(stores.clientJks)
    const legacy = await readFile(stores.clientLegacyP12)
    assert.equal(
      reason(() => readKeyStore(p12, 'wrong-pw', null)),
      'password: keystore password was incorrect',
    )
    assert.equal(
      reason(() => readKeyStore(legacy, 'wrong-pw', null)),
      'password: keystore password was incorrect',
    )
    assert.equal(
      reason(() => readKeyStore(jks, 'wrong-pw', 'jks-key-pw')),
      'password: Keystore was tampered with, or password was incorrect',
    )
    const wrongKey = reason(() => readKeyStore(jks, 'jks-pw', 'wrong-key-pw'))
    assert.equal(wrongKey, "key-password: Cannot recover key 'client': the key password is wrong")
    assert.equal(
      reason(() => readKeyStore(p12, 'client-pw', 'wrong-key-pw')),
      "key-password: Cannot recover key 'client': the key password is wrong",
    )
    assert.doesNotMatch(wrongKey, /wrong-key-pw|jks-pw/)
  })

  it('refuses what is not a store, and JCEKS', () => {
    assert.equal(
      reason(() => readKeyStore(Buffer.from('hello'), 'x', null)),
      'format: not a JKS or PKCS12 store',
    )
    assert.match(
      reason(() => readKeyStore(Buffer.from('cececece00000002', 'hex'), 'x', null)),
      /^format: JCEKS stores are not supported/,
    )
    assert.equal(
      reason(() => readKeyStore(Buffer.from('feedfeed00000002000000', 'hex'), 'x', null)),
      'format: truncated JKS store',
    )
  })
})

describe('PEM', () => {
  it('reads every certificate of a PEM text, with text around the entries', () => {
    const certs = readPemCertificates(`subject=CN=x\n${stores.serverCert}\nsome text\n${stores.caCert}`)
    assert.deepEqual(subjects(certs), ['O=Ferry,CN=localhost', 'CN=Ferry Test CA'])
  })

  it('refuses a PEM text without certificates', () => {
    assert.equal(
      reason(() => readPemCertificates('nothing')),
      'format: No matching CERTIFICATE entries in PEM file',
    )
  })

  it('reads a PKCS#8 key, plain or encrypted with the key password', async () => {
    const store = readKeyStore(await readFile(stores.clientP12), 'client-pw', null)
    const key = store.keys[0]!.key
    const chain = store.keys[0]!.chain.map((c) => c.toString()).join('')
    const plain = key.export({ type: 'pkcs8', format: 'pem' }) as string
    const encrypted = key.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pem-key-pw',
    }) as string
    assert.ok(readPemKeyPair(plain, chain, null).chain[0]!.checkPrivateKey(key))
    const pair = readPemKeyPair(encrypted, chain, 'pem-key-pw')
    assert.ok(pair.chain[0]!.checkPrivateKey(pair.key))
    assert.deepEqual(subjects(pair.chain), ['O=Ferry,CN=ferry-client', 'CN=Ferry Test CA'])
    assert.match(
      reason(() => readPemKeyPair(encrypted, chain, 'wrong')),
      /^key-password: /,
    )
    assert.match(
      reason(() => readPemKeyPair(encrypted, chain, null)),
      /^key-password: the private key is encrypted/,
    )
    assert.equal(
      reason(() => readPemKeyPair(plain + plain, chain, null)),
      'format: Expected one private key, but found 2',
    )
    assert.equal(
      reason(() => readPemKeyPair(chain, chain, null)),
      'format: No matching PRIVATE KEY entries in PEM file',
    )
  })
})
