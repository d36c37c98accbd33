/**
 * The secured listeners of `startSecuredKafka()` (./harness.ts): what the broker is told, the Apache client properties
 * for each listener and credential, the readiness probe of every listener, and ACL helpers.
 *
 * One node, these listeners beside PLAINTEXT (inter-broker and controller traffic stay on PLAINTEXT):
 *
 * | listener         | protocol        | authentication                                                    |
 * | ---------------- | --------------- | ----------------------------------------------------------------- |
 * | `PLAINTEXT`      | PLAINTEXT       | none (principal `User:ANONYMOUS`, a super user)                    |
 * | `SSL`            | SSL             | server certificate only (`User:ANONYMOUS`)                         |
 * | `MTLS`           | SSL             | `ssl.client.auth=required` (`User:CN=ferry-client,OU=Clients,O=Ferry`) |
 * | `SASL_PLAINTEXT` | SASL_PLAINTEXT  | PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (`User:<name>`)                 |
 * | `SASL_SSL`       | SASL_SSL        | PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (`User:<name>`)                 |
 * | `OAUTH`          | SASL_PLAINTEXT  | OAUTHBEARER, RS256 JWTs checked against a JWKS file (`User:<sub>`)  |
 * | `WRONG_HOST`     | SSL             | serves a certificate for `wrong-host.invalid` only                 |
 *
 * Every SASL user exists for all three mechanisms (PLAIN through the listener's JAAS `user_<name>`, SCRAM through
 * `kafka-storage format --add-scram`). The authorizer is Apache's `StandardAuthorizer` with
 * `allow.everyone.if.no.acl.found=true` and `super.users=User:ANONYMOUS;User:admin`: everything is allowed until a
 * test adds ACLs. Note that Kafka stops applying the "no ACL found" rule to a resource as soon as it has any ACL, so to
 * deny one principal only, add `ALLOW User:* ALL` beside the `DENY` (see `denyOnly`).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { connect as netConnect, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect as tlsConnect } from 'node:tls'
import {
  type AclOperationLabel,
  AclOperations,
  AclPermissionTypes,
  Admin,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka'
import type { Certificates } from './certs.ts'
import type { KafkaCluster } from './harness.ts'
import {
  createOAuthIssuer,
  type OAuthIssuer,
  startTokenEndpoint,
  type TokenEndpoint,
  type TokenEndpointOptions,
} from './oauth.ts'

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
export type ListenerName = 'PLAINTEXT' | 'SSL' | 'MTLS' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'OAUTH' | 'WRONG_HOST'
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER'

const PASSWORD_MECHANISMS: SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

/** The listeners, in the order their ports are assigned. */
export const LISTENERS: ReadonlyArray<{
  name: ListenerName
  protocol: SecurityProtocol
  mechanisms: SaslMechanism[]
  clientAuth: boolean
}> = [
  { name: 'PLAINTEXT', protocol: 'PLAINTEXT', mechanisms: [], clientAuth: false },
  { name: 'SSL', protocol: 'SSL', mechanisms: [], clientAuth: false },
  { name: 'MTLS', protocol: 'SSL', mechanisms: [], clientAuth: true },
  { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT', mechanisms: PASSWORD_MECHANISMS, clientAuth: false },
  { name: 'SASL_SSL', protocol: 'SASL_SSL', mechanisms: PASSWORD_MECHANISMS, clientAuth: false },
  { name: 'OAUTH', protocol: 'SASL_PLAINTEXT', mechanisms: ['OAUTHBEARER'], clientAuth: false },
  { name: 'WRONG_HOST', protocol: 'SSL', mechanisms: [], clientAuth: false },
]

export interface ListenerInfo {
  name: ListenerName
  protocol: SecurityProtocol
  /** `127.0.0.1:<port>`. */
  bootstrap: string
  port: number
  /** SASL mechanisms enabled on it (empty for PLAINTEXT and SSL listeners). */
  mechanisms: readonly SaslMechanism[]
  /** Whether the broker requires a client certificate. */
  clientAuth: boolean
}

export interface SecurityOptions {
  /** More SASL users (name → password), beside `admin` (a super user), `alice` and `bob` (random passwords). */
  users?: Record<string, string>
  /** A certificate set to use (from `makeCertificates`); made in the cluster's data dir otherwise. */
  certificates?: Certificates
  /** The OAuth issuer whose JWKS the broker trusts; a new one otherwise. */
  oauth?: OAuthIssuer
  /**
   * `connections.max.reauth.ms` for every SASL listener (KIP-368): the broker closes a connection that has not
   * re-authenticated within this time (or before its OAuth token expires, if sooner). Default 0: never.
   */
  connectionsMaxReauthMs?: number
}

export interface ClientPropsOptions {
  /** The truststore form for SSL listeners. Default `PKCS12`. `PEM_INLINE` puts the CA in `ssl.truststore.certificates`. */
  truststore?: 'JKS' | 'PKCS12' | 'PEM' | 'PEM_INLINE'
  /**
   * The client keystore form for `MTLS`. Default `PKCS12`. `PEM` / `PEM_ENCRYPTED` point `ssl.keystore.location` at a
   * key + chain file (`ssl.key.password` for the encrypted one); `PEM_INLINE*` put the PEM text in
   * `ssl.keystore.certificate.chain` and `ssl.keystore.key`. `JKS` has a key password apart from the store password.
   */
  keystore?: 'JKS' | 'PKCS12' | 'PEM' | 'PEM_ENCRYPTED' | 'PEM_INLINE' | 'PEM_INLINE_ENCRYPTED'
  /** Use this password (or OAuth client secret) instead of the user's, e.g. a wrong one. */
  password?: string
  /** OAUTH: the token endpoint (its URL goes to `sasl.oauthbearer.token.endpoint.url`). */
  tokenEndpoint?: TokenEndpoint | string
  /** OAUTH: where the client id and secret go: the JAAS options (`clientId`, `clientSecret`; default) or 4.x's keys. */
  oauthCredentials?: 'jaas' | 'config'
  /** OAUTH: the scope asked for. Default `kafka`. */
  scope?: string
}

export interface AclSpec {
  /** `User:bob`, `User:CN=ferry-client,OU=Clients,O=Ferry`, `User:*`. */
  principal: string
  operation: AclOperationLabel
  permission: 'ALLOW' | 'DENY'
  /** Default `TOPIC`. */
  resourceType?: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID'
  /** The topic / group / transactional id, `*` for all; `kafka-cluster` for CLUSTER (the default then). */
  resourceName?: string
  /** Default `LITERAL`. */
  patternType?: 'LITERAL' | 'PREFIXED'
  /** Default `*`. */
  host?: string
}

export interface SecuredKafkaCluster extends KafkaCluster {
  /** PLAINTEXT, as for an unsecured cluster; its clients are `User:ANONYMOUS`, a super user. */
  bootstrapServers: string
  listeners: Readonly<Record<ListenerName, ListenerInfo>>
  certificates: Certificates
  /** SASL users, name → password (also the OAuth client secrets of `startTokenEndpoint`'s default clients). */
  users: Readonly<Record<string, string>>
  superUsers: readonly string[]
  /** Signs the JWTs the OAUTH listener accepts. */
  oauth: OAuthIssuer
  /**
   * Apache client properties for `listener`: `security.protocol`, the `ssl.*` truststore (and keystore for MTLS),
   * `sasl.mechanism` and `sasl.jaas.config` (Java JAAS syntax) for `user` (default `alice`; the default mechanism is
   * SCRAM-SHA-512 on SASL listeners, OAUTHBEARER on OAUTH, which needs `opts.tokenEndpoint`).
   */
  clientProps(
    listener: ListenerName,
    mechanism?: SaslMechanism,
    user?: string,
    opts?: ClientPropsOptions,
  ): Record<string, string>
  /** Writes `props` as a Java properties file in the cluster's data dir and returns its path. */
  writeClientProps(props: Record<string, string>, name?: string): Promise<string>
  /** A token endpoint minting this cluster's tokens; clients default to the SASL users. Closed by `stop()`. */
  startTokenEndpoint(opts?: Partial<TokenEndpointOptions>): Promise<TokenEndpoint>
  /** Creates ACLs (through PLAINTEXT) and waits until the broker's authorizer has them. */
  addAcl(...acls: AclSpec[]): Promise<void>
  /** Deletes exactly these ACLs and waits until the broker's authorizer has dropped them. */
  removeAcl(...acls: AclSpec[]): Promise<void>
  /** `operation` on `topic` denied to `principal` only (an ALLOW for `User:*` beside the DENY); returns the undo. */
  denyOnly(principal: string, operation: AclOperationLabel, topic: string): Promise<() => Promise<void>>
}

const DEFAULT_USERS = ['admin', 'alice', 'bob']
export const SUPER_USERS = ['User:ANONYMOUS', 'User:admin']
const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule'
const OAUTH_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const OAUTH_VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler'
const OAUTH_LOGIN_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler'
/** Kafka 4.x refuses OAuth URLs and files not listed in these JVM system properties. */
export const OAUTH_ALLOWED_URLS_PROPERTY = 'org.apache.kafka.sasl.oauthbearer.allowed.urls'
export const OAUTH_ALLOWED_FILES_PROPERTY = 'org.apache.kafka.sasl.oauthbearer.allowed.files'

/** A JAAS option value, quoted. */
export function jaasQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** `props` as a Java properties file (keys and values escaped as `java.util.Properties.load` reads them). */
export function formatProperties(props: Record<string, string>): string {
  const quote = (s: string, key: boolean) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(/\f/g, '\\f')
      .replace(key ? /[=:# !]/g : /^[ #!]/, (c) => `\\${c}`)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `${Object.entries(props)
    .map(([k, v]) => `${quote(k, true)}=${quote(v, false)}`)
    .join('\n')}\n`
}

export interface PreparedSecurity {
  listeners: Record<ListenerName, ListenerInfo>
  users: Record<string, string>
  /** Broker properties replacing / adding to the plain ones. */
  serverProps: Record<string, string>
  /** `kafka-storage format` arguments creating the SCRAM credentials. */
  formatArgs: string[]
  /** JVM system properties for the broker. */
  jvmArgs: string[]
  /** Resolves once every listener accepts a connection, its TLS and SASL handshakes, and a Metadata request. */
  waitListeners(deadline: number, signal: AbortSignal | undefined): Promise<void>
  /** Adds the secured API to the plain cluster object. */
  extend(base: KafkaCluster): SecuredKafkaCluster
}

/**
 * Everything the secured node needs, given its ports (`ports[0]` is PLAINTEXT, then SSL, MTLS, ... as in LISTENERS)
 * and a directory for the JWKS file.
 */
export async function prepareSecurity(opts: {
  dir: string
  ports: number[]
  controllerPort: number
  certificates: Certificates
  security: SecurityOptions
}): Promise<PreparedSecurity> {
  const certs = opts.certificates
  const users: Record<string, string> = {}
  for (const name of DEFAULT_USERS) users[name] = randomPassword()
  for (const [name, password] of Object.entries(opts.security.users ?? {})) {
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new Error(`SASL user names are letters, digits, '.', '_' and '-': ${name}`)
    if (/[,\]=\s"]/.test(password)) throw new Error(`the password of SASL user ${name} may not hold , ] = " or spaces`)
    users[name] = password
  }
  const oauth = opts.security.oauth ?? createOAuthIssuer()
  const jwksPath = join(opts.dir, 'jwks.json')
  await oauth.writeJwks(jwksPath)
  const jwksUrl = `file://${jwksPath}`

  const listeners = {} as Record<ListenerName, ListenerInfo>
  LISTENERS.forEach((l, i) => {
    const port = opts.ports[i]
    if (port === undefined) throw new Error(`no port for listener ${l.name}`)
    listeners[l.name] = { ...l, port, bootstrap: `127.0.0.1:${port}` }
  })

  const broker = certs.broker.keystore
  const sp: Record<string, string> = {
    listeners: [
      ...LISTENERS.map((l) => `${l.name}://${listeners[l.name].bootstrap}`),
      `CONTROLLER://127.0.0.1:${opts.controllerPort}`,
    ].join(','),
    'listener.security.protocol.map': ['CONTROLLER:PLAINTEXT', ...LISTENERS.map((l) => `${l.name}:${l.protocol}`)].join(
      ',',
    ),
    'advertised.listeners': LISTENERS.map((l) => `${l.name}://${listeners[l.name].bootstrap}`).join(','),
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': broker.path,
    'ssl.keystore.password': broker.password,
    'ssl.key.password': broker.keyPassword,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': certs.truststore.pkcs12.path,
    'ssl.truststore.password': certs.truststore.pkcs12.password,
    'ssl.client.auth': 'none',
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.wrong_host.ssl.keystore.type': 'PKCS12',
    'listener.name.wrong_host.ssl.keystore.location': certs.wrongHost.keystore.path,
    'listener.name.wrong_host.ssl.keystore.password': certs.wrongHost.keystore.password,
    'listener.name.wrong_host.ssl.key.password': certs.wrongHost.keystore.keyPassword,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'true',
    'super.users': SUPER_USERS.join(';'),
  }
  const reauth = opts.security.connectionsMaxReauthMs
  if (reauth !== undefined) {
    if (!Number.isInteger(reauth) || reauth < 0)
      throw new Error(`connectionsMaxReauthMs must be a whole number of milliseconds >= 0, got ${reauth}`)
    sp['connections.max.reauth.ms'] = String(reauth)
  }
  const plainUsers = Object.entries(users)
    .map(([name, password]) => `user_${name}=${jaasQuote(password)}`)
    .join(' ')
  for (const name of ['sasl_plaintext', 'sasl_ssl']) {
    const prefix = `listener.name.${name}`
    sp[`${prefix}.sasl.enabled.mechanisms`] = PASSWORD_MECHANISMS.join(',')
    sp[`${prefix}.plain.sasl.jaas.config`] = `${PLAIN_MODULE} required ${plainUsers};`
    sp[`${prefix}.scram-sha-256.sasl.jaas.config`] = `${SCRAM_MODULE} required;`
    sp[`${prefix}.scram-sha-512.sasl.jaas.config`] = `${SCRAM_MODULE} required;`
  }
  const oauthPrefix = 'listener.name.oauth.oauthbearer'
  sp['listener.name.oauth.sasl.enabled.mechanisms'] = 'OAUTHBEARER'
  sp[`${oauthPrefix}.sasl.jaas.config`] = `${OAUTH_MODULE} required;`
  sp[`${oauthPrefix}.sasl.server.callback.handler.class`] = OAUTH_VALIDATOR
  sp[`${oauthPrefix}.sasl.oauthbearer.jwks.endpoint.url`] = jwksUrl
  sp[`${oauthPrefix}.sasl.oauthbearer.expected.audience`] = oauth.audience
  sp[`${oauthPrefix}.sasl.oauthbearer.expected.issuer`] = oauth.issuer

  const formatArgs = Object.entries(users).flatMap(([name, password]) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${name},password=${password}]`]),
  )
  const jvmArgs = [`-D${OAUTH_ALLOWED_URLS_PROPERTY}=${jwksUrl}`, `-D${OAUTH_ALLOWED_FILES_PROPERTY}=${jwksPath}`]

  const pem = (path: string) => readFileSync(path, 'utf8')
  const tlsFor = (l: ListenerInfo) =>
    l.protocol === 'SSL' || l.protocol === 'SASL_SSL'
      ? {
          ca: pem(certs.truststore.pem.path),
          ...(l.clientAuth ? { cert: pem(certs.client.pem.certChain), key: pem(certs.client.pem.key) } : {}),
          // WRONG_HOST is meant to fail host name verification; the probe only checks it serves TLS.
          ...(l.name === 'WRONG_HOST' ? { checkServerIdentity: () => undefined } : {}),
        }
      : undefined
  const saslFor = (l: ListenerInfo): ProbeSasl | undefined => {
    if (l.mechanisms.includes('OAUTHBEARER')) {
      const token = oauth.mintToken({ subject: 'admin', lifetimeSeconds: 300 })
      return { mechanism: 'OAUTHBEARER', expected: l.mechanisms, authBytes: `n,,\x01auth=Bearer ${token}\x01\x01` }
    }
    if (l.mechanisms.length === 0) return undefined
    return { mechanism: 'PLAIN', expected: l.mechanisms, authBytes: `\0admin\0${users.admin}` }
  }

  return {
    listeners,
    users,
    serverProps: sp,
    formatArgs,
    jvmArgs,
    async waitListeners(deadline, signal) {
      const pending = new Set(Object.values(listeners))
      let lastError = ''
      while (pending.size > 0) {
        signal?.throwIfAborted()
        for (const l of pending) {
          try {
            await probeListener(l.port, tlsFor(l), saslFor(l), 3_000)
            pending.delete(l)
          } catch (err) {
            lastError = `listener ${l.name}: ${(err as Error).message}`
          }
        }
        if (pending.size === 0) return
        if (Date.now() > deadline) throw new Error(`a secured listener did not answer in time (${lastError})`)
        await sleep(250, undefined, { signal }).catch(() => {})
      }
    },
    extend(base) {
      return secureCluster(base, { listeners, users, certs, oauth })
    },
  }
}

function randomPassword(): string {
  return randomBytes(12).toString('hex')
}

function secureCluster(
  base: KafkaCluster,
  ctx: {
    listeners: Record<ListenerName, ListenerInfo>
    users: Record<string, string>
    certs: Certificates
    oauth: OAuthIssuer
  },
): SecuredKafkaCluster {
  const { listeners, users, certs, oauth } = ctx
  const endpoints: TokenEndpoint[] = []
  let admin: Admin | undefined
  let fileCount = 0
  const baseStop = base.stop.bind(base)

  const aclOf = (a: AclSpec) => {
    const resourceType = a.resourceType ?? 'TOPIC'
    const resourceName = a.resourceName ?? (resourceType === 'CLUSTER' ? 'kafka-cluster' : undefined)
    if (resourceName === undefined) throw new Error(`an ACL on a ${resourceType} needs resourceName`)
    return {
      resourceType: ResourceTypes[resourceType],
      resourceName,
      resourcePatternType: ResourcePatternTypes[a.patternType ?? 'LITERAL'],
      principal: a.principal,
      host: a.host ?? '*',
      operation: AclOperations[a.operation],
      permissionType: AclPermissionTypes[a.permission],
    }
  }
  const adminClient = () => {
    admin ??= new Admin({ clientId: 'ferry-harness-acls', bootstrapBrokers: [listeners.PLAINTEXT.bootstrap] })
    return admin
  }
  /** Polls DescribeAcls (answered from the broker's authorizer) until every ACL is there (or gone). */
  const waitAcls = async (acls: ReturnType<typeof aclOf>[], present: boolean) => {
    const deadline = Date.now() + 15_000
    for (;;) {
      const found = await Promise.all(
        acls.map(async (acl) => {
          const resources = await adminClient().describeAcls({ filter: acl })
          return resources.some((r) => r.acls.length > 0)
        }),
      )
      if (found.every((f) => f === present)) return
      if (Date.now() > deadline)
        throw new Error(`the broker's authorizer did not ${present ? 'add' : 'drop'} the ACLs within 15s`)
      await sleep(50)
    }
  }

  const cluster: SecuredKafkaCluster = Object.assign(base, {
    listeners,
    certificates: certs,
    users,
    superUsers: SUPER_USERS,
    oauth,
    clientProps(listener: ListenerName, mechanism?: SaslMechanism, user?: string, opts: ClientPropsOptions = {}) {
      return clientProps(ctx, listener, mechanism, user, opts)
    },
    async writeClientProps(props: Record<string, string>, name?: string) {
      const path = join(base.dataDir, name ?? `client-${++fileCount}.properties`)
      await writeFile(path, formatProperties(props), { mode: 0o600 })
      return path
    },
    async startTokenEndpoint(opts: Partial<TokenEndpointOptions> = {}) {
      const endpoint = await startTokenEndpoint({
        ...opts,
        issuer: opts.issuer ?? oauth,
        clients: opts.clients ?? { ...users },
      })
      endpoints.push(endpoint)
      return endpoint
    },
    async addAcl(...acls: AclSpec[]) {
      const creations = acls.map(aclOf)
      await adminClient().createAcls({ creations })
      await waitAcls(creations, true)
    },
    async removeAcl(...acls: AclSpec[]) {
      const filters = acls.map(aclOf)
      await adminClient().deleteAcls({ filters })
      await waitAcls(filters, false)
    },
    async denyOnly(principal: string, operation: AclOperationLabel, topic: string) {
      const acls: AclSpec[] = [
        { principal: 'User:*', operation: 'ALL', permission: 'ALLOW', resourceName: topic },
        { principal, operation, permission: 'DENY', resourceName: topic },
      ]
      await cluster.addAcl(...acls)
      return () => cluster.removeAcl(...acls)
    },
    stop: async () => {
      await Promise.all(endpoints.map((e) => e.close()))
      await admin?.close().catch(() => {})
      await baseStop()
    },
  })
  return cluster
}

function clientProps(
  ctx: { listeners: Record<ListenerName, ListenerInfo>; users: Record<string, string>; certs: Certificates },
  name: ListenerName,
  mechanismArg: SaslMechanism | undefined,
  userArg: string | undefined,
  opts: ClientPropsOptions,
): Record<string, string> {
  const listener = ctx.listeners[name]
  if (!listener) throw new Error(`no listener ${name}; listeners: ${Object.keys(ctx.listeners).join(', ')}`)
  const { certs } = ctx
  const props: Record<string, string> = { 'security.protocol': listener.protocol }
  const pem = (path: string) => readFileSync(path, 'utf8')

  if (listener.protocol === 'SSL' || listener.protocol === 'SASL_SSL') {
    const trust = opts.truststore ?? 'PKCS12'
    if (trust === 'JKS' || trust === 'PKCS12') {
      const store = trust === 'JKS' ? certs.truststore.jks : certs.truststore.pkcs12
      props['ssl.truststore.type'] = trust
      props['ssl.truststore.location'] = store.path
      props['ssl.truststore.password'] = store.password
    } else if (trust === 'PEM') {
      props['ssl.truststore.type'] = 'PEM'
      props['ssl.truststore.location'] = certs.truststore.pem.path
    } else {
      props['ssl.truststore.type'] = 'PEM'
      props['ssl.truststore.certificates'] = pem(certs.truststore.pem.path)
    }
  } else if (opts.truststore) {
    throw new Error(`listener ${name} does not use TLS: truststore does not apply`)
  }

  if (listener.clientAuth) {
    const form = opts.keystore ?? 'PKCS12'
    const client = certs.client
    if (form === 'JKS' || form === 'PKCS12') {
      const store = form === 'JKS' ? client.jks : client.pkcs12
      props['ssl.keystore.type'] = form
      props['ssl.keystore.location'] = store.path
      props['ssl.keystore.password'] = store.password
      if (form === 'JKS') props['ssl.key.password'] = store.keyPassword
    } else {
      props['ssl.keystore.type'] = 'PEM'
      const encrypted = form.endsWith('_ENCRYPTED')
      const pair = encrypted ? client.pemEncrypted : client.pem
      if (form.startsWith('PEM_INLINE')) {
        props['ssl.keystore.certificate.chain'] = pem(pair.certChain)
        props['ssl.keystore.key'] = pem(pair.key)
      } else {
        props['ssl.keystore.location'] = pair.path
      }
      if (encrypted) props['ssl.key.password'] = client.pemEncrypted.keyPassword
    }
  } else if (opts.keystore) {
    throw new Error(`listener ${name} does not ask for a client certificate: keystore does not apply`)
  }

  if (listener.mechanisms.length === 0) {
    if (mechanismArg) throw new Error(`listener ${name} has no SASL: mechanism ${mechanismArg} does not apply`)
    return props
  }
  const mechanism = mechanismArg ?? (listener.mechanisms.includes('OAUTHBEARER') ? 'OAUTHBEARER' : 'SCRAM-SHA-512')
  if (!listener.mechanisms.includes(mechanism))
    throw new Error(`listener ${name} takes SASL mechanisms ${listener.mechanisms.join(', ')}, not ${mechanism}`)
  const user = userArg ?? 'alice'
  const known = ctx.users[user]
  const password = opts.password ?? known
  if (password === undefined)
    throw new Error(`no SASL user ${user}; users: ${Object.keys(ctx.users).join(', ')} (or pass opts.password)`)
  props['sasl.mechanism'] = mechanism
  if (mechanism === 'OAUTHBEARER') {
    const endpoint = opts.tokenEndpoint
    if (!endpoint)
      throw new Error('OAUTHBEARER client properties need opts.tokenEndpoint (cluster.startTokenEndpoint())')
    props['sasl.login.callback.handler.class'] = OAUTH_LOGIN_HANDLER
    props['sasl.oauthbearer.token.endpoint.url'] = typeof endpoint === 'string' ? endpoint : endpoint.url
    const scope = opts.scope ?? 'kafka'
    if (opts.oauthCredentials === 'config') {
      props['sasl.oauthbearer.client.credentials.client.id'] = user
      props['sasl.oauthbearer.client.credentials.client.secret'] = password
      props['sasl.oauthbearer.scope'] = scope
      props['sasl.jaas.config'] = `${OAUTH_MODULE} required;`
    } else {
      props['sasl.jaas.config'] =
        `${OAUTH_MODULE} required clientId=${jaasQuote(user)} clientSecret=${jaasQuote(password)} scope=${jaasQuote(scope)};`
    }
  } else {
    const module = mechanism === 'PLAIN' ? PLAIN_MODULE : SCRAM_MODULE
    props['sasl.jaas.config'] = `${module} required username=${jaasQuote(user)} password=${jaasQuote(password)};`
  }
  return props
}

// ---------------------------------------------------------------- readiness probe (a few raw Kafka requests)

export interface ProbeSasl {
  mechanism: 'PLAIN' | 'OAUTHBEARER'
  /** The mechanisms the listener must list in its SaslHandshake answer. */
  expected: readonly SaslMechanism[]
  authBytes: string
}

/**
 * Connects (TLS when `tls` is given), runs SaslHandshake v1 + SaslAuthenticate v1 when `sasl` is given, then a
 * Metadata v4 request. Resolves with the broker count and the SASL session lifetime the broker granted (0: no
 * re-authentication needed; undefined without SASL). Request header v1; all three answer with header v0.
 */
export async function probeListener(
  port: number,
  tls: { ca: string; cert?: string; key?: string; checkServerIdentity?: () => undefined } | undefined,
  sasl: ProbeSasl | undefined,
  timeoutMs: number,
): Promise<{ brokers: number; sessionLifetimeMs: number | undefined }> {
  const socket: Socket = await new Promise((ok, ko) => {
    const s = tls
      ? tlsConnect({ host: '127.0.0.1', port, ...tls }, () => ok(s))
      : netConnect({ host: '127.0.0.1', port }, () => ok(s))
    s.once('error', ko)
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no answer within ${timeoutMs} ms`)))
  })
  const conn = new ProbeConnection(socket)
  let sessionLifetimeMs: number | undefined
  try {
    if (sasl) {
      const hs = await conn.request(17, 1, str(sasl.mechanism))
      const error = hs.readInt16BE(0)
      const mechanisms: string[] = []
      let o = 2
      const n = hs.readInt32BE(o)
      o += 4
      for (let i = 0; i < n; i++) {
        const len = hs.readInt16BE(o)
        mechanisms.push(hs.toString('utf8', o + 2, o + 2 + len))
        o += 2 + len
      }
      if (error !== 0) throw new Error(`SaslHandshake error ${error}; the listener offers ${mechanisms.join(', ')}`)
      const missing = sasl.expected.filter((m) => !mechanisms.includes(m))
      if (missing.length > 0)
        throw new Error(`SASL mechanisms ${missing.join(', ')} not enabled (has ${mechanisms.join(', ')})`)
      const authenticate = async (bytes: Buffer) => {
        const size = Buffer.alloc(4)
        size.writeInt32BE(bytes.length)
        // error_code, error_message (nullable string), auth_bytes (bytes), session_lifetime_ms (int64)
        const res = await conn.request(36, 1, Buffer.concat([size, bytes]))
        const messageLength = res.readInt16BE(2)
        const afterMessage = 4 + Math.max(messageLength, 0)
        const bytesLength = Math.max(res.readInt32BE(afterMessage), 0)
        return {
          code: res.readInt16BE(0),
          message: messageLength >= 0 ? res.toString('utf8', 4, afterMessage) : '',
          challenge: res.toString('utf8', afterMessage + 4, afterMessage + 4 + bytesLength),
          sessionLifetimeMs: Number(res.readBigInt64BE(afterMessage + 4 + bytesLength)),
        }
      }
      const res = await authenticate(Buffer.from(sasl.authBytes))
      if (res.code !== 0) throw new Error(`SaslAuthenticate (${sasl.mechanism}) error ${res.code}: ${res.message}`)
      if (sasl.mechanism === 'OAUTHBEARER' && res.challenge !== '') {
        // RFC 7628 3.2.2: a refused token is answered with an error challenge (error code 0); the client sends
        // %x01 and the server then fails the exchange.
        const final = await authenticate(Buffer.from([1]))
        throw new Error(
          `SaslAuthenticate (OAUTHBEARER) error ${final.code}: ${final.message} (challenge ${res.challenge})`,
        )
      }
      sessionLifetimeMs = res.sessionLifetimeMs
    }
    // topics: empty array, allow_auto_topic_creation=false
    const md = await conn.request(3, 4, Buffer.from([0, 0, 0, 0, 0]))
    // after throttle_time_ms: the brokers array length
    return { brokers: md.readInt32BE(4), sessionLifetimeMs }
  } finally {
    socket.destroy()
  }
}

function str(s: string): Buffer {
  const b = Buffer.from(s)
  const len = Buffer.alloc(2)
  len.writeInt16BE(b.length)
  return Buffer.concat([len, b])
}

class ProbeConnection {
  #socket: Socket
  #buf = Buffer.alloc(0)
  #waiting: { id: number; ok: (b: Buffer) => void; ko: (e: Error) => void } | undefined
  #failed: Error | undefined
  #nextId = 1

  constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk])
      this.#drain()
    })
    const fail = (err: Error) => {
      this.#failed ??= err
      this.#waiting?.ko(err)
      this.#waiting = undefined
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed by the broker')))
  }

  request(apiKey: number, version: number, body: Buffer): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed)
    const id = this.#nextId++
    const clientId = str('ferry-harness-probe')
    const header = Buffer.alloc(8)
    header.writeInt16BE(apiKey, 0)
    header.writeInt16BE(version, 2)
    header.writeInt32BE(id, 4)
    const payload = Buffer.concat([header, clientId, body])
    const size = Buffer.alloc(4)
    size.writeInt32BE(payload.length)
    return new Promise((ok, ko) => {
      this.#waiting = { id, ok, ko }
      this.#socket.write(Buffer.concat([size, payload]))
    })
  }

  #drain(): void {
    if (this.#buf.length < 4) return
    const size = this.#buf.readInt32BE(0)
    if (this.#buf.length < 4 + size) return
    const frame = this.#buf.subarray(4, 4 + size)
    this.#buf = this.#buf.subarray(4 + size)
    const waiting = this.#waiting
    this.#waiting = undefined
    if (!waiting) return
    if (frame.readInt32BE(0) !== waiting.id) waiting.ko(new Error('unexpected correlation id'))
    else waiting.ok(frame.subarray(4))
  }
}
