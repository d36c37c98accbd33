/**
 * Building the page without HTML strings: every value from the server becomes a text node or an attribute value,
 * never markup: nothing the UI shows is parsed as HTML.
 */

/**
 * An element: `h('td', { class: 'state' }, 'RUNNING', otherNode)`. Attributes named `on<event>` are listeners;
 * `false`, `null` and `undefined` attributes are left out; children are nodes or text (null/false skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
    else if (key === 'value') el.value = String(value)
    else if (key === 'checked') el.checked = Boolean(value)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** Calls `fn` once `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer
  return (...args) => {
    clearTimeout(timer)
    timer = setTimeout(() => fn(...args), ms)
  }
}
