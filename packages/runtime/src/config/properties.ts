/**
 * Java `.properties` files as Apache Connect reads them (java.util.Properties.load): `key=value`, `key:value` or
 * `key value`; `#` and `!` comments; a trailing backslash continues the line; `\t \n \r \f \uXXXX` escapes.
 */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split(/\r\n|\r|\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '')
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t\f]+/, '')
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1)
    let keyEnd = 0
    while (keyEnd < line.length) {
      const c = line[keyEnd]
      if (c === '\\') {
        keyEnd += 2
        continue
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break
      keyEnd++
    }
    let valueStart = keyEnd
    while (valueStart < line.length && /[ \t\f]/.test(line[valueStart] ?? '')) valueStart++
    if (line[valueStart] === '=' || line[valueStart] === ':') valueStart++
    while (valueStart < line.length && /[ \t\f]/.test(line[valueStart] ?? '')) valueStart++
    out[unescapeProperty(line.slice(0, keyEnd))] = unescapeProperty(line.slice(valueStart))
  }
  return out
}

function endsWithContinuation(line: string): boolean {
  let n = 0
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++
  return n % 2 === 1
}

function unescapeProperty(s: string): string {
  if (!s.includes('\\')) return s
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16))
    switch (e) {
      case 't':
        return '\t'
      case 'n':
        return '\n'
      case 'r':
        return '\r'
      case 'f':
        return '\f'
      default:
        return e
    }
  })
}

/** Keys under `prefix`, with the prefix removed (Apache's `originalsWithPrefix(prefix, true)`). */
export function withPrefix(props: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(props)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v
  return out
}
