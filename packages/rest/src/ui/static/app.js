/**
 * Ferry's web UI: hash routes over the REST API (`#/connectors`, `#/connectors/<name>`, `#/new`, `#/edit/<name>`,
 * `#/cluster`, `#/plugins`, `#/loggers`). Lists refresh every few seconds while shown.
 */
import { ApiError, api, seg } from './api.js'
import { h, replace } from './dom.js'
import { renderConnectorForm } from './form.js'

const REFRESH_MS = 2000
const view = document.getElementById('view')
const notice = document.getElementById('notice')
let refreshTimer
let generation = 0

/** Shows a passing message in the header (rebalance retries, results of actions). */
function say(text, kind = 'info') {
  notice.className = kind
  replace(notice, text)
}

const retrying = (message) => say(`The cluster is rebalancing; trying again… (${message})`, 'warn')
const call = (method, path, body) => api(method, path, body, retrying)

function stateBadge(state) {
  return h('span', { class: `state state-${String(state).toLowerCase()}`, 'data-state': state }, state)
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '')
  const [page, ...rest] = hash.split('/')
  return { page: page || 'connectors', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined }
}

async function render() {
  clearTimeout(refreshTimer)
  const mine = ++generation
  const { page, arg } = route()
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${page}`)
  }
  const pages = {
    connectors: () => (arg === undefined ? connectorsPage() : connectorPage(arg)),
    new: () => formPage(undefined),
    edit: () => formPage(arg),
    cluster: clusterPage,
    plugins: pluginsPage,
    loggers: loggersPage,
  }
  try {
    const refresh = await (pages[page] ?? connectorsPage)()
    if (refresh && mine === generation) {
      const tick = async () => {
        try {
          await refresh()
        } catch (e) {
          say(e.message, 'error')
        }
        if (mine === generation) refreshTimer = setTimeout(tick, REFRESH_MS)
      }
      refreshTimer = setTimeout(tick, REFRESH_MS)
    }
  } catch (e) {
    // A page that could not load (a worker busy or restarting) is tried again, as a loaded page refreshes.
    if (mine === generation) {
      replace(view, h('p', { class: 'form-error' }, e.message))
      refreshTimer = setTimeout(() => {
        if (mine === generation) void render()
      }, REFRESH_MS)
    }
  }
}

/** Every connector with its status and info (`?expand=status&expand=info`). */
const allConnectors = () => call('GET', '/connectors?expand=status&expand=info')

/**
 * Ferry's `/ferry/cluster`: the workers of the group, the leader, the generation, and each connector's records per
 * second gathered from every worker's metrics. A failure (a worker that is not Ferry's, a rebalance) gives
 * `{ error }`: the pages then show what the statuses say.
 */
const clusterInfo = () => api('GET', '/ferry/cluster').catch((e) => ({ error: e.message }))

/** Records per second, as shown: one decimal below 100; `–` when the workers keep no task metrics. */
const perSecond = (rate) =>
  rate === null || rate === undefined
    ? h('span', { class: 'muted', title: 'not measured' }, '–')
    : rate >= 100
      ? String(Math.round(rate))
      : rate.toFixed(1)

// ------------------------------------------------------------------------------------------------ connectors

async function connectorsPage() {
  const body = h('tbody')
  const table = h(
    'table',
    { 'data-testid': 'connectors' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Name', 'Type', 'State', 'Tasks', 'Records/s', 'Worker', 'Class'].map((c) => h('th', {}, c)),
      ),
    ),
    body,
  )
  replace(view, h('h2', {}, 'Connectors'), table, h('p', {}, h('a', { href: '#/new' }, 'New connector')))
  const refresh = async () => {
    const [connectors, cluster] = await Promise.all([allConnectors(), clusterInfo()])
    const names = Object.keys(connectors).sort()
    const rate = (name) => {
      if (cluster.error) return h('span', { class: 'muted', title: cluster.error }, '–')
      const c = cluster.connectors[name]
      return c ? perSecond(c.records_per_second) : h('span', { class: 'muted' }, '–')
    }
    replace(
      body,
      names.length === 0
        ? h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No connectors yet.'))
        : names.map((name) => {
            const { status, info } = connectors[name]
            const tasks = status?.tasks ?? []
            const running = tasks.filter((t) => t.state === 'RUNNING').length
            return h(
              'tr',
              { 'data-connector': name },
              h('td', {}, h('a', { href: `#/connectors/${seg(name)}` }, name)),
              h('td', {}, status?.type ?? info?.type ?? ''),
              h('td', {}, stateBadge(status?.connector.state ?? 'UNKNOWN')),
              h('td', {}, `${running}/${tasks.length} running`),
              h('td', { class: 'rate' }, rate(name)),
              h('td', {}, status?.connector.worker_id ?? ''),
              h('td', { class: 'mono' }, info?.config['connector.class'] ?? ''),
            )
          }),
    )
  }
  await refresh()
  return refresh
}

async function connectorPage(name) {
  const path = `/connectors/${seg(name)}`
  const head = h('div', { class: 'connector-head' })
  const tasksBody = h('tbody')
  const configBox = h('div')
  const offsetsBox = h('div', { 'data-testid': 'offsets' })
  const actions = h('div', { class: 'actions' })
  let state
  const act = async (label, method, suffix, after) => {
    try {
      await call(method, `${path}${suffix}`)
      say(`${label}: done`)
      if (after) after()
      else await refresh()
    } catch (e) {
      say(`${label}: ${e.message}`, 'error')
    }
  }
  const includeTasks = h('input', { type: 'checkbox', id: 'restart-tasks' })
  const onlyFailed = h('input', { type: 'checkbox', id: 'restart-failed' })
  replace(
    actions,
    h('button', { onclick: () => act('Pause', 'PUT', '/pause') }, 'Pause'),
    h('button', { onclick: () => act('Resume', 'PUT', '/resume') }, 'Resume'),
    h('button', { onclick: () => act('Stop', 'PUT', '/stop') }, 'Stop'),
    h(
      'button',
      {
        onclick: () =>
          act('Restart', 'POST', `/restart?includeTasks=${includeTasks.checked}&onlyFailed=${onlyFailed.checked}`),
      },
      'Restart',
    ),
    h('label', { for: 'restart-tasks' }, includeTasks, ' with tasks'),
    h('label', { for: 'restart-failed' }, onlyFailed, ' only failed'),
    h('a', { class: 'button', href: `#/edit/${seg(name)}` }, 'Edit'),
    h(
      'button',
      {
        class: 'danger',
        onclick: () => {
          if (confirm(`Delete the connector ${name}?`))
            void act('Delete', 'DELETE', '', () => (location.hash = '#/connectors'))
        },
      },
      'Delete',
    ),
  )
  replace(
    view,
    head,
    actions,
    h('h3', {}, 'Tasks'),
    h(
      'table',
      { 'data-testid': 'tasks' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Task', 'State', 'Records/s', 'Worker', 'Trace', ''].map((c) => h('th', {}, c)),
        ),
      ),
      tasksBody,
    ),
    h('h3', {}, 'Offsets'),
    offsetsBox,
    h('h3', {}, 'Config'),
    configBox,
  )

  const showOffsets = async () => {
    let offsets
    try {
      offsets = await call('GET', `${path}/offsets`)
    } catch (e) {
      replace(offsetsBox, h('p', { class: 'muted' }, e.message))
      return
    }
    const text = h('textarea', { rows: 8, class: 'mono', 'data-testid': 'offsets-json', readonly: state !== 'STOPPED' })
    text.value = JSON.stringify(offsets, null, 2)
    const result = h('span', { class: 'muted' })
    const alter = async () => {
      let body
      try {
        body = JSON.parse(text.value)
      } catch (e) {
        replace(result, `Not JSON: ${e.message}`)
        return
      }
      try {
        const answer = await call('PATCH', `${path}/offsets`, body)
        replace(result, answer?.message ?? 'done')
      } catch (e) {
        replace(result, e.message)
      }
    }
    const reset = async () => {
      if (!confirm(`Reset every offset of ${name}?`)) return
      try {
        const answer = await call('DELETE', `${path}/offsets`)
        replace(result, answer?.message ?? 'done')
        await showOffsets()
      } catch (e) {
        replace(result, e.message)
      }
    }
    replace(
      offsetsBox,
      text,
      state === 'STOPPED'
        ? h(
            'div',
            { class: 'actions' },
            h('button', { onclick: alter }, 'Save offsets'),
            h('button', { class: 'danger', onclick: reset }, 'Reset offsets'),
            result,
          )
        : h('p', { class: 'muted' }, 'Offsets can be changed once the connector is STOPPED.'),
    )
  }

  const refresh = async () => {
    let status
    let config
    let cluster
    try {
      ;[status, config, cluster] = await Promise.all([
        call('GET', `${path}/status`),
        call('GET', `${path}/config`),
        clusterInfo(),
      ])
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        replace(view, h('p', {}, `No connector named ${name}. `, h('a', { href: '#/connectors' }, 'All connectors')))
        return
      }
      throw e
    }
    const previous = state
    state = status.connector.state
    replace(
      head,
      h('h2', {}, name, ' ', stateBadge(state)),
      h(
        'p',
        { class: 'muted' },
        `${status.type} connector on ${status.connector.worker_id}`,
        status.connector.version ? `, version ${status.connector.version}` : '',
      ),
      status.connector.trace ? h('pre', { class: 'trace' }, status.connector.trace) : null,
    )
    /** task id → its records per second, from the worker that runs it. */
    const rates = new Map()
    for (const w of cluster.workers ?? [])
      for (const t of w.tasks ?? []) if (t.connector === name) rates.set(t.task, t.records_per_second)
    replace(
      tasksBody,
      status.tasks.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No tasks.'))
        : status.tasks.map((task) =>
            h(
              'tr',
              { 'data-task': task.id },
              h('td', {}, String(task.id)),
              h('td', {}, stateBadge(task.state)),
              h('td', { class: 'rate' }, perSecond(rates.get(task.id))),
              h('td', {}, task.worker_id),
              h('td', {}, task.trace ? h('pre', { class: 'trace' }, task.trace) : ''),
              h(
                'td',
                {},
                h(
                  'button',
                  { onclick: () => act(`Restart task ${task.id}`, 'POST', `/tasks/${task.id}/restart`) },
                  'Restart',
                ),
              ),
            ),
          ),
    )
    replace(
      configBox,
      h(
        'table',
        { class: 'config' },
        h(
          'tbody',
          {},
          Object.keys(config)
            .sort()
            .map((key) => h('tr', {}, h('th', { class: 'mono' }, key), h('td', { class: 'mono' }, config[key]))),
        ),
      ),
    )
    if (previous !== state) await showOffsets()
  }
  await refresh()
  return refresh
}

async function formPage(name) {
  const [plugins, existing] = await Promise.all([
    call('GET', '/connector-plugins'),
    name === undefined
      ? undefined
      : call('GET', `/connectors/${seg(name)}/config`).then((config) => ({ name, config })),
  ])
  const box = h('div')
  replace(view, box)
  await renderConnectorForm(box, {
    plugins,
    existing,
    onSaved: (saved) => {
      say(`${saved} ${existing ? 'updated' : 'created'}`)
      location.hash = `#/connectors/${seg(saved)}`
    },
  })
}

// ------------------------------------------------------------------------------------------------ cluster

async function clusterPage() {
  const box = h('div')
  replace(view, h('h2', {}, 'Cluster'), box)
  const refresh = async () => {
    const [root, connectors, cluster] = await Promise.all([call('GET', '/'), allConnectors(), clusterInfo()])
    /** worker id → what the cluster view and the statuses say of it. */
    const workers = new Map()
    const at = (id) => {
      if (!workers.has(id)) workers.set(id, { connectors: [], tasks: [], info: null })
      return workers.get(id)
    }
    for (const w of cluster.workers ?? []) at(w.worker_id ?? hostPort(w.url) ?? w.member_id).info = w
    for (const [name, { status }] of Object.entries(connectors)) {
      if (!status) continue
      if (status.connector.worker_id) at(status.connector.worker_id).connectors.push(name)
      for (const task of status.tasks) if (task.worker_id) at(task.worker_id).tasks.push(`${name}-${task.id}`)
    }
    const leader = (cluster.workers ?? []).find((w) => w.leader)
    replace(
      box,
      h(
        'dl',
        { class: 'facts', 'data-testid': 'cluster-facts' },
        h('dt', {}, 'Kafka cluster'),
        h('dd', { class: 'mono' }, root.kafka_cluster_id ?? 'unknown'),
        h('dt', {}, 'Ferry version'),
        h('dd', {}, `${root.version} (commit ${root.commit})`),
        h('dt', {}, 'Mode'),
        h('dd', {}, cluster.mode ?? 'unknown'),
        cluster.group_id ? [h('dt', {}, 'Group'), h('dd', { class: 'mono' }, cluster.group_id)] : null,
        h('dt', {}, 'Generation'),
        h(
          'dd',
          { 'data-testid': 'generation' },
          cluster.generation ?? (cluster.mode === 'standalone' ? 'none (standalone)' : 'unknown'),
        ),
        h('dt', {}, 'Leader'),
        h(
          'dd',
          { class: 'mono', 'data-testid': 'leader' },
          cluster.mode === 'standalone'
            ? `${leader?.worker_id ?? ''} (standalone: the whole cluster)`
            : (leader?.worker_id ?? hostPort(cluster.leader_url) ?? 'unknown'),
        ),
        h('dt', {}, 'Connectors'),
        h('dd', {}, String(Object.keys(connectors).length)),
      ),
      cluster.error ? h('p', { class: 'form-error' }, `The cluster view is not available: ${cluster.error}`) : null,
      h('h3', {}, 'Workers'),
      h(
        'table',
        { 'data-testid': 'workers' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Worker', 'Role', 'Generation', 'Connectors', 'Tasks', 'Records/s'].map((c) => h('th', {}, c)),
          ),
        ),
        h(
          'tbody',
          {},
          workers.size === 0
            ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No worker known yet.'))
            : [...workers.keys()].sort().map((id) => {
                const w = workers.get(id)
                const measured = (w.info?.tasks ?? []).filter((t) => t.records_per_second !== null)
                const rate =
                  measured.length === 0 && w.info?.tasks?.length
                    ? null
                    : measured.reduce((sum, t) => sum + t.records_per_second, 0)
                return h(
                  'tr',
                  { 'data-worker': id },
                  h('td', { class: 'mono' }, id),
                  h(
                    'td',
                    {},
                    w.info?.leader ? h('span', { class: 'state state-running' }, 'leader') : w.info ? 'follower' : '',
                    w.info?.error ? h('span', { class: 'form-error' }, ` unreachable: ${w.info.error}`) : null,
                  ),
                  h('td', {}, w.info?.generation ?? ''),
                  h('td', {}, w.connectors.join(', ')),
                  h('td', {}, `${w.tasks.length}`),
                  h('td', { class: 'rate' }, w.info?.tasks ? perSecond(rate) : ''),
                )
              }),
        ),
      ),
    )
  }
  await refresh()
  return refresh
}

/** `host:port` of a worker URL, as statuses name workers; null for none. */
function hostPort(url) {
  if (!url) return null
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

// ------------------------------------------------------------------------------------------------ plugins, loggers

async function pluginsPage() {
  const plugins = await call('GET', '/connector-plugins?connectorsOnly=false')
  replace(
    view,
    h('h2', {}, 'Plugins'),
    h(
      'table',
      { 'data-testid': 'plugins' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Class', 'Type', 'Version'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        plugins.map((p) =>
          h('tr', {}, h('td', { class: 'mono' }, p.class), h('td', {}, p.type), h('td', {}, p.version ?? '')),
        ),
      ),
    ),
  )
}

const LEVELS = ['OFF', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE']

async function loggersPage() {
  let loggers
  try {
    loggers = await call('GET', '/admin/loggers')
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(
        view,
        h('h2', {}, 'Loggers'),
        h('p', { class: 'muted' }, 'This listener does not serve /admin (admin.listeners).'),
      )
      return
    }
    throw e
  }
  const setLevel = async (logger, level) => {
    try {
      await call('PUT', `/admin/loggers/${seg(logger)}`, { level })
      say(`${logger}: ${level}`)
      await loggersPage()
    } catch (e) {
      say(`${logger}: ${e.message}`, 'error')
    }
  }
  const select = (logger, current) =>
    h(
      'select',
      { 'aria-label': `level of ${logger}`, onchange: (e) => setLevel(logger, e.target.value) },
      LEVELS.map((l) => h('option', { value: l, selected: l === current }, l)),
    )
  const newName = h('input', { id: 'new-logger', placeholder: 'org.apache.kafka.connect', autocomplete: 'off' })
  const newLevel = h(
    'select',
    { 'aria-label': 'level' },
    LEVELS.map((l) => h('option', { value: l, selected: l === 'DEBUG' }, l)),
  )
  replace(
    view,
    h('h2', {}, 'Loggers'),
    h(
      'table',
      { 'data-testid': 'loggers' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Logger', 'Level', 'Changed'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        Object.keys(loggers)
          .sort()
          .map((name) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono' }, name),
              h('td', {}, select(name, loggers[name].level)),
              h('td', {}, loggers[name].last_modified ? new Date(loggers[name].last_modified).toLocaleString() : ''),
            ),
          ),
      ),
    ),
    h(
      'form',
      {
        class: 'actions',
        onsubmit: (e) => {
          e.preventDefault()
          if (newName.value.trim()) void setLevel(newName.value.trim(), newLevel.value)
        },
      },
      h('label', { for: 'new-logger' }, 'Set a logger'),
      newName,
      newLevel,
      h('button', { type: 'submit' }, 'Set'),
    ),
  )
}

window.addEventListener('hashchange', render)
void render()
