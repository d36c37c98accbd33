import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JaasConfigError, parseClientJaasConfig, parseJaasConfig } from '../../src/kafka/jaas.ts'

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule'

function options(text: string): Record<string, string> {
  return Object.fromEntries(parseClientJaasConfig(text).options)
}

function refusal(text: string): string {
  try {
    parseJaasConfig(text)
  } catch (e) {
    assert.ok(e instanceof JaasConfigError)
    return e.message
  }
  assert.fail('expected a JaasConfigError')
}

describe('parseJaasConfig', () => {
  it('reads the login module, its flag and key=value options', () => {
    const [module] = parseJaasConfig(`${PLAIN} required username="alice" password="alice-secret";`)
    assert.equal(module!.loginModule, PLAIN)
    assert.equal(module!.controlFlag, 'REQUIRED')
    assert.deepEqual(Object.fromEntries(module!.options), { username: 'alice', password: 'alice-secret' })
  })

  it('takes every control flag in any case', () => {
    for (const flag of ['required', 'Requisite', 'SUFFICIENT', 'optional']) {
      assert.equal(parseClientJaasConfig(`${PLAIN} ${flag};`).controlFlag, flag.toUpperCase())
    }
  })

  it('reads unquoted, double-quoted and single-quoted values', () => {
    assert.deepEqual(options(`${PLAIN} required a=plain b="double quoted" c='single quoted';`), {
      a: 'plain',
      b: 'double quoted',
      c: 'single quoted',
    })
  })

  it("applies Java's escapes inside quotes", () => {
    assert.deepEqual(
      options(String.raw`${PLAIN} required a="x\"y" b="back\\slash" c="t\tn\nr\r" d="\101\60" e="\q" f='it\'s';`),
      {
        a: 'x"y',
        b: 'back\\slash',
        c: 't\tn\nr\r',
        d: 'A0',
        e: 'q',
        f: "it's",
      },
    )
  })

  it('keeps = ; and spaces inside quotes, and the other quote character', () => {
    assert.deepEqual(options(`${PLAIN} required password="a=b;c d" other='say "hi"';`), {
      password: 'a=b;c d',
      other: 'say "hi"',
    })
  })

  it('accepts line breaks, tabs and several spaces between tokens', () => {
    assert.deepEqual(options(`${PLAIN}\n\trequired\n  username="u"\r\n  password="p"\n;`), {
      username: 'u',
      password: 'p',
    })
  })

  it('skips // and /* */ comments, and a / comments out the rest of the line (and the next, after a line break)', () => {
    assert.deepEqual(options(`${PLAIN} required /* a comment */ username="u" // to the end\n password="p";`), {
      username: 'u',
      password: 'p',
    })
    assert.equal(refusal(`${PLAIN} required a=b/\nc=d;`), 'JAAS config entry not terminated by semi-colon')
  })

  it('reads unquoted words of letters, digits, ".", "-", "_" and "$", as Java does', () => {
    assert.deepEqual(options(`${PLAIN} required username=alice password=s3cret x=a-b.c_d$e;`), {
      username: 'alice',
      password: 's3cret',
      x: 'a-b.c_d$e',
    })
  })

  it('refuses unquoted values Java refuses: numbers, and words with other characters', () => {
    assert.match(
      refusal(`${PLAIN} required unsecuredLoginLifetimeSeconds=60;`),
      /Value not specified for key 'unsecuredLoginLifetimeSeconds'.*must be quoted/,
    )
    assert.match(refusal(`${PLAIN} required username=alice@corp;`), /Option name expected in JAAS config, found '@'/)
    assert.match(refusal(`${PLAIN} required url=http://example.com;`), /Option name expected in JAAS config, found ':'/)
  })

  it('keeps the last value of a repeated option', () => {
    assert.deepEqual(options(`${PLAIN} required a="1" a="2";`), { a: '2' })
  })

  it('refuses a missing semicolon, naming it', () => {
    assert.equal(refusal(`${PLAIN} required username="u"`), 'JAAS config entry not terminated by semi-colon')
  })

  it('refuses a missing or unknown control flag', () => {
    assert.equal(refusal(PLAIN), 'Login module control flag not specified in JAAS config')
    assert.match(refusal(`${PLAIN} mandatory;`), /Invalid login module control flag 'mandatory'/)
  })

  it('refuses an option without a value and names the option, not a value', () => {
    assert.equal(refusal(`${PLAIN} required username;`), "Value not specified for key 'username' in JAAS config")
    assert.equal(refusal(`${PLAIN} required username=;`), "Value not specified for key 'username' in JAAS config")
  })

  it('refuses an empty value', () => {
    assert.equal(refusal('  '), 'Login module not specified in JAAS config')
  })

  it('never quotes a quoted string in an error', () => {
    const message = refusal(`${PLAIN} "the-password" username="u";`)
    assert.doesNotMatch(message, /the-password/)
  })

  it('reads several modules, and a client refuses more than one', () => {
    const text = `${PLAIN} required username="a" password="b"; ${PLAIN} optional username="c" password="d";`
    assert.equal(parseJaasConfig(text).length, 2)
    assert.throws(() => parseClientJaasConfig(text), {
      message: 'JAAS config property contains 2 login modules, should be 1 module',
    })
  })
})
