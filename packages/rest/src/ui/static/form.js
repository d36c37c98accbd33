/**
 * The create/edit form, generated from a plugin's ConfigDef (`GET /connector-plugins/{plugin}/config`): one field per
 * key, grouped and ordered as the ConfigDef says. As the user types, the config is checked with
 * `PUT /connector-plugins/{plugin}/config/validate` (debounced) and each key's errors are shown under its field.
 */
import { ApiError, api, seg } from './api.js'
import { debounce, h, replace } from './dom.js'

const VALIDATE_DELAY_MS = 300

/** Parses `key=value` lines (blank lines and `#` comments skipped); throws on a line without `=`. */
export function parseExtraKeys(text) {
  const out = {}
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq <= 0) throw new Error(`line ${i + 1} of the other keys is not key=value: ${line}`)
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return out
}

/**
 * Renders the form into `container`. `existing` is `{ name, config }` when editing. `onSaved(name)` runs after the
 * connector was created or updated.
 */
export async function renderConnectorForm(container, { plugins, existing, onSaved }) {
  const connectorPlugins = plugins.filter((p) => p.type === 'source' || p.type === 'sink')
  const classes = [...new Set(connectorPlugins.map((p) => p.class))].sort()
  const initialClass = existing?.config['connector.class'] ?? classes[0] ?? ''
  const fieldsBox = h('div', { class: 'fields' })
  const formError = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'form-error' })
  const summary = h('span', { class: 'muted', 'data-testid': 'validation-summary' })
  const nameInput = h('input', {
    id: 'connector-name',
    name: 'name',
    required: true,
    value: existing?.name ?? '',
    disabled: existing !== undefined,
    autocomplete: 'off',
  })
  const classSelect = h(
    'select',
    { id: 'connector-class', name: 'connector.class' },
    classes.map((c) => h('option', { value: c, selected: c === initialClass }, c)),
  )
  if (existing && !classes.includes(initialClass)) {
    classSelect.append(h('option', { value: initialClass, selected: true }, initialClass))
  }
  const extra = h('textarea', {
    id: 'extra-keys',
    rows: 4,
    placeholder: 'transforms=mask\ntransforms.mask.type=org.apache.kafka.connect.transforms.MaskField$Value',
  })
  const otherErrors = h('ul', { class: 'field-error', 'data-testid': 'other-errors' })
  /** key → { input, error, def } for the current plugin. */
  let fields = new Map()
  let validation = 0

  const currentConfig = () => {
    const config = {}
    for (const [key, field] of fields) {
      const value = field.input.value
      if (value !== '') config[key] = value
    }
    Object.assign(config, parseExtraKeys(extra.value))
    config['connector.class'] = classSelect.value
    const name = nameInput.value.trim()
    if (name !== '') config.name = name
    return config
  }

  const validate = async () => {
    const mine = ++validation
    let config
    try {
      config = currentConfig()
    } catch (e) {
      replace(formError, e.message)
      return
    }
    replace(formError)
    try {
      const result = await api('PUT', `/connector-plugins/${seg(classSelect.value)}/config/validate`, config)
      if (mine !== validation) return // a newer check is under way
      const elsewhere = []
      for (const field of fields.values()) replace(field.error)
      for (const { value } of result.configs ?? []) {
        const field = fields.get(value.name)
        if (field) {
          replace(field.error, value.errors.join(' '))
          field.box.classList.toggle('invalid', value.errors.length > 0)
          field.box.hidden = value.visible === false && value.errors.length === 0 && field.input.value === ''
        } else if (value.errors.length > 0 && !(value.name === 'name' && nameInput.value.trim() === '')) {
          elsewhere.push(h('li', {}, `${value.name}: ${value.errors.join(' ')}`))
        }
      }
      replace(otherErrors, elsewhere)
      replace(summary, result.error_count === 0 ? 'No errors' : `${result.error_count} error(s)`)
    } catch (e) {
      if (mine === validation) replace(formError, e.message)
    }
  }
  const validateSoon = debounce(validate, VALIDATE_DELAY_MS)

  const loadPlugin = async () => {
    replace(fieldsBox, h('p', { class: 'muted' }, 'Loading the plugin’s keys…'))
    let defs
    try {
      defs = await api('GET', `/connector-plugins/${seg(classSelect.value)}/config`)
    } catch (e) {
      replace(fieldsBox, h('p', { class: 'form-error' }, e.message))
      return
    }
    const values = { ...(existing?.config ?? {}) }
    fields = new Map()
    const groups = new Map()
    const ordered = defs
      .filter((d) => d.name !== 'name' && d.name !== 'connector.class')
      .toSorted((a, b) => (a.order_in_group ?? 0) - (b.order_in_group ?? 0))
    for (const def of ordered) {
      const group = def.group || 'Connector'
      if (!groups.has(group)) groups.set(group, [])
      const id = `field-${def.name}`
      const input = inputFor(def, id, values[def.name])
      delete values[def.name]
      input.addEventListener('input', validateSoon)
      input.addEventListener('change', validateSoon)
      const error = h('div', { class: 'field-error', 'aria-live': 'polite' })
      const box = h(
        'div',
        { class: 'field', 'data-field': def.name },
        h(
          'label',
          { for: id },
          def.display_name || def.name,
          def.required ? h('span', { class: 'required' }, ' *') : null,
        ),
        input,
        h(
          'div',
          { class: 'doc' },
          def.documentation ?? '',
          def.default_value ? ` (default: ${def.default_value})` : '',
        ),
        error,
      )
      groups.get(group).push(box)
      fields.set(def.name, { input, error, box, def })
    }
    delete values.name
    delete values['connector.class']
    extra.value = Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
    replace(
      fieldsBox,
      [...groups].map(([group, boxes]) => h('fieldset', {}, h('legend', {}, group), boxes)),
    )
    await validate()
  }

  const submit = async (event) => {
    event.preventDefault()
    replace(formError)
    let config
    try {
      config = currentConfig()
    } catch (e) {
      replace(formError, e.message)
      return
    }
    const name = nameInput.value.trim()
    if (name === '') {
      replace(formError, 'A connector needs a name.')
      nameInput.focus()
      return
    }
    try {
      if (existing) await api('PUT', `/connectors/${seg(name)}/config`, config)
      else await api('POST', '/connectors', { name, config })
      onSaved(name)
    } catch (e) {
      replace(formError, e instanceof ApiError ? e.message : String(e))
      await validate()
    }
  }

  nameInput.addEventListener('input', validateSoon)
  extra.addEventListener('input', validateSoon)
  classSelect.addEventListener('change', loadPlugin)
  replace(
    container,
    h(
      'form',
      { class: 'connector-form', onsubmit: submit, novalidate: true },
      h('h2', {}, existing ? `Edit ${existing.name}` : 'New connector'),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'connector-name' }, 'Name', h('span', { class: 'required' }, ' *')),
        nameInput,
      ),
      h('div', { class: 'field' }, h('label', { for: 'connector-class' }, 'Connector class'), classSelect),
      fieldsBox,
      h(
        'fieldset',
        {},
        h('legend', {}, 'Other keys'),
        h(
          'div',
          { class: 'field', 'data-field': '(other)' },
          h('label', { for: 'extra-keys' }, 'Transforms, predicates, converters, overrides: one key=value a line'),
          extra,
          otherErrors,
        ),
      ),
      formError,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, existing ? 'Save' : 'Create'), summary),
    ),
  )
  await loadPlugin()
}

/** The input for one ConfigKeyInfo: a choice for booleans, hidden text for passwords, text otherwise. */
function inputFor(def, id, value) {
  if (def.type === 'BOOLEAN') {
    return h(
      'select',
      { id, name: def.name },
      h('option', { value: '' }, def.default_value ? `default (${def.default_value})` : '(unset)'),
      h('option', { value: 'true', selected: value === 'true' }, 'true'),
      h('option', { value: 'false', selected: value === 'false' }, 'false'),
    )
  }
  return h('input', {
    id,
    name: def.name,
    type: def.type === 'PASSWORD' ? 'password' : 'text',
    value: value ?? '',
    placeholder: def.default_value ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  })
}
