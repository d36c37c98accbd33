/**
 * The web UI in a real browser: Debian's Chromium, headless, driven by Playwright, against a standalone worker on the
 * test broker (a real Worker, StandaloneHerder and REST listener).
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileOffsetBackingStore, parseWorkerConfig, StandaloneHerder, silentLogger, Worker } from '@ferry/runtime'
import { builtinRegistry, randomName, tempDir } from '@ferry/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, ensureChromium } from '../../../../scripts/browser/chromium.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { startRestServer } from '../../src/server.ts'

const FILE_SOURCE = 'org.apache.kafka.connect.file.FileStreamSourceConnector'

interface Setup {
  base: string
  dir: string
  page: Page
  rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
}

/**
 * A worker listening on a free loopback port, and a fresh browser page; `t.after` stops both. `security` adds worker
 * keys and the credentials the browser answers a login prompt with (which `rest` also sends).
 */
async function setup(
  t: { after(fn: () => unknown): void },
  browser: Browser,
  security: { worker: Record<string, string>; username: string; password: string } | null = null,
): Promise<Setup> {
  const dir = await tempDir(t)
  const offsetsFile = join(dir, 'offsets.json')
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': offsetsFile,
      'offset.flush.interval.ms': '500',
      listeners: 'http://127.0.0.1:0',
      ...security?.worker,
    },
    'standalone',
  )
  const registry = await builtinRegistry()
  const worker = new Worker(config, registry, new FileOffsetBackingStore(offsetsFile), silentLogger())
  const herder = new StandaloneHerder(worker, 'ui-worker:8083', silentLogger())
  await herder.start()
  const server = await startRestServer({ herder, workerConfig: config, plugins: registry, logger: silentLogger() })
  const context = await browser.newContext(
    security ? { httpCredentials: { username: security.username, password: security.password } } : {},
  )
  t.after(async () => {
    await context.close()
    await server.close()
    await herder.stop()
  })
  const base = server.addresses[0]!.replace(/\/$/, '')
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  t.after(() => assert.deepEqual(pageErrors, [], 'the page threw'))
  return {
    base,
    dir,
    page,
    async rest(method, path, body) {
      const auth: Record<string, string> = security
        ? { Authorization: `Basic ${Buffer.from(`${security.username}:${security.password}`).toString('base64')}` }
        : {}
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
    },
  }
}

const field = (page: Page, key: string) => page.locator(`[id="field-${key}"]`)
const fieldError = (page: Page, key: string) => page.locator(`[data-field="${key}"] .field-error`)

test('the web UI in Chromium', async (t) => {
  const install = await ensureChromium()
  const browser = await chromium.launch({
    executablePath: install.executablePath,
    env: { ...process.env, ...install.env } as Record<string, string>,
    args: CHROMIUM_ARGS,
    headless: true,
  })
  t.after(() => browser.close())

  await t.test(
    'create a connector through the form (a bad value is shown on its field as one types), see it RUNNING, pause it',
    async (t) => {
      const s = await setup(t, browser)
      const name = randomName('ui-source')
      const topic = randomName('ui-topic')
      const input = join(s.dir, 'in.txt')
      await writeFile(input, 'one\ntwo\n')

      await s.page.goto(`${s.base}/ui/#/new`)
      await s.page.locator('#connector-class').selectOption(FILE_SOURCE)
      await field(s.page, 'file').waitFor()
      await s.page.locator('#connector-name').fill(name)
      await field(s.page, 'file').fill(input)
      await field(s.page, 'topic').fill(topic)

      await field(s.page, 'batch.size').fill('lots')
      await assertText(fieldError(s.page, 'batch.size'), /Invalid value lots for configuration batch\.size/)
      await field(s.page, 'batch.size').fill('100')
      await assertText(fieldError(s.page, 'batch.size'), /^$/)
      await assertText(s.page.getByTestId('validation-summary'), /No errors/)

      await s.page.getByRole('button', { name: 'Create' }).click()
      await s.page.waitForURL(`**/ui/#/connectors/${name}`)
      await assertText(s.page.locator('.connector-head .state'), /^RUNNING$/, 30_000)
      await assertText(s.page.locator('[data-task="0"] .state'), /^RUNNING$/, 30_000)
      const created = await s.rest('GET', `/connectors/${name}/config`)
      assert.equal(created.body.file, input)
      assert.equal(created.body['batch.size'], '100')

      await s.page.getByRole('button', { name: 'Pause' }).click()
      await assertText(s.page.locator('.connector-head .state'), /^PAUSED$/, 30_000)
      const status = await s.rest('GET', `/connectors/${name}/status`)
      assert.equal(status.body.connector.state, 'PAUSED')

      // Stopped, its offsets become editable; the file source's position is there.
      await s.page.getByRole('button', { name: 'Stop' }).click()
      await assertText(s.page.locator('.connector-head .state'), /^STOPPED$/, 30_000)
      await s.page.getByRole('button', { name: 'Save offsets' }).waitFor()
      assert.match(await s.page.getByTestId('offsets-json').inputValue(), /"offsets"/)
    },
  )

  await t.test(
    'under Apache’s basic authentication the browser is asked once, on the UI’s page, and its API calls go with the credentials',
    async (t) => {
      const dir = await tempDir(t)
      const credentials = join(dir, 'credentials.properties')
      await writeFile(credentials, 'admin=ui-secret\n')
      const jaas = join(dir, 'connect.jaas')
      await writeFile(
        jaas,
        `KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file="${credentials}"; };`,
      )
      const s = await setup(t, browser, {
        worker: {
          'rest.extension.classes': 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension',
          'rest.auth.login.config': jaas,
        },
        username: 'admin',
        password: 'ui-secret',
      })
      assert.equal((await fetch(`${s.base}/connectors`)).status, 401, 'the API needs credentials')
      const name = randomName('ui-auth')
      const made = await s.rest('POST', '/connectors', {
        name,
        config: { 'connector.class': FILE_SOURCE, file: join(s.dir, 'in.txt'), topic: randomName('t') },
        initial_state: 'STOPPED',
      })
      assert.equal(made.status, 201, JSON.stringify(made.body))
      await s.page.goto(`${s.base}/ui/`)
      await s.page.locator('[data-testid="connectors"] a', { hasText: name }).waitFor()
    },
  )

  await t.test('names and traces from the server are shown as text, never run as HTML', async (t) => {
    const s = await setup(t, browser)
    const name = `<img src=x onerror="document.title='pwned'">${randomName('x')}`
    const made = await s.rest('POST', '/connectors', {
      name,
      config: { 'connector.class': FILE_SOURCE, file: join(s.dir, 'missing.txt'), topic: randomName('t') },
      initial_state: 'STOPPED',
    })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    await s.page.goto(`${s.base}/ui/`)
    const link = s.page.locator('[data-testid="connectors"] a', { hasText: name })
    await link.waitFor()
    assert.equal(await link.textContent(), name)
    assert.equal(await s.page.locator('img').count(), 0)
    await link.click()
    await assertText(s.page.locator('.connector-head h2'), /STOPPED/)
    assert.equal(await s.page.locator('img').count(), 0)
    assert.notEqual(await s.page.title(), 'pwned')
  })

  await t.test('a 409 during a rebalance is retried until the worker answers', async (t) => {
    const s = await setup(t, browser)
    let refused = 0
    await s.page.route('**/connectors?expand=status&expand=info', async (route) => {
      if (refused < 2) {
        refused++
        return route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify({
            error_code: 409,
            message:
              'Cannot complete request because of a conflicting operation (e.g. worker rebalance): no known leader URL, likely because a rebalance was underway.',
          }),
        })
      }
      return route.continue()
    })
    await s.page.goto(`${s.base}/ui/`)
    await assertText(s.page.getByTestId('connectors'), /No connectors yet/)
    assert.equal(refused, 2)
  })

  await t.test('a first load that fails (the worker answering 503) is tried again until the page shows', async (t) => {
    const s = await setup(t, browser)
    let failing = true
    let refused = 0
    await s.page.route('**/connectors?expand=status&expand=info', async (route) => {
      if (failing) {
        refused++
        return route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error_code: 503, message: 'Worker is still starting up.' }),
        })
      }
      return route.continue()
    })
    await s.page.goto(`${s.base}/ui/`)
    await assertText(s.page.locator('#view .form-error'), /Worker is still starting up\./)
    // The page stays on its error until the worker answers, and is never reloaded by hand.
    await waitUntil(() => refused >= 2, 'a second attempt')
    failing = false
    await assertText(s.page.getByTestId('connectors'), /No connectors yet/)
  })

  await t.test(
    'plugins with versions, loggers with levels that can be set, the cluster: workers, leader, generation, records per second',
    async (t) => {
      const s = await setup(t, browser)
      await s.page.goto(`${s.base}/ui/#/plugins`)
      await assertText(s.page.getByTestId('plugins'), /org\.apache\.kafka\.connect\.file\.FileStreamSinkConnector/)
      await assertText(s.page.getByTestId('plugins'), /org\.apache\.kafka\.connect\.transforms\.Cast\$Value/)

      const logger = Object.keys((await s.rest('GET', '/admin/loggers')).body).find((l) => l !== 'root')!
      assert.ok(logger, 'the worker lists a named logger')
      await s.page.goto(`${s.base}/ui/#/loggers`)
      await s.page.getByLabel(`level of ${logger}`).selectOption('TRACE')
      await assertText(s.page.locator('#notice'), new RegExp(`^${escapeRegExp(logger)}: TRACE$`))
      assert.equal((await s.rest('GET', `/admin/loggers/${logger}`)).body.level, 'TRACE')

      const name = randomName('ui-cluster')
      const input = join(s.dir, 'c.txt')
      await writeFile(input, Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n'))
      await s.rest('POST', '/connectors', {
        name,
        config: { 'connector.class': FILE_SOURCE, file: input, topic: randomName('t') },
      })
      // The connectors list shows what the task wrote per second (source-record-write-rate), not nothing.
      await s.page.goto(`${s.base}/ui/`)
      await assertText(s.page.locator(`[data-connector="${name}"] .rate`), /^(?!0\.0$)\d+(\.\d)?$/, 30_000)
      // So does its task, on the connector's page.
      await s.page.goto(`${s.base}/ui/#/connectors/${name}`)
      await assertText(s.page.locator('[data-task="0"] .rate'), /^\d+(\.\d)?$/)

      await s.page.goto(`${s.base}/ui/#/cluster`)
      await assertText(s.page.getByTestId('generation'), /^none \(standalone\)$/)
      await assertText(s.page.getByTestId('leader'), /^ui-worker:8083 \(standalone/)
      const row = s.page.locator('[data-worker="ui-worker:8083"]')
      await assertText(row, new RegExp(`^ui-worker:8083\\s*leader\\s*${name}\\s*1\\s*\\d`))
    },
  )
})

/** Waits until `condition` holds. */
async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Waits until the element's text matches (the page refreshes every 2 s). */
async function assertText(locator: ReturnType<Page['locator']>, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    last = (
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? ''
    ).trim()
    if (pattern.test(last)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  const page =
    (await locator
      .page()
      .locator('body')
      .textContent({ timeout: 1000 })
      .catch(() => null)) ?? ''
  assert.fail(
    `expected ${pattern} within ${timeoutMs} ms; the text was ${JSON.stringify(last)}; the page said ${JSON.stringify(page.trim().slice(0, 500))}`,
  )
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&')
