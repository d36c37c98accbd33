import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { charsetForName, decodeUtf8Java } from '../../src/string/charsets.ts'

interface Strings {
  _generated: string
  encode: [string, string, string][]
  decode: [string, string, string][]
  aliases: [string, string | null][]
}

const strings = JSON.parse(
  readFileSync(new URL('../fixtures/json-converter/strings.json', import.meta.url), 'utf8'),
) as Strings

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function codeUnits(text: string): string {
  return [...text].map((c) => c.codePointAt(0)!.toString(16)).join(' ')
}

describe('charsets checked against the JDK', () => {
  test('every sample string encodes to the bytes the JDK writes', () => {
    for (const [name, text, expected] of strings.encode) {
      assert.equal(hex(charsetForName(name)!.encode(text)), expected, `${name} ${JSON.stringify(text)}`)
    }
  })

  test('every sample, valid or malformed, decodes to the string the JDK reads', () => {
    for (const [name, bytesHex, expected] of strings.decode) {
      const actual = charsetForName(name)!.decode(Buffer.from(bytesHex, 'hex'))
      assert.equal(codeUnits(actual), codeUnits(expected), `${name} ${bytesHex}`)
    }
  })

  test('charset names and aliases resolve as Charset.forName resolves them', () => {
    for (const [name, canonical] of strings.aliases) {
      if (name === 'windows-1252') {
        // A JDK charset Ferry does not implement.
        assert.equal(charsetForName(name), null)
        continue
      }
      assert.equal(charsetForName(name)?.name ?? null, canonical, name)
    }
  })

  test('malformed UTF-8 decodes with one replacement per malformed sequence, as the JDK does', () => {
    // An encoded surrogate is one malformed sequence for the JDK, three for the WHATWG decoder.
    assert.equal(decodeUtf8Java(Buffer.from('61eda08062', 'hex')), 'a\ufffdb')
    assert.equal(decodeUtf8Java(Buffer.from('f09f98', 'hex')), '\ufffd')
  })
})
