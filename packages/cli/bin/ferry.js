#!/usr/bin/env node
// Ferry's command line. Ferry runs on Node.js 24 (it loads its TypeScript sources directly).
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  console.error(
    `ferry: Node.js 24 or newer is needed (this is ${process.version}). Run it from the repository with npx ferry or npm run, which use the Node.js 24 installed by npm ci.`,
  )
  process.exit(1)
}
const { main } = await import('../src/main.ts')
process.exit(await main(process.argv.slice(2)))
