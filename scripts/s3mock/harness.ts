/**
 * A real S3-compatible server for tests and benchmarks: Adobe's S3Mock (`com.adobe.testing:s3mock`, the `exec`
 * classifier, a Spring Boot jar) from Maven Central, run with `java -jar`, path-style, on a free loopback port.
 *
 * - `startS3Mock({ buckets })` starts a server with its own store directory, returns its endpoint and stops it (and
 *   removes the store) in `stop()`. It never outlives this process (exit hooks and the Kafka harness's watchdog).
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@ferry/testing'
import { answers, mavenJar, startJavaServer } from '../java-server.ts'
import { javaCommand } from '../kafka/harness.ts'

export const S3MOCK_VERSION = '5.2.0'
const STARTUP_DEADLINE_MS = 90_000

export interface S3Mock {
  /** `http://127.0.0.1:PORT`, for `store.url` (path-style; any region, any credentials). */
  endpoint: string
  port: number
  /** The store directory, removed by `stop()`. */
  root: string
  logFile: string
  /** SIGTERM, SIGKILL after 10 s, remove the store. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL at once (the store is kept until `stop()`). */
  kill(): void
}

/**
 * Starts S3Mock with `buckets` created; resolves once it answers HTTP. The JVM compiles with C1 only, which starts
 * faster; `fullJit` lets it use C2 as well, for benchmarks.
 */
export async function startS3Mock(
  opts: { buckets?: string[]; version?: string; fullJit?: boolean } = {},
): Promise<S3Mock> {
  const jar = await mavenJar(`com.adobe.testing:s3mock:${opts.version ?? S3MOCK_VERSION}:exec`)
  const java = await javaCommand()
  const root = await mkdtemp(join(tmpdir(), 'ferry-s3mock-'))
  const port = await freePort()
  const logFile = join(root, 's3mock.log')
  const server = await startJavaServer({
    name: `S3Mock on port ${port}`,
    java,
    args: [
      '-Xmx512m',
      '-XX:+UseSerialGC',
      ...(opts.fullJit ? [] : ['-XX:TieredStopAtLevel=1']),
      '-jar',
      jar,
      `--com.adobe.testing.s3mock.http-port=${port}`,
      '--server.port=0', // the https listener, unused
      '--server.address=127.0.0.1',
      `--com.adobe.testing.s3mock.store.root=${join(root, 'store')}`,
      `--com.adobe.testing.s3mock.store.initial-buckets=${(opts.buckets ?? []).join(',')}`,
      '--com.adobe.testing.s3mock.max-payload-size=128MB',
      '--spring.main.banner-mode=off',
    ],
    root,
    logFile,
    ready: () => answers(`http://127.0.0.1:${port}/`, (status) => status < 500),
    deadlineMs: STARTUP_DEADLINE_MS,
    pollMs: 250,
  })
  return { endpoint: `http://127.0.0.1:${port}`, port, root, logFile, ...server }
}
