import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import test from 'node:test'
import { plugins } from '../../src/index.ts'

/** The `properties` examples of docs/transforms.md's "The mapping transform" section. */
function examples(): string[] {
  const doc = readFileSync(new URL('../../../../docs/transforms.md', import.meta.url), 'utf8')
  const section = doc.slice(doc.indexOf('## The mapping transform'), doc.indexOf('## Differences from Apache'))
  return [...section.matchAll(/```properties\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

test('every mapping transform example in docs/transforms.md configures its transforms and predicates', () => {
  const blocks = examples()
  assert.ok(blocks.length >= 6, `found ${blocks.length} examples`)
  for (const block of blocks) {
    const props = new Map<string, string>()
    for (const line of block.split('\n').filter(Boolean)) {
      const eq = line.indexOf('=')
      props.set(line.slice(0, eq), line.slice(eq + 1))
    }
    for (const [key, type] of props) {
      const m = /^(transforms|predicates)\.([^.]+)\.type$/.exec(key)
      if (!m) continue
      const prefix = `${m[1]}.${m[2]}.`
      const plugin = plugins.find((p) => p.className.endsWith(`.${type}`) || p.aliases?.includes(type))
      assert.ok(plugin, `${type} is a built-in`)
      const config = Object.fromEntries(
        [...props]
          .filter(([k]) => k.startsWith(prefix) && !/\.(type|predicate|negate)$/.test(k))
          .map(([k, v]) => [k.slice(prefix.length), v]),
      )
      assert.doesNotThrow(() => plugin.create().configure(config), `${key}=${type} in:\n${block}`)
    }
  }
})
