/**
 * Key and trust stores made by Java's keytool in a temp dir, for the TLS tests: a CA, a server certificate for
 * localhost/127.0.0.1 and a client certificate it signed, in PKCS12 (Java 17's default: PBES2/AES, HmacSHA256),
 * legacy PKCS12 (Java 8's: 3DES keys, RC2-40 certificates, HmacSHA1) and JKS.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface Stores {
  dir: string
  /** PEM. */
  caCert: string
  serverCert: string
  /** PKCS12 with the server key (password `server-pw`). */
  serverP12: string
  /** Client key and chain: PKCS12 (`client-pw`), legacy PKCS12 (`legacy-pw`), JKS (store `jks-pw`, key `jks-key-pw`). */
  clientP12: string
  clientLegacyP12: string
  clientJks: string
  /** The CA as a trusted entry: PKCS12 (`trust-pw`), JKS (`trust-pw`), PEM file. */
  trustP12: string
  trustJks: string
  trustPem: string
  cleanup(): Promise<void>
}

async function keytool(...args: string[]): Promise<string> {
  // A quick JVM: each keytool run is short.
  const { stdout } = await run('keytool', ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', ...args])
  return stdout
}

/** Makes the stores (about ten keytool runs). */
export async function makeStores(): Promise<Stores> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-stores-'))
  const p = (name: string) => join(dir, name)
  const common = ['-noprompt', '-validity', '3']
  await keytool(
    '-genkeypair',
    '-alias',
    'ca',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    'CN=Ferry Test CA',
    '-ext',
    'bc:c',
    '-storetype',
    'PKCS12',
    '-keystore',
    p('ca.p12'),
    '-storepass',
    'ca-pass',
    ...common,
  )
  const caCert = await keytool('-exportcert', '-rfc', '-alias', 'ca', '-keystore', p('ca.p12'), '-storepass', 'ca-pass')
  await writeFile(p('ca.pem'), caCert)
  const signed = async (
    alias: string,
    store: string,
    password: string,
    dname: string,
    ext: string[],
    storetype: string[] = ['-storetype', 'PKCS12'],
    keyPassword = password,
  ) => {
    await keytool(
      '-genkeypair',
      '-alias',
      alias,
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-dname',
      dname,
      ...storetype,
      '-keystore',
      store,
      '-storepass',
      password,
      '-keypass',
      keyPassword,
      ...common,
    )
    await keytool(
      '-certreq',
      '-alias',
      alias,
      '-keystore',
      store,
      '-storepass',
      password,
      '-keypass',
      keyPassword,
      '-file',
      `${store}.csr`,
    )
    await keytool(
      '-gencert',
      '-alias',
      'ca',
      '-keystore',
      p('ca.p12'),
      '-storepass',
      'ca-pass',
      '-infile',
      `${store}.csr`,
      '-outfile',
      `${store}.crt`,
      '-rfc',
      ...ext,
      ...common,
    )
    await keytool(
      '-importcert',
      '-alias',
      'ca',
      '-file',
      p('ca.pem'),
      '-keystore',
      store,
      '-storepass',
      password,
      ...common,
    )
    await keytool(
      '-importcert',
      '-alias',
      alias,
      '-file',
      `${store}.crt`,
      '-keystore',
      store,
      '-storepass',
      password,
      '-keypass',
      keyPassword,
      ...common,
    )
    return readFile(`${store}.crt`, 'utf8')
  }
  const serverCert = await signed('server', p('server.p12'), 'server-pw', 'CN=localhost,O=Ferry', [
    '-ext',
    'san=dns:localhost,ip:127.0.0.1',
  ])
  await signed('client', p('client.p12'), 'client-pw', 'CN=ferry-client,O=Ferry', [])
  await keytool(
    '-J-Dkeystore.pkcs12.legacy',
    '-importkeystore',
    '-srckeystore',
    p('client.p12'),
    '-srcstorepass',
    'client-pw',
    '-srcalias',
    'client',
    '-destkeystore',
    p('client-legacy.p12'),
    '-deststoretype',
    'PKCS12',
    '-deststorepass',
    'legacy-pw',
    '-noprompt',
  )
  await keytool(
    '-importkeystore',
    '-srckeystore',
    p('client.p12'),
    '-srcstorepass',
    'client-pw',
    '-srcalias',
    'client',
    '-srckeypass',
    'client-pw',
    '-destkeystore',
    p('client.jks'),
    '-deststoretype',
    'JKS',
    '-deststorepass',
    'jks-pw',
    '-destkeypass',
    'jks-key-pw',
    '-noprompt',
  )
  await keytool(
    '-importcert',
    '-alias',
    'ca',
    '-file',
    p('ca.pem'),
    '-storetype',
    'PKCS12',
    '-keystore',
    p('trust.p12'),
    '-storepass',
    'trust-pw',
    ...common,
  )
  await keytool(
    '-importcert',
    '-alias',
    'ca',
    '-file',
    p('ca.pem'),
    '-storetype',
    'JKS',
    '-keystore',
    p('trust.jks'),
    '-storepass',
    'trust-pw',
    ...common,
  )
  return {
    dir,
    caCert,
    serverCert,
    serverP12: p('server.p12'),
    clientP12: p('client.p12'),
    clientLegacyP12: p('client-legacy.p12'),
    clientJks: p('client.jks'),
    trustP12: p('trust.p12'),
    trustJks: p('trust.jks'),
    trustPem: p('ca.pem'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}
