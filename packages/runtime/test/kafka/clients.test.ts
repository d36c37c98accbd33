/**
 * Every connection Ferry opens carries the worker's security settings: the options built from `ClientSettings`, and
 * what reaches the wire from each client (the library's Producer, Consumer and Admin behind KafkaProducer,
 * KafkaConsumer and KafkaAdmin, the internal topics' clients and the Connect group member): a TLS handshake for SSL,
 * a SaslHandshake for SASL. A local TCP server stands in for the broker and only looks at what arrives.
 */
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { test } from 'node:test'
import { createServer as createTlsServer } from 'node:tls'
import { ensureInternalTopic, KafkaBasedLog } from '../../src/kafka/based-log.ts'
import type { ClientSettings, ConnectionSecurity } from '../../src/kafka/client-settings.ts'
import {
  clientOptions,
  connectionOptions,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
  retryBackoff,
} from '../../src/kafka/clients.ts'
import { GroupMember } from '../../src/kafka/group-member.ts'

const TLS: ConnectionSecurity = { protocol: 'SSL', tls: { ca: 'CA PEM', rejectUnauthorized: true }, description: 'SSL' }
const SASL: ConnectionSecurity = {
  protocol: 'SASL_PLAINTEXT',
  sasl: { mechanism: 'PLAIN', username: 'alice', password: 'secret' },
  description: 'SASL_PLAINTEXT, PLAIN as alice',
}

test('PLAINTEXT connections take the timeouts and no TLS or SASL', () => {
  const options = connectionOptions({ bootstrapServers: ['b:9092'], clientId: 'c' })
  assert.deepEqual(options, { requestTimeout: 30000, connectTimeout: 10000 })
  const base = clientOptions({
    bootstrapServers: ['b:9092'],
    clientId: 'c',
    requestTimeoutMs: 1234,
    connectTimeoutMs: 567,
    metadataMaxAgeMs: 8900,
  })
  assert.equal(base.clientId, 'c')
  assert.deepEqual(base.bootstrapBrokers, ['b:9092'])
  assert.equal(base.requestTimeout, 1234)
  assert.equal(base.timeout, 1234)
  assert.equal(base.connectTimeout, 567)
  assert.equal(base.metadataMaxAge, 8900)
  assert.equal(base.tls, undefined)
  assert.equal(base.sasl, undefined)
})

test('SSL passes the TLS options, with SNI for host names but not for IP addresses', () => {
  const byName = connectionOptions({ bootstrapServers: ['kafka-1.example.com:9093'], clientId: 'c', security: TLS })
  assert.deepEqual(byName.tls, TLS.tls)
  assert.notEqual(byName.tls, TLS.tls, 'a copy: the library must not change the settings')
  assert.equal(byName.tlsServerName, true)
  const byIp = connectionOptions({ bootstrapServers: ['127.0.0.1:9093'], clientId: 'c', security: TLS })
  assert.equal(byIp.tlsServerName, undefined)
  assert.equal(byIp.sasl, undefined)
})

test('SASL_SSL passes both TLS and SASL; SASL_PLAINTEXT only SASL; a SASL protocol without SASL options is refused', () => {
  const both = clientOptions({
    bootstrapServers: ['b:9093'],
    clientId: 'c',
    security: { ...SASL, protocol: 'SASL_SSL', tls: {} },
  })
  assert.deepEqual(both.tls, {})
  assert.equal(both.sasl, SASL.sasl)
  const plain = clientOptions({ bootstrapServers: ['b:9093'], clientId: 'c', security: SASL })
  assert.equal(plain.tls, undefined)
  assert.equal(plain.sasl, SASL.sasl)
  assert.throws(
    () => connectionOptions({ bootstrapServers: ['b:9093'], clientId: 'c', security: { ...SASL, sasl: undefined } }),
    /security\.protocol=SASL_PLAINTEXT needs a sasl\.mechanism/,
  )
})

test('retries back off exponentially from retry.backoff.ms to retry.backoff.max.ms with 20% jitter, as Java', () => {
  const s: ClientSettings = { bootstrapServers: [], clientId: 'c', retryBackoffMs: 100, retryBackoffMaxMs: 1000 }
  for (let i = 0; i < 50; i++) {
    const first = retryBackoff(s, 1)
    assert.ok(first >= 80 && first <= 120, `first ${first}`)
    const third = retryBackoff(s, 3)
    assert.ok(third >= 320 && third <= 480, `third ${third}`)
    assert.ok(retryBackoff(s, 20) <= 1000)
  }
  assert.equal(retryBackoff({ ...s, retryBackoffMaxMs: 50 }, 5), 100, 'a max below the initial backoff: constant')
  const delay = clientOptions(s).retryDelay as (c: unknown, op: string, attempt: number) => number
  assert.ok(delay(null, 'metadata', 1) <= 120)
})

/** What a fake broker saw on one connection. */
interface Seen {
  tls: boolean
  apiKeys: number[]
}

/**
 * A TCP server that records, per connection, whether it starts with a TLS handshake, and the api keys of the
 * plaintext requests; it answers ApiVersions with UNSUPPORTED_VERSION so a SASL client goes on to SaslHandshake.
 */
async function fakeBroker(t: { after: (fn: () => Promise<void> | void) => void }): Promise<{
  port: number
  seen: Seen[]
  until: (check: (seen: Seen[]) => boolean) => Promise<void>
}> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    const s: Seen = { tls: false, apiKeys: [] }
    seen.push(s)
    let buffer = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      if (buffer.length === 0 && s.apiKeys.length === 0 && chunk[0] === 0x16 && chunk[1] === 0x03) {
        s.tls = true
        socket.destroy()
        return
      }
      buffer = Buffer.concat([buffer, chunk])
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readInt32BE(0)) {
        const size = buffer.readInt32BE(0)
        const apiKey = buffer.readInt16BE(4)
        const correlationId = buffer.readInt32BE(8)
        buffer = buffer.subarray(4 + size)
        s.apiKeys.push(apiKey)
        if (apiKey === 18) {
          // ApiVersions v1 response: correlation id, error UNSUPPORTED_VERSION (35), no api keys, throttle 0.
          const response = Buffer.alloc(4 + 4 + 2 + 4 + 4)
          response.writeInt32BE(response.length - 4, 0)
          response.writeInt32BE(correlationId, 4)
          response.writeInt16BE(35, 8)
          socket.write(response)
        } else socket.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  const port = (server.address() as { port: number }).port
  return {
    port,
    seen,
    until: async (check) => {
      const deadline = Date.now() + 10000
      while (!check(seen)) {
        if (Date.now() > deadline) throw new Error(`not seen: ${JSON.stringify(seen)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}

/** Each of Ferry's clients, started against `settings` and closed again (its failures ignored). */
const clients: Array<[string, (s: ClientSettings) => { run: Promise<unknown>; close: () => Promise<unknown> }]> = [
  [
    'KafkaAdmin',
    (s) => {
      const admin = new KafkaAdmin(s)
      return { run: admin.listTopics(), close: () => admin.close() }
    },
  ],
  [
    'KafkaProducer',
    (s) => {
      const producer = new KafkaProducer({ ...s, maxBlockMs: 1000 })
      return {
        run: producer.send([{ topic: 't', key: null, value: Buffer.from('v') }]),
        close: () => producer.close(),
      }
    },
  ],
  [
    'KafkaConsumer',
    (s) => {
      const consumer = new KafkaConsumer({ ...s, groupId: 'g' })
      return { run: consumer.subscribe(['t']), close: () => consumer.close() }
    },
  ],
  [
    'the internal topics admin (ensureInternalTopic)',
    (s) => ({
      run: ensureInternalTopic(
        s,
        { name: 't', partitions: 1, replicationFactor: 1, workerConfigKey: 'config.storage.topic', purpose: 'p' },
        { timeoutMs: 500 },
      ),
      close: async () => {},
    }),
  ],
  [
    'the internal topics log (KafkaBasedLog)',
    (s) => {
      const log = new KafkaBasedLog({ ...s, topic: 't', onRecord: () => {}, partitionsTimeoutMs: 500 })
      return { run: log.start(), close: () => log.stop() }
    },
  ],
  [
    'the Connect group member (GroupMember)',
    (s) => {
      const member = new GroupMember({
        ...s,
        groupId: 'g',
        protocolType: 'connect',
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: 10000,
      })
      return { run: member.findCoordinator(), close: () => member.close() }
    },
  ],
]

for (const [name, start] of clients) {
  test(`${name} opens its connections with TLS when security.protocol=SSL`, async (t) => {
    const broker = await fakeBroker(t)
    const client = start({
      bootstrapServers: [`127.0.0.1:${broker.port}`],
      clientId: 'tls-test',
      security: TLS,
      requestTimeoutMs: 2000,
      connectTimeoutMs: 2000,
    })
    client.run.catch(() => {})
    try {
      // Until the first bytes of a connection arrived: a TLS ClientHello, or a plaintext request.
      await broker.until((seen) => seen.some((s) => s.tls || s.apiKeys.length > 0))
      assert.ok(
        broker.seen.every((s) => s.tls || s.apiKeys.length === 0),
        `every connection starts a TLS handshake: ${JSON.stringify(broker.seen)}`,
      )
    } finally {
      await client.close().catch(() => {})
    }
  })

  test(`${name} authenticates its connections with SASL when security.protocol=SASL_PLAINTEXT`, async (t) => {
    const broker = await fakeBroker(t)
    const client = start({
      bootstrapServers: [`127.0.0.1:${broker.port}`],
      clientId: 'sasl-test',
      security: SASL,
      requestTimeoutMs: 2000,
      connectTimeoutMs: 2000,
    })
    client.run.catch(() => {})
    try {
      // ApiVersions (18), then SaslHandshake (17) before any other request.
      await broker.until((seen) => seen.some((s) => s.apiKeys.length >= 2))
      const first = broker.seen.find((s) => s.apiKeys.length >= 2)!
      assert.deepEqual(first.apiKeys.slice(0, 2), [18, 17])
      assert.ok(broker.seen.every((s) => !s.tls && (s.apiKeys.length === 0 || s.apiKeys[0] === 18)))
    } finally {
      await client.close().catch(() => {})
    }
  })
}

/** A throwaway self-signed certificate for 127.0.0.1 (EC P-256, valid for 100 years): a test fixture, no secret. */
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUEpsebgg5FBkiKOa
NPukHpKO/p10Q/EIgdEMAzIgjqahRANCAATPECIaausMNmLediUke8LgsjYmy9B7
LIjvZo0SbMtEkdYa0ieNBUf/ew5Dtq83gbg4ci5SxmNhcJeE7amezjcv
-----END PRIVATE KEY-----`
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUVvMLg3V2QRIZppu9oYzAPPdVLbkwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzAzMzY0OFoYDzIxMjYxMTA5
MDMzNjQ4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATPECIaausMNmLediUke8LgsjYmy9B7LIjvZo0SbMtEkdYa0ieNBUf/
ew5Dtq83gbg4ci5SxmNhcJeE7amezjcvo28wbTAdBgNVHQ4EFgQUQ1lWTi3ZOabm
aG+u5+WNYjFaA3wwHwYDVR0jBBgwFoAUQ1lWTi3ZOabmaG+u5+WNYjFaA3wwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAODnWSHqoyFN4DApWczyhCaO9NM7qO2R9ZcqOLxJSAYRAiBK
Elm9zGnlrfpDtAXP11aqylvF5/lXP+MMHONAY5HuIg==
-----END CERTIFICATE-----`

test('SASL_SSL authenticates inside the TLS session: the SaslHandshake arrives over TLS, after the handshake', async (t) => {
  const apiKeys: number[] = []
  const server = createTlsServer({ key: TEST_KEY, cert: TEST_CERT }, (socket) => {
    let buffer = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readInt32BE(0)) {
        const apiKey = buffer.readInt16BE(4)
        const correlationId = buffer.readInt32BE(8)
        buffer = buffer.subarray(4 + buffer.readInt32BE(0))
        apiKeys.push(apiKey)
        if (apiKey !== 18) {
          socket.destroy()
          return
        }
        const response = Buffer.alloc(18)
        response.writeInt32BE(14, 0)
        response.writeInt32BE(correlationId, 4)
        response.writeInt16BE(35, 8)
        socket.write(response)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const admin = new KafkaAdmin({
    bootstrapServers: [`127.0.0.1:${(server.address() as { port: number }).port}`],
    clientId: 'sasl-ssl-test',
    security: { ...SASL, protocol: 'SASL_SSL', tls: { ca: TEST_CERT } },
    requestTimeoutMs: 2000,
    connectTimeoutMs: 2000,
  })
  admin.listTopics().catch(() => {})
  try {
    const deadline = Date.now() + 10000
    while (apiKeys.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    // The requests were read from the TLS session (the server only sees decrypted data): ApiVersions, SaslHandshake.
    assert.deepEqual(apiKeys.slice(0, 2), [18, 17])
  } finally {
    await admin.close().catch(() => {})
  }
})
