import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { test } from 'node:test'
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  UserError,
} from '@platformatic/kafka'
import type { ConnectionSecurity } from '../../src/kafka/client-settings.ts'
import { diagnoseConnection } from '../../src/kafka/clients.ts'
import {
  authorizationFailure,
  authorizedOperations,
  connectionSecurityException,
  describeConnectionFailure,
  isAuthorizationFailure,
  principalOf,
} from '../../src/kafka/failures.ts'

const SCRAM: ConnectionSecurity = {
  protocol: 'SASL_SSL',
  description: 'SASL_SSL, SCRAM-SHA-512 as alice',
  tls: {},
  sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: () => 'fake-password-1234' },
}

/** The shape of the client library's error when every attempt to reach a broker failed with `cause`. */
function connectFailed(cause: Error, broker = '127.0.0.1:9093'): Error {
  const connection = new NetworkError(`Connection to ${broker} failed.`, { cause })
  const any = new MultipleErrors('Cannot connect to any broker.', [connection])
  return new MultipleErrors('Listing topics failed.', [new MultipleErrors('metadata failed 4 times.', [any, any])])
}

test('a refused SASL login names the broker, the mechanism and the principal, with the broker’s reason and no secret', () => {
  const refused = new ResponseError(
    36,
    2,
    {
      '/': [
        58,
        'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      ],
    },
    {},
  )
  const error = connectFailed(new AuthenticationError('SASL authentication failed.', { cause: refused }))
  const failure = describeConnectionFailure(error, SCRAM)
  assert.deepEqual(failure, {
    kind: 'authentication',
    broker: '127.0.0.1:9093',
    message:
      'Authentication failed at 127.0.0.1:9093 (SASL_SSL, SCRAM-SHA-512 as alice): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
  })
  assert.ok(!failure!.message.includes('fake-password-1234'))
  // As the exception a sink task fails with.
  const exception = connectionSecurityException(error, SCRAM)
  assert.equal(exception?.name, 'SaslAuthenticationException')
  assert.equal(exception?.message, failure!.message)
  assert.equal(exception?.cause, error)
  const refusedTcp = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
  assert.equal(connectionSecurityException(connectFailed(refusedTcp), SCRAM), null)
})

test('TLS failures say whether the certificate chain or the host name failed, and what to check', () => {
  const ssl: ConnectionSecurity = { protocol: 'SSL', description: 'SSL', tls: {} }
  const chain = Object.assign(new Error('self-signed certificate in certificate chain'), {
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
  })
  assert.equal(
    describeConnectionFailure(connectFailed(chain), ssl)?.message,
    "TLS certificate verification failed at 127.0.0.1:9093 (SSL): self-signed certificate in certificate chain (the broker's certificate does not lead to a CA in the trust store, ssl.truststore.*)",
  )
  const host = Object.assign(
    new Error("Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: "),
    { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  )
  assert.match(
    describeConnectionFailure(connectFailed(host), ssl)?.message ?? '',
    /^TLS host name verification failed at 127\.0\.0\.1:9093 \(SSL\): Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list \(ssl\.endpoint\.identification\.algorithm=https/,
  )
  const alert = Object.assign(new Error('tlsv13 alert certificate required'), {
    code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  })
  assert.match(
    describeConnectionFailure(connectFailed(alert), ssl)?.message ?? '',
    /the broker requires a client certificate and none is configured \(ssl\.keystore\.\*\)/,
  )
})

test('a listener speaking another protocol is named as such', () => {
  const plain: ConnectionSecurity = { protocol: 'PLAINTEXT', description: 'PLAINTEXT' }
  const tls = new MultipleErrors('Listing topics failed.', [new UserError('Broker requires TLS.')])
  assert.equal(
    describeConnectionFailure(tls, plain)?.message,
    'The broker answered with TLS but security.protocol=PLAINTEXT: set security.protocol=SSL (or SASL_SSL) and a trust store (ssl.truststore.*)',
  )
  const noSasl = new ResponseError(17, 1, { '/': [34, null] }, {})
  const handshake = new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: noSasl })
  assert.match(
    describeConnectionFailure(connectFailed(handshake), SCRAM)?.message ?? '',
    /^SASL handshake failed at 127\.0\.0\.1:9093 \(SASL_SSL, SCRAM-SHA-512 as alice\): the listener does not take SASL/,
  )
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
  assert.equal(describeConnectionFailure(connectFailed(refused, '127.0.0.1:9'), plain)?.kind, 'unreachable')
  // Only a closed connection: nothing to say.
  const closed = new MultipleErrors('metadata failed 4 times.', [new NetworkError('Connection closed')])
  assert.equal(describeConnectionFailure(closed, plain), null)
})

test('authorization refusals become Apache’s exceptions with the principal and the missing ACL', () => {
  const metadata = new ResponseError(3, 12, { '/topics/1': [29, null] }, { topics: [{ name: 'a' }, { name: 'b' }] })
  const topic = authorizationFailure(metadata, { security: SCRAM, operation: 'WRITE', topics: ['a', 'b'] })
  assert.equal(topic?.name, 'TopicAuthorizationException')
  assert.equal(topic?.message, 'Not authorized to access topics: [b] (User:alice needs WRITE on topic b)')
  assert.equal(topic?.apiId, 'TOPIC_AUTHORIZATION_FAILED')
  assert.equal(topic?.cause, metadata)

  const join = new ResponseError(11, 9, { '/': [30, null] }, {})
  const group = authorizationFailure(join, { security: SCRAM, operation: 'READ', topics: ['a'], group: 'connect-x' })
  assert.equal(group?.message, 'Not authorized to access group: connect-x (User:alice needs READ on group connect-x)')

  const cluster = authorizationFailure(new MultipleErrors('x', [new ProtocolError('CLUSTER_AUTHORIZATION_FAILED')]), {
    security: SCRAM,
    operation: 'WRITE',
    clusterOperation: 'IDEMPOTENT_WRITE',
  })
  assert.match(
    cluster?.message ?? '',
    /^Cluster authorization failed\. \(User:alice needs IDEMPOTENT_WRITE on the cluster/,
  )

  assert.equal(
    authorizationFailure(new ProtocolError('NOT_LEADER_OR_FOLLOWER'), { security: SCRAM, operation: 'READ' }),
    null,
  )
  assert.ok(isAuthorizationFailure(new MultipleErrors('x', [new ProtocolError('TOPIC_AUTHORIZATION_FAILED')])))
  assert.ok(!isAuthorizationFailure(new NetworkError('Connection closed')))
})

test('the principal is the SASL user, the client certificate’s subject as Java names it, or ANONYMOUS', () => {
  assert.equal(principalOf(SCRAM), 'User:alice')
  assert.equal(principalOf(undefined), 'User:ANONYMOUS')
  assert.equal(principalOf({ protocol: 'SSL', description: 'SSL', tls: {} }), 'User:ANONYMOUS')
  assert.equal(
    principalOf({ protocol: 'SASL_PLAINTEXT', description: 'OAUTHBEARER', sasl: { mechanism: 'OAUTHBEARER' } }),
    null,
  )
  // A certificate for /O=Ferry/OU=Clients/CN=ferry-client, as the broker's default principal builder reads it.
  const cert = execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
      '-subj',
      '/O=Ferry/OU=Clients/CN=ferry-client',
      '-keyout',
      '/dev/null',
    ]),
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
  assert.equal(
    principalOf({ protocol: 'SSL', description: 'SSL', tls: { cert } }),
    'User:CN=ferry-client,OU=Clients,O=Ferry',
  )
})

test('KIP-430 bit fields: the operations allowed, or null when the broker did not say', () => {
  assert.deepEqual([...(authorizedOperations(3576) ?? [])].sort(), [
    'CREATE',
    'DESCRIBE',
    'DESCRIBE_CONFIGS',
    'READ',
    'WRITE',
  ])
  assert.deepEqual([...(authorizedOperations(3552) ?? [])].sort(), ['CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS'])
  assert.equal(authorizedOperations(-2147483648), null)
})

test('diagnosis: a listener that answers ApiVersions then closes on the next request expects SASL', async (t) => {
  // A stand-in for a SASL listener: it answers the first request (ApiVersions) with an empty v0-style error answer
  // and closes on the second, as Kafka's SaslServerAuthenticator does with a client that skips SaslHandshake.
  const server: Server = createServer((socket) => {
    let requests = 0
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0)
        const correlationId = buffered.readInt32BE(8)
        buffered = buffered.subarray(4 + size)
        if (++requests > 1) {
          socket.destroy()
          return
        }
        // ApiVersions v3 response: header v0 (correlation id), error_code 0, api_keys (compact, empty), throttle, tags
        const body = Buffer.from([0, 0, 1, 0, 0, 0, 0, 0])
        const header = Buffer.alloc(8)
        header.writeInt32BE(4 + body.length, 0)
        header.writeInt32BE(correlationId, 4)
        socket.write(Buffer.concat([header, body]))
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as { port: number }).port
  const failure = await diagnoseConnection(
    { bootstrapServers: [`127.0.0.1:${port}`], clientId: 'diagnosis-test' },
    `127.0.0.1:${port}`,
  )
  assert.equal(failure?.kind, 'protocol')
  assert.match(
    failure?.message ?? '',
    new RegExp(
      `^The broker at 127\\.0\\.0\\.1:${port} closed the connection on the first request after ApiVersions \\(PLAINTEXT\\): its listener expects SASL authentication`,
    ),
  )
})
