/**
 * Package folders written for tests: a plugin package as a third party writes one (a `package.json` with Ferry's
 * `ferry.plugins` manifest and a module exporting `plugins`), or any tree of files (libraries, broken packages).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Writes `files` under `dir` (a relative path → its text, or an object written as JSON), folders made as needed. */
export async function writeFiles(dir: string, files: Record<string, string | object>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return dir
}

/**
 * A plugin package in `dir`: `plugins.js` holding `code` (which exports `plugins`), and a `package.json` naming it
 * `name` 1.0.0, an ES module with `"ferry": {"plugins": "./plugins.js"}` and a peer dependency on @ferry/api;
 * `manifest` adds fields or replaces them. The folder, to put on a plugin.path or install.
 */
export function writePluginPackage(dir: string, name: string, code: string, manifest: object = {}): Promise<string> {
  return writeFiles(dir, {
    'package.json': {
      name,
      version: '1.0.0',
      type: 'module',
      ferry: { plugins: './plugins.js' },
      peerDependencies: { '@ferry/api': '^0.1.0' },
      ...manifest,
    },
    'plugins.js': code,
  })
}
