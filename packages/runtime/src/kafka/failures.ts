/**
 * What Ferry says when Kafka says no: a connection that cannot be made (authentication, TLS, a listener that speaks
 * another protocol) and a request the broker's authorizer refuses. Every message names the broker or the resource,
 * what failed and, for authorization, which ACL would let it through; never a secret (the security description
 * `SASL_SSL, SCRAM-SHA-512 as alice` holds none).
 *
 * The client library reports a failed connection as `Connection to HOST:PORT failed.` with the reason as its cause
 * (an AuthenticationError around the broker's SaslAuthenticate error, a Node TLS error, ...), wrapped in "metadata
 * failed 4 times" and the like. `describeConnectionFailure` finds that reason; `diagnoseConnection` opens one
 * connection of its own when the library only saw the socket close (a TLS alert after the handshake, a SASL listener
 * that drops a client speaking PLAINTEXT).
 */
import { X509Certificate } from 'node:crypto'
import { apiVersionsV3, Connection, type ConnectionOptions, metadataV12 } from '@platformatic/kafka'
import type { ConnectionSecurity } from './client-settings.ts'
import { innermostMessage } from './errors.ts'

/** An error of Apache's client API, named after its Java class (`RecordTooLargeException`, `TimeoutException`, ...). */
export class KafkaClientException extends Error {
  /** Kafka's error id when the broker refused (`MESSAGE_TOO_LARGE`, ...). */
  readonly apiId: string | undefined
  /** Whether sending again may succeed (Kafka's RetriableException). */
  readonly canRetry: boolean

  constructor(
    name: string,
    message: string,
    options: { cause?: unknown; apiId?: string | undefined; canRetry?: boolean } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = name
    this.apiId = options.apiId
    this.canRetry = options.canRetry ?? false
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Authorization

/** The ACL operations Ferry's clients need (Kafka's `AclOperation`). */
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'IDEMPOTENT_WRITE'

/** Bit positions of Kafka's `AclOperation` codes in the `authorized_operations` bit fields (KIP-430). */
export const ACL_OPERATION_CODES: Readonly<Record<AclOperation, number>> = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DESCRIBE: 8,
  DESCRIBE_CONFIGS: 10,
  IDEMPOTENT_WRITE: 12,
}

/** The operations a KIP-430 bit field allows; null when the broker did not say (`-2147483648`). */
export function authorizedOperations(bits: number): Set<AclOperation> | null {
  if (bits === -2147483648) return null
  const out = new Set<AclOperation>()
  for (const [op, code] of Object.entries(ACL_OPERATION_CODES))
    if ((bits & (1 << code)) !== 0) out.add(op as AclOperation)
  return out
}

/**
 * The principal the broker sees for these settings, with Kafka's default principal builder: `User:<name>` for PLAIN
 * and SCRAM, `User:<certificate subject>` for a client certificate without SASL, `User:ANONYMOUS` otherwise. Null for
 * OAUTHBEARER, whose principal is a claim of the token only the broker reads.
 */
export function principalOf(security: ConnectionSecurity | undefined): string | null {
  const sasl = security?.sasl
  if (sasl) {
    if (sasl.mechanism === 'OAUTHBEARER') return null
    return typeof sasl.username === 'string' ? `User:${sasl.username}` : null
  }
  const cert = security?.tls?.cert
  const first = Array.isArray(cert) ? cert[0] : cert
  if (first !== undefined) {
    try {
      // Java's X500Principal.getName(): the most specific part first.
      return `User:${new X509Certificate(first).subject.split('\n').reverse().join(',')}`
    } catch {
      return null
    }
  }
  return 'User:ANONYMOUS'
}

/** `User:bob needs WRITE on topic t`, or `the principal of OAUTHBEARER as client x needs ...` when unknown. */
export function aclHint(
  security: ConnectionSecurity | undefined,
  operations: readonly AclOperation[],
  resource: string,
): string {
  const who = principalOf(security) ?? `the principal of ${security?.description ?? 'the client'}`
  return `${who} needs ${operations.join(' and ')} on ${resource}`
}

/** A request the broker's authorizer refused: Apache's `TopicAuthorizationException` and its siblings, with a hint. */
export class AuthorizationException extends KafkaClientException {
  /** The ACL that is missing, e.g. `User:bob needs WRITE on topic t`. */
  readonly hint: string
  readonly operation: AclOperation
  /** `topic`, `group` or `cluster`. */
  readonly resourceType: 'topic' | 'group' | 'cluster' | 'transactional-id'
  /** The topics, the group, `kafka-cluster`, or the transactional id. */
  readonly resources: readonly string[]

  constructor(
    name: string,
    javaMessage: string,
    details: {
      apiId: string
      hint: string
      operation: AclOperation
      resourceType: 'topic' | 'group' | 'cluster' | 'transactional-id'
      resources: readonly string[]
      cause?: unknown
    },
  ) {
    super(name, `${javaMessage} (${details.hint})`, { apiId: details.apiId, cause: details.cause })
    this.hint = details.hint
    this.operation = details.operation
    this.resourceType = details.resourceType
    this.resources = details.resources
  }
}

/** `TopicAuthorizationException: Not authorized to access topics: [t] (User:bob needs WRITE on topic t)`. */
export function topicAuthorizationException(
  topics: readonly string[],
  operation: AclOperation,
  security: ConnectionSecurity | undefined,
  cause?: unknown,
): AuthorizationException {
  const unique = [...new Set(topics)]
  const resource = unique.length === 1 ? `topic ${unique[0]}` : `topics ${unique.join(', ')}`
  return new AuthorizationException(
    'TopicAuthorizationException',
    `Not authorized to access topics: [${unique.join(', ')}]`,
    {
      apiId: 'TOPIC_AUTHORIZATION_FAILED',
      hint: aclHint(security, [operation], resource),
      operation,
      resourceType: 'topic',
      resources: unique,
      cause,
    },
  )
}

/** `GroupAuthorizationException: Not authorized to access group: g (User:bob needs READ on group g)`. */
export function groupAuthorizationException(
  group: string,
  security: ConnectionSecurity | undefined,
  cause?: unknown,
): AuthorizationException {
  return new AuthorizationException('GroupAuthorizationException', `Not authorized to access group: ${group}`, {
    apiId: 'GROUP_AUTHORIZATION_FAILED',
    hint: aclHint(security, ['READ'], `group ${group}`),
    operation: 'READ',
    resourceType: 'group',
    resources: [group],
    cause,
  })
}

/**
 * `TransactionalIdAuthorizationException: Transactional Id authorization failed.` (User:bob needs WRITE on
 * transactional id x): FindCoordinator needs DESCRIBE on the id, InitProducerId, AddPartitionsToTxn and EndTxn WRITE.
 */
export function transactionalIdAuthorizationException(
  transactionalId: string,
  security: ConnectionSecurity | undefined,
  cause?: unknown,
): AuthorizationException {
  return new AuthorizationException('TransactionalIdAuthorizationException', 'Transactional Id authorization failed.', {
    apiId: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    hint: aclHint(security, ['WRITE'], `transactional id ${transactionalId}`),
    operation: 'WRITE',
    resourceType: 'transactional-id',
    resources: [transactionalId],
    cause,
  })
}

/** `ClusterAuthorizationException: Cluster authorization failed.` with the operation the cluster must allow. */
export function clusterAuthorizationException(
  operation: AclOperation,
  security: ConnectionSecurity | undefined,
  cause?: unknown,
): AuthorizationException {
  const hint =
    operation === 'IDEMPOTENT_WRITE'
      ? `${aclHint(security, ['IDEMPOTENT_WRITE'], 'the cluster')} (or WRITE on a topic), or set enable.idempotence=false`
      : aclHint(security, [operation], 'the cluster')
  return new AuthorizationException('ClusterAuthorizationException', 'Cluster authorization failed.', {
    apiId: 'CLUSTER_AUTHORIZATION_FAILED',
    hint,
    operation,
    resourceType: 'cluster',
    resources: ['kafka-cluster'],
    cause,
  })
}

interface ErrorNode {
  error: Record<string, unknown>
  parent: ErrorNode | null
}

/** Every error in the tree the client library builds (`errors` of its MultipleErrors, and `cause`s). */
function walk(error: unknown, visit: (node: ErrorNode) => boolean | undefined): boolean {
  const seen = new Set<unknown>()
  const go = (e: unknown, parent: ErrorNode | null, depth: number): boolean => {
    if (e === null || typeof e !== 'object' || depth > 10 || seen.has(e)) return false
    seen.add(e)
    const node = { error: e as Record<string, unknown>, parent }
    if (visit(node)) return true
    const inner = (e as { errors?: unknown }).errors
    if (Array.isArray(inner)) for (const i of inner) if (go(i, node, depth + 1)) return true
    return go((e as { cause?: unknown }).cause, node, depth + 1)
  }
  return go(error, null, 0)
}

/** The names of the topics a response's error paths (`/topics/2`) point at, when the response holds them. */
function topicsAt(node: ErrorNode): string[] {
  const path = node.error.path
  const m = typeof path === 'string' ? /^\/(?:topics|responses)\/(\d+)/.exec(path) : null
  if (!m) return []
  for (let p = node.parent; p !== null; p = p.parent) {
    const response = p.error.response as { topics?: unknown[]; responses?: unknown[] } | undefined
    const list = response?.topics ?? response?.responses
    const entry = Array.isArray(list)
      ? (list[Number(m[1])] as { name?: unknown; topic?: unknown } | undefined)
      : undefined
    const name = entry?.name ?? entry?.topic
    if (typeof name === 'string') return [name]
  }
  return []
}

/**
 * The authorization failure in a client error, as Apache's exception with an ACL hint; null when there is none.
 * `context` says what was being done: the operation the topics need, the topics asked for (when the broker's answer
 * does not name them) and the group.
 */
export function authorizationFailure(
  error: unknown,
  context: {
    security: ConnectionSecurity | undefined
    operation: AclOperation
    topics?: readonly string[]
    group?: string
    /** What the cluster must allow when the broker answers CLUSTER_AUTHORIZATION_FAILED. */
    clusterOperation?: AclOperation
  },
): AuthorizationException | null {
  if (error instanceof AuthorizationException) return error
  let found: { id: string; topics: string[] } | null = null
  const topics: string[] = []
  walk(error, (node) => {
    const id = node.error.apiId
    if (id === 'TOPIC_AUTHORIZATION_FAILED') {
      found ??= { id, topics }
      topics.push(...topicsAt(node))
    } else if (id === 'GROUP_AUTHORIZATION_FAILED' || id === 'CLUSTER_AUTHORIZATION_FAILED') {
      found ??= { id, topics }
    }
    return false
  })
  if (found === null) return null
  const { id } = found as { id: string }
  if (id === 'GROUP_AUTHORIZATION_FAILED' && context.group !== undefined)
    return groupAuthorizationException(context.group, context.security, error)
  if (id === 'CLUSTER_AUTHORIZATION_FAILED')
    return clusterAuthorizationException(context.clusterOperation ?? 'IDEMPOTENT_WRITE', context.security, error)
  const named = topics.length > 0 ? topics : [...(context.topics ?? [])]
  if (named.length === 0) return null
  return topicAuthorizationException(named, context.operation, context.security, error)
}

/** Whether the error is (or holds) a refusal by the broker's authorizer. */
export function isAuthorizationFailure(error: unknown): boolean {
  return walk(error, (node) => {
    if (node.error instanceof AuthorizationException) return true
    const id = node.error.apiId
    return typeof id === 'string' && /_AUTHORIZATION_FAILED$/.test(id)
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Connections

/** What failed when connecting to a broker. */
export interface ConnectionFailure {
  kind: 'authentication' | 'tls' | 'protocol' | 'unreachable'
  /** `HOST:PORT` when known. */
  broker: string | null
  /** One line, e.g. `Authentication failed at 127.0.0.1:9093 (SASL_SSL, SCRAM-SHA-512 as alice): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512`. */
  message: string
}

/** Node's codes for a certificate chain that does not verify against the trust store. */
const CERT_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
])

/** What a TLS alert the broker sent means for the client's settings. */
function tlsAlert(code: string, hasCertificate: boolean): string | null {
  if (/CERTIFICATE_REQUIRED/.test(code))
    return hasCertificate
      ? 'the broker requires a client certificate and did not accept the one sent (ssl.keystore.*)'
      : 'the broker requires a client certificate and none is configured (ssl.keystore.*)'
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR|UNSUPPORTED_CERTIFICATE)/.test(code))
    return hasCertificate
      ? "the broker refused the client certificate (ssl.keystore.*): it is not signed by a CA in the broker's trust store"
      : 'the broker requires a client certificate and none is configured (ssl.keystore.*)'
  if (/ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE/.test(code))
    return 'no TLS version both sides allow (ssl.enabled.protocols)'
  if (/NO_SHARED_CIPHER|ALERT_INSUFFICIENT_SECURITY/.test(code))
    return 'no cipher suite both sides allow (ssl.cipher.suites)'
  return null
}

/** The reason for one failed connection (the cause of the library's `Connection to HOST:PORT failed.`). */
function reasonOf(
  cause: Record<string, unknown>,
  broker: string | null,
  security: ConnectionSecurity | undefined,
): ConnectionFailure | null {
  const at = broker ?? 'the broker'
  const described = security?.description ?? 'PLAINTEXT'
  const code = typeof cause.code === 'string' ? cause.code : ''
  const message = typeof cause.message === 'string' ? cause.message : String(cause)
  if (code === 'PLT_KFK_AUTHENTICATION' || code === 'PLT_KFK_RESPONSE' || code === 'PLT_KFK_PROTOCOL') {
    // The broker's own words where it gave them (SaslAuthenticate's error_message), else the error id's text.
    let protocol: Record<string, unknown> | null = null
    walk(cause, (node) => {
      if (typeof node.error.apiId === 'string') {
        protocol = node.error
        return true
      }
      return false
    })
    const p = protocol as Record<string, unknown> | null
    const id = typeof p?.apiId === 'string' ? p.apiId : ''
    const server = typeof p?.serverErrorMessage === 'string' && p.serverErrorMessage ? p.serverErrorMessage : null
    if (id === 'UNSUPPORTED_SASL_MECHANISM') {
      const offered = (p?.response as { mechanisms?: unknown } | undefined)?.mechanisms
      const list = Array.isArray(offered) && offered.length > 0 ? ` (it enables ${offered.join(', ')})` : ''
      return {
        kind: 'authentication',
        broker,
        message: `SASL handshake failed at ${at} (${described}): the listener does not enable ${security?.sasl?.mechanism ?? 'this mechanism'}${list}`,
      }
    }
    if (id === 'ILLEGAL_SASL_STATE')
      return {
        kind: 'protocol',
        broker,
        message: `SASL handshake failed at ${at} (${described}): the listener does not take SASL; is it a PLAINTEXT or SSL listener? (security.protocol)`,
      }
    const innermost = innermostMessage(cause)
    return {
      kind: 'authentication',
      broker,
      message: `Authentication failed at ${at} (${described}): ${server ?? innermost}`,
    }
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return {
      kind: 'tls',
      broker,
      message: `TLS host name verification failed at ${at} (${described}): ${message.trim().replace(/:$/, '')} (ssl.endpoint.identification.algorithm=https checks that the broker's certificate names the host it is reached at)`,
    }
  if (CERT_VERIFY_CODES.has(code))
    return {
      kind: 'tls',
      broker,
      message: `TLS certificate verification failed at ${at} (${described}): ${message} (the broker's certificate does not lead to a CA in the trust store, ssl.truststore.*)`,
    }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    const alert = tlsAlert(code, security?.tls?.cert !== undefined)
    return {
      kind: 'tls',
      broker,
      message: `TLS handshake failed at ${at} (${described}): ${alert ?? message}${alert ? ` (${code})` : ''}`,
    }
  }
  if (code === 'PLT_KFK_USER' && /TLS handshake failed/.test(message))
    return {
      kind: 'protocol',
      broker,
      message: `TLS handshake failed at ${at} (${described}): the broker closed the connection before TLS was set up; does this listener use TLS? (security.protocol=SSL and SASL_SSL need one)`,
    }
  if (code === 'PLT_KFK_USER' && /Broker requires TLS/.test(message))
    return {
      kind: 'protocol',
      broker,
      message: `${broker ? `The broker at ${broker}` : 'The broker'} answered with TLS but security.protocol=${security?.protocol ?? 'PLAINTEXT'}: set security.protocol=SSL (or SASL_SSL) and a trust store (ssl.truststore.*)`,
    }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(code))
    return { kind: 'unreachable', broker, message: `Cannot connect to ${at}: ${message}` }
  if (code === 'PLT_KFK_TIMEOUT' || /timed out/i.test(message))
    return { kind: 'unreachable', broker, message: `Cannot connect to ${at}: ${message}` }
  return null
}

/**
 * Why a client could not connect, from its error: the first failed connection underneath that says why (SASL
 * authentication, TLS, a listener speaking another protocol, a refused TCP connection). Null when the error holds no
 * such reason (the broker refused a request, or the library only saw the connection close).
 */
export function describeConnectionFailure(
  error: unknown,
  security: ConnectionSecurity | undefined,
): ConnectionFailure | null {
  let result: ConnectionFailure | null = null
  walk(error, (node) => {
    const message = typeof node.error.message === 'string' ? node.error.message : ''
    const m = /^Connection to (.+):(\d+) failed\.$/.exec(message)
    if (m) {
      const cause = node.error.cause
      if (cause !== null && typeof cause === 'object') {
        result = reasonOf(cause as Record<string, unknown>, `${m[1]}:${m[2]}`, security)
        if (result) return true
      }
      return false
    }
    // A reason the library raised without naming the broker ("Broker requires TLS.").
    if (node.error.code === 'PLT_KFK_USER') {
      result = reasonOf(node.error, null, security)
      if (result) return true
    }
    return false
  })
  return result
}

/**
 * A connection refused for security (not for being unreachable) as Apache's exception, with Ferry's one-line reason:
 * `SaslAuthenticationException: Authentication failed at 127.0.0.1:9093 (SASL_SSL, SCRAM-SHA-512 as alice): ...`,
 * `SslAuthenticationException: TLS host name verification failed at ...`. Null for any other error.
 */
export function connectionSecurityException(
  error: unknown,
  security: ConnectionSecurity | undefined,
): KafkaClientException | null {
  const failure = describeConnectionFailure(error, security)
  if (failure === null || failure.kind === 'unreachable') return null
  const name =
    failure.kind === 'authentication'
      ? 'SaslAuthenticationException'
      : failure.kind === 'tls'
        ? 'SslAuthenticationException'
        : 'KafkaException'
  return new KafkaClientException(name, failure.message, { cause: error })
}

/** Whether the error, or anything under it, says a connection failed authentication or its TLS handshake. */
export function isSecurityFailure(error: unknown, security: ConnectionSecurity | undefined): boolean {
  const failure = describeConnectionFailure(error, security)
  return failure !== null && failure.kind !== 'unreachable'
}

/**
 * Opens one connection to `server` with the clients' connection `options` and asks for ApiVersions and Metadata, to say what the
 * library could not: why a connection that was made closed (a TLS alert after the handshake, such as a missing
 * client certificate; a SASL listener closing on a client that did not authenticate). Null when the connection
 * works, or when nothing more can be said.
 */
export async function probeConnection(
  options: ConnectionOptions,
  server: string,
  security: ConnectionSecurity | undefined,
  clientId: string,
): Promise<ConnectionFailure | null> {
  const at = server.lastIndexOf(':')
  const host = server.slice(0, at).replace(/^\[|\]$/g, '')
  const port = Number(server.slice(at + 1))
  const protocol = security?.protocol ?? 'PLAINTEXT'
  const connection = new Connection(`${clientId}-diagnosis`, options)
  const socketErrors: unknown[] = []
  connection.on('error', (e: Error) => socketErrors.push(e))
  const fromSocket = () => {
    for (const e of socketErrors) {
      const cause = (e as { cause?: unknown }).cause ?? e
      if (cause !== null && typeof cause === 'object') {
        const reason = reasonOf(cause as Record<string, unknown>, server, security)
        if (reason) return reason
      }
    }
    return null
  }
  try {
    try {
      await connection.connect(host, port)
    } catch (e) {
      return describeConnectionFailure(e, security) ?? fromSocket()
    }
    let stage = 'ApiVersions'
    try {
      await apiVersionsV3.api.async(connection, 'ferry', '0')
      stage = 'Metadata'
      await metadataV12.api.async(connection, [], false, false)
      return null
    } catch (e) {
      const reason = describeConnectionFailure(e, security) ?? fromSocket()
      if (reason) return reason
      const closed = /Connection closed/.test(innermostMessage(e))
      if (!closed) return null
      const described = security?.description ?? 'PLAINTEXT'
      if (stage === 'Metadata' && (protocol === 'PLAINTEXT' || protocol === 'SSL'))
        return {
          kind: 'protocol',
          broker: server,
          message: `The broker at ${server} closed the connection on the first request after ApiVersions (${described}): its listener expects SASL authentication; set security.protocol=SASL_PLAINTEXT or SASL_SSL with sasl.mechanism and sasl.jaas.config`,
        }
      return {
        kind: 'protocol',
        broker: server,
        message: `The broker at ${server} closed the connection on ${stage} (${described}): does security.protocol match its listener?`,
      }
    }
  } finally {
    await connection.close().catch(() => {})
  }
}
