import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatProperties, jaasQuote } from '../security.ts'

test('properties are written the way java.util.Properties reads them back', () => {
  const text = formatProperties({
    'security.protocol': 'SASL_SSL',
    'ssl.truststore.certificates': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    'odd key=with:separators': ' leading space, # and \\ backslash',
    'sasl.jaas.config': 'Module required username="alice" password="a=b";',
    unicode: 'café',
  })
  assert.equal(
    text,
    [
      'security.protocol=SASL_SSL',
      'ssl.truststore.certificates=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n',
      'odd\\ key\\=with\\:separators=\\ leading space, # and \\\\ backslash',
      'sasl.jaas.config=Module required username="alice" password="a=b";',
      'unicode=caf\\u00e9',
      '',
    ].join('\n'),
  )
})

test('JAAS option values are quoted with their quotes and backslashes escaped', () => {
  assert.equal(jaasQuote('plain'), '"plain"')
  assert.equal(jaasQuote('say "hi"\\now'), '"say \\"hi\\"\\\\now"')
})
