/**
 * The contract between Ferry and the internals of `@platformatic/kafka` it builds on. fetch.ts and produce.ts send
 * Fetch and Produce with request writers and response parsers of their own through the library's `createAPI`,
 * `Writer`, `Reader` and `Connection`; group-member.ts, producer.ts, consumer.ts and admin.ts call the library's API
 * functions by position
 * through its client symbols (`kGetApi`, `kGetConnection`, `kGetBootstrapConnection`) and read its error objects.
 * None of that is the library's documented client API, so the dependency is pinned to an exact version; when an
 * upgrade changes any of it, a test here fails saying what changed and which Ferry module relies on it.
 *
 * The broker is a scripted socket: each request's bytes are checked against Kafka's protocol grammar (written out
 * here, not produced by the library) and answered with hand-written response bytes.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import * as kafka from '@platformatic/kafka'
import { Connection } from '@platformatic/kafka'
import { RecordBatchCursor, sendFetch } from '../../src/kafka/fetch.ts'
import { encodeRecordBatch, sendProduce } from '../../src/kafka/produce.ts'

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.resolve('@platformatic/kafka')), 'utf8'),
) as { version: string }
const LIBRARY = `@platformatic/kafka ${version}`
const SRC = new URL('../../src/', import.meta.url)

function changed(what: string, reliedOnBy: string): string {
  return `${LIBRARY} changed ${what}, which ${reliedOnBy} relies on: adapt Ferry before upgrading`
}

/** Every value (not type) a Ferry source module imports from the library, with the module that imports it. */
function importedValues(): Array<{ name: string; module: string }> {
  const out: Array<{ name: string; module: string }> = []
  const walk = (dir: URL, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`)
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(new URL(entry.name, dir), 'utf8')
        for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@platformatic\/kafka'/g)) {
          if (m[1]) continue
          for (const part of m[2]!.split(',')) {
            const name = part.trim()
            if (name && !name.startsWith('type '))
              out.push({ name: name.split(/\s+as\s+/)[0]!, module: prefix + entry.name })
          }
        }
      }
    }
  }
  walk(SRC, '')
  return out
}

test('every value Ferry’s runtime imports from @platformatic/kafka is still exported', () => {
  const imports = importedValues()
  assert.ok(imports.length > 20, 'the import scan found the runtime’s imports')
  for (const { name, module } of imports) {
    assert.notEqual((kafka as Record<string, unknown>)[name], undefined, changed(`its export ${name}`, module))
  }
})

test('the client symbols, pool and protocol helpers have the shape Ferry calls', () => {
  const base = kafka.Base.prototype as unknown as Record<symbol, unknown>
  for (const symbol of [kafka.kGetApi, kafka.kGetConnection, kafka.kGetBootstrapConnection]) {
    assert.equal(
      typeof base[symbol],
      'function',
      changed(`Base[${String(symbol)}]`, 'producer.ts, consumer.ts, admin.ts and group-member.ts'),
    )
  }
  for (const client of [kafka.Admin, kafka.Consumer, kafka.Producer]) {
    assert.ok(
      (client.prototype as object) instanceof kafka.Base,
      changed(`${client.name} extending Base`, 'producer.ts, consumer.ts and admin.ts'),
    )
  }
  assert.equal(typeof kafka.ConnectionPool.prototype.get, 'function', changed('ConnectionPool.get', 'consumer.ts'))
  assert.equal(kafka.FindCoordinatorKeyTypes.GROUP, 0, changed('FindCoordinatorKeyTypes.GROUP', 'group-member.ts'))
  assert.equal(kafka.crc32c(Buffer.from('123456789')), 0xe3069283, changed('crc32c (CRC-32C)', 'produce.ts'))
  // Batch attribute bits 1-4 are gzip, snappy, lz4, zstd; fetch.ts decompresses with these.
  const payload = Buffer.from('a record batch body '.repeat(20))
  for (const [bits, name] of [
    [1, 'gzip'],
    [2, 'snappy'],
    [3, 'lz4'],
    [4, 'zstd'],
  ] as const) {
    const codec = kafka.compressionsAlgorithmsByBitmask[bits] as unknown as {
      compressSync(b: Buffer): Buffer
      decompressSync(b: Buffer): Buffer
    }
    assert.equal(
      typeof codec?.decompressSync,
      'function',
      changed(`compressionsAlgorithmsByBitmask[${bits}]`, 'fetch.ts'),
    )
    const same = kafka.compressionsAlgorithms[name] as unknown as typeof codec
    assert.equal(same, codec, changed(`compressionsAlgorithms.${name}`, 'compression.ts'))
    assert.deepEqual(
      codec.decompressSync(codec.compressSync(payload)),
      payload,
      changed(`the ${name} codec`, 'fetch.ts'),
    )
  }
})

/** The parameter names of an API version's request writer, without the library's `_` for unused ones and defaults. */
function parameters(fn: (...args: never[]) => unknown): string[] {
  const text = fn.toString()
  return text
    .slice(text.indexOf('(') + 1, text.indexOf(')'))
    .split(',')
    .map((p) => p.split('=')[0]!.trim().replace(/^_/, ''))
    .filter(Boolean)
}

test('the APIs Ferry calls by position through kGetApi take its arguments in its order, in every version', () => {
  // What group-member.ts, producer.ts and admin.ts pass, in order (the library picks the newest version the broker knows).
  const expected: Record<string, { names: Array<string | RegExp>; reliedOnBy: string }> = {
    joinGroup: {
      names: [
        'groupId',
        'sessionTimeoutMs',
        'rebalanceTimeoutMs',
        'memberId',
        'groupInstanceId',
        'protocolType',
        'protocols',
        'reason',
      ],
      reliedOnBy: 'group-member.ts',
    },
    syncGroup: {
      names: ['groupId', 'generationId', 'memberId', 'groupInstanceId', 'protocolType', 'protocolName', 'assignments'],
      reliedOnBy: 'group-member.ts',
    },
    heartbeat: { names: ['groupId', 'generationId', 'memberId', 'groupInstanceId'], reliedOnBy: 'group-member.ts' },
    offsetCommit: {
      names: ['groupId', /^generationId/, 'memberId', 'groupInstanceId', 'topics'],
      reliedOnBy: 'group-member.ts',
    },
    leaveGroup: { names: ['groupId', 'members'], reliedOnBy: 'group-member.ts' },
    findCoordinator: {
      names: ['keyType', 'coordinatorKeys'],
      reliedOnBy: 'group-member.ts, admin.ts and transaction-coordinator.ts',
    },
    initProducerId: {
      names: ['transactionalId', 'transactionTimeoutMs', 'producerId', 'producerEpoch'],
      reliedOnBy: 'producer.ts and transaction-coordinator.ts',
    },
    endTxn: {
      names: ['transactionalId', 'producerId', 'producerEpoch', 'committed'],
      reliedOnBy: 'transaction-coordinator.ts',
    },
    describeGroups: { names: ['groups', 'includeAuthorizedOperations'], reliedOnBy: 'admin.ts' },
  }
  for (const [api, { names, reliedOnBy }] of Object.entries(expected)) {
    const versions = Object.keys(kafka).filter((k) => new RegExp(`^${api}V\\d+$`).test(k))
    assert.ok(versions.length > 0, changed(`its ${api}V<n> exports`, reliedOnBy))
    for (const v of versions) {
      const createRequest = (kafka as unknown as Record<string, { createRequest: (...a: never[]) => unknown }>)[v]!
        .createRequest
      const actual = parameters(createRequest)
      const matches =
        actual.length === names.length &&
        names.every((n, i) => (n instanceof RegExp ? n.test(actual[i]!) : n === actual[i]))
      assert.ok(matches, changed(`${v}.createRequest's parameters to (${actual.join(', ')})`, reliedOnBy))
    }
  }
  // AddPartitionsToTxn: transaction-coordinator.ts calls version 3 (the newest a client sends) with a list of one
  // transaction ({ transactionalId, producerId, producerEpoch, topics: [{ name, partitions }] }).
  assert.deepEqual(
    parameters(kafka.addPartitionsToTxnV3.createRequest as never),
    ['transactions'],
    changed("addPartitionsToTxnV3.createRequest's parameters", 'transaction-coordinator.ts'),
  )
  // Metadata: admin.ts and consumer.ts pass (topics, allowAutoTopicCreation, includeTopicAuthorizedOperations).
  const metadata = Object.keys(kafka).filter((k) => /^metadataV\d+$/.test(k))
  assert.ok(metadata.length > 0, changed('its metadataV<n> exports', 'admin.ts and consumer.ts'))
  for (const v of metadata) {
    const fn = (kafka as unknown as Record<string, { createRequest: (...a: never[]) => unknown }>)[v]!
    assert.deepEqual(
      parameters(fn.createRequest).slice(0, 3),
      ['topics', 'allowAutoTopicCreation', 'includeTopicAuthorizedOperations'],
      changed(`${v}.createRequest's parameters`, 'admin.ts and consumer.ts'),
    )
  }
})

// ------------------------------------------------------------------------------------------------------------------
// A scripted broker socket

interface Request {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string
  /** The bytes after the request header. */
  body: Buffer
}

/** Frames the requests arriving on a socket; `answer` returns the response body or null for none. */
async function scriptedBroker(
  t: { after(fn: () => unknown): void },
  answer: (request: Request) => { body: Buffer; flexibleHeader: boolean } | null,
  flexibleRequestHeader: (apiKey: number, apiVersion: number) => boolean,
): Promise<{ port: number; requests: Request[] }> {
  const requests: Request[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0))
        pending = pending.subarray(4 + frame.length)
        const apiKey = frame.readInt16BE(0)
        const apiVersion = frame.readInt16BE(2)
        const correlationId = frame.readInt32BE(4)
        const clientIdLength = frame.readInt16BE(8)
        const clientId = frame.toString('utf8', 10, 10 + clientIdLength)
        let at = 10 + clientIdLength
        if (flexibleRequestHeader(apiKey, apiVersion)) {
          assert.equal(frame[at], 0, 'no tagged fields in the request header')
          at += 1
        }
        const request = { apiKey, apiVersion, correlationId, clientId, body: Buffer.from(frame.subarray(at)) }
        requests.push(request)
        const response = answer(request)
        if (response === null) continue
        const header = Buffer.alloc(response.flexibleHeader ? 5 : 4)
        header.writeInt32BE(correlationId, 0)
        const size = Buffer.alloc(4)
        size.writeInt32BE(header.length + response.body.length)
        socket.write(Buffer.concat([size, header, response.body]))
      }
    })
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return { port: (server.address() as { port: number }).port, requests }
}

async function connect(t: { after(fn: () => unknown): void }, port: number): Promise<Connection> {
  const connection = new Connection('ferry-contract', { connectTimeout: 10_000, requestTimeout: 30_000 })
  t.after(() => connection.close())
  await connection.connect('127.0.0.1', port)
  return connection
}

/** Kafka's primitive types, to write expected requests and scripted responses by hand. */
const int8 = (v: number) => Buffer.from([v & 0xff])
const int16 = (v: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(v)
  return b
}
const int32 = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(v)
  return b
}
const int64 = (v: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(v)
  return b
}
const uvarint = (v: number) => {
  const out: number[] = []
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return Buffer.from(out)
}
const string = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)])
const compactString = (s: string) => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)])
const compactArray = (items: Buffer[]) => Buffer.concat([uvarint(items.length + 1), ...items])
const array = (items: Buffer[]) => Buffer.concat([int32(items.length), ...items])
const noTags = int8(0)

const RECORDS = [
  { topic: 't', key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: 1_700_000_000_000 },
  { topic: 't', key: null, value: Buffer.from('v1'), timestamp: 1_700_000_000_001, headers: [['h', Buffer.from('x')]] },
] as Array<{ topic: string; key: Buffer | null; value: Buffer; timestamp: number; headers?: Array<[string, Buffer]> }>

test('Fetch v12 and v11 go through createAPI and a Connection with the bytes Kafka’s grammar asks for, and their answers parse', async (t) => {
  const batch = encodeRecordBatch(RECORDS, 0)
  batch.writeBigInt64BE(40n, 0) // base offset 40
  // Fetch Response v12: throttle error session [topic [partition error hw lso log_start [aborted] replica records]]
  const v12 = Buffer.concat([
    int32(0),
    int16(0),
    int32(0),
    compactArray([
      Buffer.concat([
        compactString('t'),
        compactArray([
          Buffer.concat([
            int32(3),
            int16(0),
            int64(42n),
            int64(42n),
            int64(5n),
            compactArray([Buffer.concat([int64(7n), int64(40n), noTags])]),
            int32(-1),
            uvarint(batch.length + 1),
            batch,
            noTags,
          ]),
        ]),
        noTags,
      ]),
    ]),
    noTags,
  ])
  // Version 11: the same fields, non-flexible (INT16 strings, INT32 arrays and bytes lengths, no tagged fields).
  const v11 = Buffer.concat([
    int32(0),
    int16(0),
    int32(0),
    array([
      Buffer.concat([
        string('t'),
        array([
          Buffer.concat([
            int32(3),
            int16(0),
            int64(42n),
            int64(42n),
            int64(5n),
            array([Buffer.concat([int64(7n), int64(40n)])]),
            int32(-1),
            int32(batch.length),
            batch,
          ]),
        ]),
      ]),
    ]),
  ])
  const broker = await scriptedBroker(
    t,
    (r) => ({ body: r.apiVersion >= 12 ? v12 : v11, flexibleHeader: r.apiVersion >= 12 }),
    (_key, version) => version >= 12,
  )
  const connection = await connect(t, broker.port)
  const options = { maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 1 as const, rackId: 'r1' }
  const topics = [{ topic: 't', partitions: [{ partition: 3, fetchOffset: 40, partitionMaxBytes: 1048576 }] }]
  for (const version of [12, 11] as const) {
    const response = await sendFetch(connection, { ...options, version }, topics)
    const request = broker.requests.at(-1)!
    assert.deepEqual(
      [request.apiKey, request.apiVersion, request.clientId],
      [1, version, 'ferry-contract'],
      changed('the request header createAPI writes', 'fetch.ts'),
    )
    // Fetch Request v12: replica max_wait min_bytes max_bytes isolation session epoch [topics] [forgotten] rack
    const expected =
      version === 12
        ? Buffer.concat([
            int32(-1),
            int32(500),
            int32(1),
            int32(52428800),
            int8(1),
            int32(0),
            int32(-1),
            compactArray([
              Buffer.concat([
                compactString('t'),
                compactArray([
                  Buffer.concat([int32(3), int32(-1), int64(40n), int32(-1), int64(-1n), int32(1048576), noTags]),
                ]),
                noTags,
              ]),
            ]),
            compactArray([]),
            compactString('r1'),
            noTags,
          ])
        : Buffer.concat([
            int32(-1),
            int32(500),
            int32(1),
            int32(52428800),
            int8(1),
            int32(0),
            int32(-1),
            array([
              Buffer.concat([
                string('t'),
                array([Buffer.concat([int32(3), int32(-1), int64(40n), int64(-1n), int32(1048576)])]),
              ]),
            ]),
            array([]),
            string('r1'),
          ])
    assert.deepEqual(request.body, expected, `the Fetch v${version} request fetch.ts writes`)
    assert.equal(response.errorCode, 0)
    const partition = response.responses[0]?.partitions[0]
    assert.ok(partition, changed(`the Reader Fetch v${version} answers are read with`, 'fetch.ts'))
    assert.deepEqual(
      {
        topic: response.responses[0]!.topic,
        partition: partition.partition,
        errorCode: partition.errorCode,
        highWatermark: partition.highWatermark,
        logStartOffset: partition.logStartOffset,
        abortedTransactions: partition.abortedTransactions,
        preferredReadReplica: partition.preferredReadReplica,
        records: partition.records,
      },
      {
        topic: 't',
        partition: 3,
        errorCode: 0,
        highWatermark: 42,
        logStartOffset: 5,
        abortedTransactions: [{ producerId: 7n, firstOffset: 40 }],
        preferredReadReplica: -1,
        records: batch,
      },
      changed(`the Reader Fetch v${version} answers are read with`, 'fetch.ts'),
    )
    const cursor = new RecordBatchCursor('t', 3, partition.records!, 40, null)
    assert.deepEqual([cursor.next()?.value?.toString(), cursor.next()?.offset, cursor.next()], ['v0', 41, null])
  }
})

test('Produce v7 goes through createAPI and a Connection with Kafka’s bytes; answers, refusals and acks=0 come back as Ferry reads them', async (t) => {
  const batch = encodeRecordBatch(RECORDS, 0)
  let errorCode = 0
  // Produce Response v7: [name [index error_code base_offset log_append_time log_start_offset]] throttle_time_ms
  const answer = () =>
    Buffer.concat([
      array([
        Buffer.concat([
          string('t'),
          array([Buffer.concat([int32(3), int16(errorCode), int64(42n), int64(-1n), int64(0n)])]),
        ]),
      ]),
      int32(0),
    ])
  const broker = await scriptedBroker(
    t,
    (r) => (r.body.readInt16BE(2) === 0 ? null : { body: answer(), flexibleHeader: false }),
    () => false,
  )
  const connection = await connect(t, broker.port)
  const topics = [{ name: 't', partitions: [{ index: 3, batch }] }]

  const response = await sendProduce(connection, -1, 30000, topics)
  const request = broker.requests.at(-1)!
  assert.deepEqual(
    [request.apiKey, request.apiVersion],
    [0, 7],
    changed('the request header createAPI writes', 'produce.ts'),
  )
  // Produce Request v7: transactional_id acks timeout_ms [name [index records]]
  const expected = Buffer.concat([
    int16(-1),
    int16(-1),
    int32(30000),
    array([Buffer.concat([string('t'), array([Buffer.concat([int32(3), int32(batch.length), batch])])])]),
  ])
  assert.deepEqual(request.body, expected, changed('the bytes Writer writes', 'produce.ts'))
  assert.deepEqual(
    response?.responses.map((r) => ({
      name: r.name,
      partitions: r.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset]),
    })),
    [{ name: 't', partitions: [[3, 0, 42n]] }],
    changed('produceV7.parseResponse', 'produce.ts and producer.ts'),
  )

  errorCode = 6 // NOT_LEADER_OR_FOLLOWER
  const refused = await sendProduce(connection, 1, 30000, topics).then(
    () => assert.fail('a refused partition rejects'),
    (e: unknown) =>
      e as { response?: { responses?: unknown[] }; errors?: Array<{ apiId?: string; canRetry?: boolean }> },
  )
  assert.equal(refused.response?.responses?.length, 1, changed('the response a ResponseError carries', 'producer.ts'))
  assert.deepEqual(
    refused.errors?.map((e) => [e.apiId, e.canRetry]),
    [['NOT_LEADER_OR_FOLLOWER', true]],
    changed('the ProtocolError of a refused partition (apiId, canRetry)', 'errors.ts'),
  )

  const before = broker.requests.length
  assert.equal(
    await sendProduce(connection, 0, 30000, topics),
    null,
    changed('Writer.context.noResponse', 'produce.ts'),
  )
  // The request still reaches the broker (resolved once written, before the broker reads it).
  for (let waited = 0; broker.requests.length === before && waited < 30_000; waited += 20) await sleep(20)
  assert.equal(broker.requests.at(-1)?.body.readInt16BE(2), 0, 'the acks=0 request was sent')
})

test('a connection refused is a network error Ferry recognises (code PLT_KFK_NETWORK)', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const closedPort = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  const connection = new Connection('ferry-contract', { connectTimeout: 10_000 })
  t.after(() => connection.close())
  const error = await (connection.connect('127.0.0.1', closedPort) as Promise<void>).then(
    () => assert.fail('nothing listens there'),
    (e: unknown) => e as { code?: string },
  )
  assert.equal(
    error.code,
    'PLT_KFK_NETWORK',
    changed('the code of a connection failure', 'errors.ts (isConnectionError)'),
  )
})
