/**
 * Plugin versions and the version ranges of KIP-891's `*.plugin.version` keys, as Apache 4.x reads them with Maven's
 * `VersionRange` and `ComparableVersion`: `1.2.0` asks for exactly that version (Apache encloses a bare version in
 * `[]`), `[1.0,2.0)` for 1.0 up to but not including 2.0, `(,1.0]` for up to 1.0, `[1.0,)` for 1.0 and later, and
 * several ranges separated by commas for any of them. `latest`, or no value, means the newest version installed.
 */
import { ConnectException } from '@ferry/api'

/** Maven's qualifier order: alpha < beta < milestone < rc < snapshot < release < sp < anything else. */
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp']
const QUALIFIER_ALIASES: Record<string, string> = {
  a: 'alpha',
  b: 'beta',
  m: 'milestone',
  cr: 'rc',
  ga: '',
  final: '',
  release: '',
}

type Item = number | string

function items(version: string): Item[] {
  const out: Item[] = []
  for (const part of version.trim().toLowerCase().split(/[.-]/)) {
    for (const token of part.match(/\d+|\D+/g) ?? ['']) {
      if (/^\d+$/.test(token)) out.push(Number(token))
      else out.push(QUALIFIER_ALIASES[token] ?? token)
    }
  }
  // Trailing zeros and release qualifiers do not count: 1.0 equals 1, and 1.0-final equals 1.
  while (out.length > 1 && (out.at(-1) === 0 || out.at(-1) === '')) out.pop()
  return out
}

function qualifierRank(q: string): [number, string] {
  const i = QUALIFIERS.indexOf(q)
  return i >= 0 ? [i, ''] : [QUALIFIERS.length, q]
}

function compareItems(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined && b === undefined) return 0
  if (a === undefined) return -compareItems(b, a)
  if (typeof a === 'number') {
    if (b === undefined) return a === 0 ? 0 : 1
    return typeof b === 'number' ? Math.sign(a - b) : 1
  }
  if (typeof b === 'number') return -1
  const [ra, sa] = qualifierRank(a)
  const [rb, sb] = qualifierRank(b ?? '')
  return ra !== rb ? Math.sign(ra - rb) : sa < sb ? -1 : sa > sb ? 1 : 0
}

/** Orders versions as Maven does: numbers numerically, `1.0-rc1` before `1.0`, `1.0` equal to `1`. */
export function compareVersions(a: string, b: string): number {
  const x = items(a)
  const y = items(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const c = compareItems(x[i], y[i])
    if (c !== 0) return c
  }
  return 0
}

interface Restriction {
  lower: string | null
  lowerInclusive: boolean
  upper: string | null
  upperInclusive: boolean
}

/** One or more version intervals; `toString()` writes them as Maven does (`[1.0,1.0]` for exactly 1.0). */
export class VersionRange {
  readonly #restrictions: readonly Restriction[]

  constructor(restrictions: readonly Restriction[]) {
    this.#restrictions = restrictions
  }

  contains(version: string | null): boolean {
    if (version === null) return false
    return this.#restrictions.some((r) => {
      if (r.lower !== null) {
        const c = compareVersions(version, r.lower)
        if (c < 0 || (c === 0 && !r.lowerInclusive)) return false
      }
      if (r.upper !== null) {
        const c = compareVersions(version, r.upper)
        if (c > 0 || (c === 0 && !r.upperInclusive)) return false
      }
      return true
    })
  }

  toString(): string {
    return this.#restrictions
      .map((r) => `${r.lowerInclusive ? '[' : '('}${r.lower ?? ''},${r.upper ?? ''}${r.upperInclusive ? ']' : ')'}`)
      .join(',')
  }
}

/** A spec Maven's `VersionRange.createFromVersionSpec` refuses; the message is Maven's. */
export class InvalidVersionSpecificationException extends ConnectException {}

function parseRestriction(spec: string): Restriction {
  const lowerInclusive = spec.startsWith('[')
  const upperInclusive = spec.endsWith(']')
  const inner = spec.slice(1, -1).trim()
  const comma = inner.indexOf(',')
  if (comma < 0) {
    if (!lowerInclusive || !upperInclusive) {
      throw new InvalidVersionSpecificationException(`Single version must be surrounded by []: ${spec}`)
    }
    return { lower: inner, lowerInclusive: true, upper: inner, upperInclusive: true }
  }
  const lower = inner.slice(0, comma).trim() || null
  const upper = inner.slice(comma + 1).trim() || null
  if (upper !== null && lower !== null) {
    if (upper === lower)
      throw new InvalidVersionSpecificationException(`Range cannot have identical boundaries: ${spec}`)
    if (compareVersions(upper, lower) < 0)
      throw new InvalidVersionSpecificationException(`Range defies version ordering: ${spec}`)
  }
  return { lower, lowerInclusive, upper, upperInclusive }
}

/**
 * Apache's `PluginUtils.connectorVersionRequirement`: null for no value or `latest`; a bare version is exact (`1.0`
 * becomes `[1.0]`); otherwise Maven's range syntax. Throws `InvalidVersionSpecificationException` for a malformed spec.
 */
export function versionRequirement(spec: string | null | undefined): VersionRange | null {
  if (spec === null || spec === undefined || spec === 'latest') return null
  let process = spec.trim()
  if (!process.startsWith('[') && !process.startsWith('(')) {
    if (process === '' || /[[\](),]/.test(process)) {
      throw new InvalidVersionSpecificationException(`Invalid version specification: ${spec}`)
    }
    process = `[${process}]`
  }
  const restrictions: Restriction[] = []
  while (process.startsWith('[') || process.startsWith('(')) {
    const i1 = process.indexOf(')')
    const i2 = process.indexOf(']')
    let index = i2
    if ((i2 < 0 || i1 < i2) && i1 >= 0) index = i1
    if (index < 0) throw new InvalidVersionSpecificationException(`Unbounded range: ${spec}`)
    const restriction = parseRestriction(process.slice(0, index + 1))
    const previous = restrictions.at(-1)
    if (
      previous?.upper != null &&
      restriction.lower !== null &&
      compareVersions(restriction.lower, previous.upper) < 0
    ) {
      throw new InvalidVersionSpecificationException(`Ranges overlap: ${spec}`)
    }
    restrictions.push(restriction)
    process = process.slice(index + 1).trim()
    if (process.startsWith(',')) process = process.slice(1).trim()
  }
  if (process.length > 0) {
    throw new InvalidVersionSpecificationException(
      `Only fully-qualified sets allowed in multiple set scenario: ${spec}`,
    )
  }
  return new VersionRange(restrictions)
}
