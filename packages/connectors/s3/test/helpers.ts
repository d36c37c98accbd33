/**
 * Shared by the S3 sink tests: one S3Mock per test file, topics filled with the Kafka clients, and objects read
 * back with readers other than Ferry's own (Node's zlib and JSON.parse, Apache's avro-tools run by Java, DuckDB).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { DuckDBInstance } from '@duckdb/node-api'
import { freePort, randomName } from '@ferry/testing'
import { mavenJar } from '../../../../scripts/java-server.ts'
import { javaCommand } from '../../../../scripts/kafka/harness.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaAdmin, KafkaProducer, type OutgoingRecord } from '../../../runtime/src/kafka/clients.ts'

export function s3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
}

/** Every key in the bucket under `prefix`, sorted. */
export async function listKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    )
    for (const o of res.Contents ?? []) keys.push(o.Key!)
    token = res.NextContinuationToken
  } while (token)
  return keys.sort()
}

export async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return Buffer.from(await res.Body!.transformToByteArray())
}

export async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('admin') })
  try {
    await admin.createTopic(name, partitions, 1)
  } finally {
    await admin.close()
  }
}

export async function produce(records: OutgoingRecord[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  try {
    for (let i = 0; i < records.length; i += 1000) await producer.send(records.slice(i, i + 1000))
  } finally {
    await producer.close()
  }
}

/** Worker properties for a test worker; offsets are committed every `flushMs`. */
export async function workerProps(
  dir: string,
  converter: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    'bootstrap.servers': testBootstrap(),
    listeners: `http://127.0.0.1:${await freePort()}`,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': converter,
    'offset.storage.file.filename': `${dir}/connect.offsets`,
    'offset.flush.interval.ms': '500',
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    ...extra,
  }
}

const exec = promisify(execFile)

/**
 * The records of Avro container files (of one schema) as avro-tools `tojson` prints them, one JSON value per record,
 * and the schema: avro-tools `concat` joins them first, so Java starts three times whatever the number of files.
 */
export async function readAvro(files: Buffer[]): Promise<{ schema: unknown; records: unknown[] }> {
  const jar = await mavenJar('org.apache.avro:avro-tools:1.12.0')
  const java = await javaCommand()
  const dir = await mkdtemp(join(tmpdir(), 'ferry-avro-'))
  try {
    const paths = files.map((_, i) => join(dir, `${i}.avro`))
    await Promise.all(files.map((bytes, i) => writeFile(paths[i]!, bytes)))
    let file = paths[0]!
    if (paths.length > 1) {
      file = join(dir, 'all.avro')
      await exec(java, ['-jar', jar, 'concat', ...paths, file])
    }
    const [data, schema] = await Promise.all([
      exec(java, ['-jar', jar, 'tojson', file], { maxBuffer: 256 * 1024 * 1024 }),
      exec(java, ['-jar', jar, 'getschema', file]),
    ])
    return {
      schema: JSON.parse(schema.stdout),
      records: data.stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l)),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The rows of a Parquet file as DuckDB reads them, and its column types. */
export async function readParquet(
  bytes: Buffer,
): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-parquet-'))
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const file = join(dir, 'file.parquet')
    await writeFile(file, bytes)
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)
    const types: Record<string, string> = {}
    for (const row of described.getRowObjectsJson()) types[String(row.column_name)] = String(row.column_type)
    return { rows: reader.getRowObjectsJson() as Record<string, unknown>[], types }
  } finally {
    connection.closeSync()
    instance.closeSync()
    await rm(dir, { recursive: true, force: true })
  }
}
