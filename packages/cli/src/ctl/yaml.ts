/**
 * YAML output for `-o yaml`: any JSON value (what the REST API answers) written as block YAML 1.2 that a YAML parser
 * reads back as the same value. Strings are plain when no YAML reader could take them for anything else, a literal
 * block (`|-`) when they span lines (stack traces), and JSON-quoted otherwise (YAML 1.2 reads JSON strings as they are).
 */
export function toYaml(value: unknown): string {
  const lines: string[] = []
  emit(value, 0, lines, null)
  return `${lines.join('\n')}\n`
}

type Prefix = string | null

// `prefix` is what stands before the value on its first line ("key:" or "-"); null at the top.
function emit(value: unknown, indent: number, out: string[], prefix: Prefix): void {
  const pad = ' '.repeat(indent)
  const head = prefix === null ? pad : `${pad}${prefix}`
  const sep = prefix === null ? '' : ' '
  if (Array.isArray(value)) {
    if (value.length === 0) return void out.push(`${head}${sep}[]`)
    if (prefix !== null) out.push(head)
    const inner = prefix === null ? indent : indent + 2
    for (const item of value) emitItem(item, inner, out)
    return
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.length === 0) return void out.push(`${head}${sep}{}`)
    if (prefix !== null) out.push(head)
    const inner = prefix === null ? indent : indent + 2
    for (const [k, v] of entries) emit(v, inner, out, `${scalarKey(k)}:`)
    return
  }
  if (typeof value === 'string' && isBlock(value)) {
    out.push(`${head}${sep}|-`)
    for (const line of value.split('\n')) out.push(line === '' ? '' : `${' '.repeat(indent + 2)}${line}`)
    return
  }
  out.push(`${head}${sep}${scalar(value)}`)
}

// An item of a sequence: a mapping's first key goes on the dash's line, as YAML is usually written.
function emitItem(item: unknown, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent)
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0) {
    const start = out.length
    emit(item, indent + 2, out, null)
    out[start] = `${pad}- ${out[start]!.slice(indent + 2)}`
    return
  }
  if (Array.isArray(item) && item.length > 0) {
    out.push(`${pad}-`)
    for (const inner of item) emitItem(inner, indent + 2, out)
    return
  }
  emit(item, indent, out, '-')
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null'
  if (typeof value === 'boolean') return String(value)
  return plainOrQuoted(String(value))
}

function scalarKey(key: string): string {
  return plainOrQuoted(key)
}

// Words a YAML 1.1 or 1.2 reader would not keep as a string. A plain scalar never starts with a digit, a sign or a dot,
// so numbers, dates and times are quoted.
const SPECIAL = /^(?:null|true|false|yes|no|on|off|y|n)$/i
const PLAIN = /^[A-Za-z_/$][A-Za-z0-9_./$@()+,;=-]*(?:[ :][A-Za-z0-9_./$@()+,;=-]+)*$/

function plainOrQuoted(s: string): string {
  if (s === '' || SPECIAL.test(s) || !PLAIN.test(s) || s.includes(': ')) {
    return JSON.stringify(s)
  }
  return s
}

// A literal block keeps every character only when no line ends in blanks, the first line has no leading space
// and the text has no control characters other than newlines and tabs.
function isBlock(s: string): boolean {
  if (!s.includes('\n') || s.endsWith('\n') || /^[ \t]/.test(s) || /[ \t]\n|[ \t]$/.test(s)) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
  return !/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s) && !s.startsWith('\n')
}
