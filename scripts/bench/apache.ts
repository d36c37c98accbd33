/**
 * Apache Kafka Connect for the bench, from the Maven Central jars (no tarball): connect-runtime, connect-json,
 * connect-transforms and kafka-tools (for the perf tools) on the classpath, connect-file on `plugin.path`, as
 * Apache's quickstart sets it up. Fetched once into `.cache/bench/connect-<version>/` (git-ignored).
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runCommand as run } from '../java-server.ts'
import { javaCommand, KAFKA_VERSION, REPO_ROOT } from '../kafka/harness.ts'

/**
 * connect-file is the one Connect artifact Apache did not publish to Maven Central for 4.4.0; 4.3.1 is the newest
 * there. Its connectors only call `AppInfoParser.getVersion()` outside the Connect API, and that class moved to
 * `org.apache.kafka.common.utils.internals` in 4.4.0, so a two-method shim class (compiled here with javac)
 * forwards the old name to the new one. Everything else (runtime, converters, transforms, clients) is 4.4.0.
 */
export const CONNECT_FILE_VERSION = '4.3.1'
const LOG4J_VERSION = '2.24.3'
const MARKER = '.complete'

/**
 * The JVM options `bin/connect-standalone.sh` gives Connect through `bin/kafka-run-class.sh` when no
 * KAFKA_*_OPTS are set: heap -Xms256M -Xmx2G, G1 with a 20 ms pause goal, and local JMX.
 */
export const CONNECT_JVM_OPTIONS = [
  '-Xms256M',
  '-Xmx2G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
  '-Dcom.sun.management.jmxremote=true',
  '-Dcom.sun.management.jmxremote.authenticate=false',
  '-Dcom.sun.management.jmxremote.ssl=false',
] as const

/** `bin/kafka-producer-perf-test.sh` and `kafka-consumer-perf-test.sh`: -Xmx512M, the same performance options. */
export const PERF_TOOL_JVM_OPTIONS = ['-Xmx512M', ...CONNECT_JVM_OPTIONS.slice(2)] as const

export interface ApacheConnect {
  version: string
  connectFileVersion: string
  java: string
  /** `-cp` value: the libs, plus the shim class dir when connect-file is older than the runtime. */
  classpath: string
  /** `plugin.path` value: the directory holding connect-file. */
  pluginPath: string
  /** Directory for the log4j2 config. */
  home: string
}

export function apacheCacheDir(version: string = KAFKA_VERSION): string {
  return join(REPO_ROOT, '.cache', 'bench', `connect-${version}`)
}

/** Makes sure the Connect jars are in the cache (Maven, once) and says how to run them. */
export async function ensureApacheConnect(version: string = KAFKA_VERSION): Promise<ApacheConnect> {
  const java = await javaCommand()
  const home = apacheCacheDir(version)
  const fileVersion = version === '4.4.0' ? CONNECT_FILE_VERSION : version
  const result: ApacheConnect = {
    version,
    connectFileVersion: fileVersion,
    java,
    classpath: [join(home, 'libs', '*'), ...(fileVersion === version ? [] : [join(home, 'shim')])].join(':'),
    pluginPath: join(home, 'plugins'),
    home,
  }
  if (existsSync(join(home, MARKER))) return result

  await mkdir(home, { recursive: true })
  const tmp = join(home, `tmp-${process.pid}`)
  await rm(tmp, { recursive: true, force: true })
  try {
    await writeFile(join(home, 'pom.xml'), pomXml(version, fileVersion))
    process.stderr.write(`Fetching Apache Kafka Connect ${version} jars with Maven into .cache/bench (one time)...\n`)
    const mvn = await run('mvn', [
      '-q',
      '-B',
      '-f',
      join(home, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${join(tmp, 'libs')}`,
    ])
    if (mvn.code !== 0) throw new Error(`Maven could not fetch Apache Kafka Connect ${version}:\n${tail(mvn.output)}`)
    const jars = await readdir(join(tmp, 'libs'))
    const fileJar = jars.find((j) => j.startsWith('connect-file-'))
    if (!fileJar || !jars.some((j) => j === `connect-runtime-${version}.jar`))
      throw new Error(`Maven finished but connect-runtime-${version}.jar or connect-file is missing in ${tmp}`)
    // connect-file is a plugin: it goes on plugin.path, not the classpath (Apache's quickstart does the same).
    await mkdir(join(tmp, 'plugins', 'connect-file'), { recursive: true })
    await rename(join(tmp, 'libs', fileJar), join(tmp, 'plugins', 'connect-file', fileJar))
    if (fileVersion !== version) await compileShim(java, tmp, jars)
    for (const d of ['libs', 'plugins', 'shim']) {
      await rm(join(home, d), { recursive: true, force: true })
      if (existsSync(join(tmp, d))) await rename(join(tmp, d), join(home, d))
    }
    await writeFile(join(home, MARKER), `${jars.sort().join('\n')}\n`)
    return result
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

async function compileShim(java: string, tmp: string, jars: string[]): Promise<void> {
  const clients = jars.find((j) => /^kafka-clients-.*\.jar$/.test(j))
  if (!clients) throw new Error('kafka-clients jar missing')
  const src = join(tmp, 'shim-src', 'org', 'apache', 'kafka', 'common', 'utils')
  await mkdir(src, { recursive: true })
  await writeFile(
    join(src, 'AppInfoParser.java'),
    `package org.apache.kafka.common.utils;

/** Written by Ferry's bench: the pre-4.4 name of AppInfoParser, for connect-file ${CONNECT_FILE_VERSION}. */
public final class AppInfoParser {
    private AppInfoParser() {}
    public static String getVersion() { return org.apache.kafka.common.utils.internals.AppInfoParser.getVersion(); }
    public static String getCommitId() { return org.apache.kafka.common.utils.internals.AppInfoParser.getCommitId(); }
}
`,
  )
  const javac = java.includes('/') ? join(dirname(java), 'javac') : 'javac'
  const res = await run(javac, [
    '--release',
    '17',
    '-cp',
    join(tmp, 'libs', clients),
    '-d',
    join(tmp, 'shim'),
    join(src, 'AppInfoParser.java'),
  ])
  if (res.code !== 0)
    throw new Error(
      `javac could not compile the AppInfoParser shim for connect-file ${CONNECT_FILE_VERSION} (a JDK is needed, not only a JRE):\n${tail(res.output)}`,
    )
}

function pomXml(version: string, fileVersion: string): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/bench/apache.ts: Apache Kafka Connect ${version} standalone and the perf tools. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.ferry.cache</groupId>
  <artifactId>bench-connect-libs</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'connect-runtime', version)}
${dep('org.apache.kafka', 'connect-json', version)}
${dep('org.apache.kafka', 'connect-transforms', version)}
${dep('org.apache.kafka', 'connect-file', fileVersion)}
${dep('org.apache.kafka', 'kafka-tools', version)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
</project>
`
}

/** A log4j2 config like Apache's connect-log4j2.yaml: INFO to the console (which the bench sends to a file). */
export function log4jConfig(level: 'INFO' | 'WARN' = 'INFO'): string {
  return `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${level}
rootLogger.appenderRef.out.ref = OUT
`
}

/** `java -version`'s first line. */
export async function javaVersion(java: string): Promise<string> {
  const res = await run(java, ['-version'])
  return res.output.split('\n')[0]?.trim() ?? 'unknown'
}

function tail(text: string, n = 25): string {
  return text.trimEnd().split('\n').slice(-n).join('\n')
}
