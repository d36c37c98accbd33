/**
 * Debezium's connectors from Maven Central, as `plugin.path` directories for Apache Connect:
 *
 * - the JDBC sink for the bench's workload 7: `io.debezium:debezium-connector-jdbc` with its runtime dependencies.
 *   Maven unpacks Debezium's own plugin archive (the `plugin` classifier, what Debezium's install instructions use); if
 *   that is missing it resolves the jar and its dependencies instead. Fetched once into
 *   `.cache/bench/debezium-jdbc-<version>/` (git-ignored).
 * - the PostgreSQL source (`ensureDebeziumPostgres`) for the CDC group (cdc.ts) and
 *   scripts/postgres/compare-debezium.ts: its plugin archive, fetched once into `.cache/debezium-postgres-<version>/`.
 */
import { existsSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand as run } from '../java-server.ts'
import { REPO_ROOT } from '../kafka/harness.ts'

/**
 * The versions tried, in order. 3.6.1.Final is the release the other Debezium artifacts are used at, but its
 * debezium-connector-jdbc is not on Maven Central (404); 3.6.0.Final, the newest there, is.
 */
export const DEBEZIUM_JDBC_VERSIONS = ['3.6.1.Final', '3.6.0.Final'] as const

/**
 * Only for the fallback that resolves the jars one by one: Debezium 3.6 declares Hibernate ORM 7.2.6.Final, whose
 * `hibernate-agroal` jar is not on Maven Central on its own (it is inside Debezium's plugin archive); 7.2.19.Final, a
 * later patch release of the same line, is.
 */
export const HIBERNATE_VERSION = '7.2.19.Final'

const MARKER = '.complete'
const UNAVAILABLE = '.unavailable'

export interface DebeziumJdbc {
  version: string
  /** `plugin.path` entry: the directory holding `debezium-connector-jdbc/`. */
  pluginPath: string
  /** Jars in the plugin directory. */
  jars: string[]
  /** Where the jars came from: Debezium's plugin archive, or the dependencies Maven resolved. */
  note: string
}

export function debeziumCacheDir(version: string): string {
  return join(REPO_ROOT, '.cache', 'bench', `debezium-jdbc-${version}`)
}

/**
 * Resolves the first version of DEBEZIUM_JDBC_VERSIONS that Maven can fetch. Throws an error naming every version
 * tried and why it failed when none can be.
 */
export async function ensureDebeziumJdbc(versions: readonly string[] = DEBEZIUM_JDBC_VERSIONS): Promise<DebeziumJdbc> {
  const failures: string[] = []
  for (const version of versions) {
    // A version Maven could not resolve is not asked for again for a day.
    const missing = join(debeziumCacheDir(version), UNAVAILABLE)
    if (existsSync(missing) && Date.now() - statSync(missing).mtimeMs < 86_400_000) {
      failures.push(`${version}: ${(await readFile(missing, 'utf8')).trim()}`)
      continue
    }
    try {
      return await ensureVersion(version)
    } catch (e) {
      const why = (e as Error).message.split('\n')[0]!
      failures.push(`${version}: ${why}`)
      await writeFile(missing, `${why}\n`).catch(() => {})
    }
  }
  throw new Error(
    `Maven could not resolve io.debezium:debezium-connector-jdbc from Maven Central; tried ${failures.join('; ')}`,
  )
}

/**
 * Maven run in `home` (created) with a settings file that sends every repository to Maven Central: Debezium's parent
 * POM names Confluent's repository, which nothing here needs. Runs in that directory because, without a project,
 * dependency:unpack leaves marker files under ./${project.basedir}.
 */
async function mavenIn(home: string): Promise<(args: string[]) => Promise<{ code: number | null; output: string }>> {
  await mkdir(home, { recursive: true })
  await writeFile(
    join(home, 'settings.xml'),
    `<settings><mirrors><mirror><id>central-for-all</id><mirrorOf>*,!central</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror></mirrors></settings>\n`,
  )
  return (args) =>
    run('sh', ['-c', 'cd "$0" && exec mvn "$@"', home, '-q', '-B', '-s', join(home, 'settings.xml'), ...args])
}

/** The Debezium PostgreSQL connector the CDC group and scripts/postgres/compare-debezium.ts run on Apache Connect. */
export const DEBEZIUM_POSTGRES_VERSION = '3.6.1.Final'

/**
 * Debezium's PostgreSQL connector plugin archive (`io.debezium:debezium-connector-postgres:<version>:tar.gz:plugin`),
 * unpacked once into `.cache/debezium-postgres-<version>/plugins`; resolves that directory, the `plugin.path` entry.
 */
export async function ensureDebeziumPostgres(version: string = DEBEZIUM_POSTGRES_VERSION): Promise<string> {
  const home = join(REPO_ROOT, '.cache', `debezium-postgres-${version}`)
  const plugins = join(home, 'plugins')
  if (existsSync(join(plugins, 'debezium-connector-postgres', `debezium-connector-postgres-${version}.jar`)))
    return plugins
  const mvn = await mavenIn(home)
  process.stderr.write(`Fetching Debezium's PostgreSQL connector ${version} with Maven (one time)...\n`)
  const res = await mvn([
    'dependency:unpack',
    `-Dartifact=io.debezium:debezium-connector-postgres:${version}:tar.gz:plugin`,
    `-DoutputDirectory=${plugins}`,
  ])
  if (res.code !== 0)
    throw new Error(`Maven could not fetch Debezium's PostgreSQL connector: ${res.output.slice(-2000)}`)
  return plugins
}

async function ensureVersion(version: string): Promise<DebeziumJdbc> {
  const home = debeziumCacheDir(version)
  const pluginPath = join(home, 'plugins')
  if (existsSync(join(home, MARKER))) {
    const [note = '', ...jars] = (await readFile(join(home, MARKER), 'utf8')).split('\n').filter(Boolean)
    return { version, pluginPath, jars, note }
  }
  const mvn = await mavenIn(home)
  const tmp = join(home, `tmp-${process.pid}`)
  await rm(tmp, { recursive: true, force: true })
  try {
    process.stderr.write(`Fetching the Debezium JDBC sink ${version} with Maven into .cache/bench (one time)...\n`)
    const dir = join(tmp, 'debezium-connector-jdbc')
    let note: string
    // 1. Debezium's own plugin archive (the connector with its dependencies, as Debezium ships it).
    const archive = await mvn([
      'dependency:unpack',
      `-Dartifact=io.debezium:debezium-connector-jdbc:${version}:tar.gz:plugin`,
      `-DoutputDirectory=${tmp}`,
    ])
    if (archive.code === 0 && existsSync(join(dir, `debezium-connector-jdbc-${version}.jar`))) {
      note = `Debezium's plugin archive io.debezium:debezium-connector-jdbc:${version}:tar.gz:plugin`
    } else {
      // 2. The connector jar and its runtime dependencies, resolved by Maven like Debezium's assembly does.
      await rm(tmp, { recursive: true, force: true })
      await writeFile(join(home, 'pom.xml'), pomXml(version))
      const deps = await mvn([
        '-f',
        join(home, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        // Connect provides its API, the Kafka clients, SLF4J and Jackson (Debezium's plugin archive leaves Jackson out).
        '-DexcludeGroupIds=org.apache.kafka,org.slf4j,com.fasterxml.jackson.core,com.fasterxml.jackson.datatype',
        `-DoutputDirectory=${dir}`,
      ])
      if (deps.code !== 0) {
        const why = (r: { output: string }) =>
          r.output
            .split('\n')
            .find((l) => l.includes('ERROR'))
            ?.replace(/^.*?\[ERROR\]\s*/, '') ?? r.output.trim()
        throw new Error(`plugin archive: ${why(archive)}; jars: ${why(deps)}`)
      }
      note = `io.debezium:debezium-connector-jdbc:${version} and its runtime dependencies, with Hibernate ORM pinned to ${HIBERNATE_VERSION}`
    }
    const jars = (await readdir(dir)).filter((f) => f.endsWith('.jar')).sort()
    if (!jars.includes(`debezium-connector-jdbc-${version}.jar`))
      throw new Error(`Maven finished but debezium-connector-jdbc-${version}.jar is missing in ${dir}`)
    await rm(pluginPath, { recursive: true, force: true })
    await mkdir(pluginPath, { recursive: true })
    await rename(dir, join(pluginPath, 'debezium-connector-jdbc'))
    await writeFile(join(home, MARKER), `${note}\n${jars.join('\n')}\n`)
    return { version, pluginPath, jars, note }
  } finally {
    await rm(tmp, { recursive: true, force: true })
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the directory Maven names after the unresolved property
    await rm(join(home, '${project.basedir}'), { recursive: true, force: true })
  }
}

function pomXml(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/bench/debezium.ts: the Debezium JDBC sink connector ${version} and its runtime dependencies. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.ferry.cache</groupId>
  <artifactId>bench-debezium-jdbc</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.hibernate.orm</groupId><artifactId>hibernate-core</artifactId><version>${HIBERNATE_VERSION}</version></dependency>
      <dependency><groupId>org.hibernate.orm</groupId><artifactId>hibernate-agroal</artifactId><version>${HIBERNATE_VERSION}</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.debezium</groupId><artifactId>debezium-connector-jdbc</artifactId><version>${version}</version>
      <!-- org.hibernate:hibernate-agroal is the old coordinate of org.hibernate.orm:hibernate-agroal -->
      <exclusions><exclusion><groupId>org.hibernate</groupId><artifactId>hibernate-agroal</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.hibernate.orm</groupId><artifactId>hibernate-agroal</artifactId></dependency>
  </dependencies>
</project>
`
}
