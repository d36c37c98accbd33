import assert from 'node:assert/strict'
import { test } from 'node:test'
import { state, table, useColor } from '../../src/ctl/format.ts'

const plain = { write: () => {}, color: false }
const coloured = { write: () => {}, color: true }

test('colours are used only on a terminal with NO_COLOR unset or empty', () => {
  assert.equal(useColor(true, {}), true)
  assert.equal(useColor(true, { NO_COLOR: '' }), true)
  assert.equal(useColor(true, { NO_COLOR: '1' }), false)
  assert.equal(useColor(false, {}), false)
  assert.equal(useColor(undefined, {}), false)
})

test('a table pads every column to its widest cell and trims line ends', () => {
  assert.equal(
    table(
      plain,
      ['NAME', 'STATE', 'TASKS'],
      [
        ['a-long-name', 'RUNNING', '1/1'],
        ['b', 'FAILED', ''],
      ],
    ),
    'NAME         STATE    TASKS\na-long-name  RUNNING  1/1\nb            FAILED\n',
  )
})

test('coloured cells are padded by their visible width, states in their colours', () => {
  const rows = [
    [state(coloured, 'RUNNING'), 'x'],
    [state(coloured, 'FAILED'), 'y'],
  ]
  assert.equal(rows[0]![0], '\u001b[32mRUNNING\u001b[0m')
  assert.equal(rows[1]![0], '\u001b[31mFAILED\u001b[0m')
  const lines = table(coloured, ['STATE', 'V'], rows)
    .split('\u001b[')
    .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, '')))
    .join('')
  assert.equal(lines, 'STATE    V\nRUNNING  x\nFAILED   y\n')
  assert.equal(state(plain, 'RUNNING'), 'RUNNING')
})
