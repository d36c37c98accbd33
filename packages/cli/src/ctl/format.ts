import { toYaml } from './yaml.ts'

/** `-o`: a table for people, JSON or YAML for scripts, `name` for one name per line (shell loops, completion). */
export type OutputFormat = 'table' | 'json' | 'yaml' | 'name'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml', 'name']

/** Writes text and knows whether it may colour it. */
export interface Output {
  write(text: string): void
  readonly color: boolean
}

/** Colours only for a terminal, and never when NO_COLOR is set to anything but the empty string (no-color.org). */
export function useColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && !env.NO_COLOR
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34 } as const
type Style = keyof typeof CODES

export function paint(out: Output, style: Style, text: string): string {
  return out.color && text !== '' ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text
}

/** A connector or task state in its colour: RUNNING green, PAUSED yellow, FAILED red, others dim. */
export function state(out: Output, s: string): string {
  const style: Style =
    s === 'RUNNING' ? 'green' : s === 'PAUSED' ? 'yellow' : s === 'FAILED' ? 'red' : s === 'STOPPED' ? 'blue' : 'dim'
  return paint(out, style, s)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what this strips
const ANSI = /\u001b\[[0-9;]*m/g

function width(s: string): number {
  return [...s.replace(ANSI, '')].length
}

/** Columns padded to their widest cell, headers in bold; cells may already be coloured. */
export function table(
  out: Output,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = '',
): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ')
      .trimEnd()
  return `${[line(headers.map((h) => paint(out, 'bold', h))), ...rows.map(line)].join('\n')}\n`
}

/** A value for `-o json` or `-o yaml`. */
export function serialise(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value)
}

/** A JSON value on one line, for table cells (partitions and offsets). */
export function compact(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
