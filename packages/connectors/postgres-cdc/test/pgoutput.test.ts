import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatLsn, parseLsn } from '../src/lsn.ts'
import { decodePgOutput, UNCHANGED_TOAST } from '../src/pgoutput.ts'

/** Builds a message from parts: numbers as Int32, bigints as Int64, strings as NUL-terminated, Buffers as is. */
function msg(
  tag: string,
  ...parts: Array<number | bigint | string | Buffer | ['i8', number] | ['i16', number]>
): Buffer {
  const chunks: Buffer[] = [Buffer.from(tag)]
  for (const p of parts) {
    if (Array.isArray(p)) {
      const b = Buffer.alloc(p[0] === 'i8' ? 1 : 2)
      if (p[0] === 'i8') b.writeUInt8(p[1])
      else b.writeInt16BE(p[1])
      chunks.push(b)
    } else if (typeof p === 'number') {
      const b = Buffer.alloc(4)
      b.writeInt32BE(p)
      chunks.push(b)
    } else if (typeof p === 'bigint') {
      const b = Buffer.alloc(8)
      b.writeBigInt64BE(p)
      chunks.push(b)
    } else if (typeof p === 'string') chunks.push(Buffer.from(`${p}\0`))
    else chunks.push(p)
  }
  return Buffer.concat(chunks)
}

function text(v: string): Buffer {
  const len = Buffer.alloc(4)
  len.writeInt32BE(Buffer.byteLength(v))
  return Buffer.concat([Buffer.from('t'), len, Buffer.from(v)])
}

test('LSNs read and print in PostgreSQL’s X/X form', () => {
  assert.equal(parseLsn('16/B374D848'), 0x16b374d848n)
  assert.equal(formatLsn(0x16b374d848n), '16/B374D848')
  assert.throws(() => parseLsn('nope'))
})

test('begin, commit, relation, insert, update, delete and truncate messages decode to their fields', () => {
  assert.deepEqual(decodePgOutput(msg('B', 0x100n, 5n, 42)), {
    tag: 'begin',
    finalLsn: 0x100n,
    commitTime: 5n,
    xid: 42,
  })
  assert.deepEqual(decodePgOutput(msg('C', ['i8', 0], 0x100n, 0x130n, 5n)), {
    tag: 'commit',
    flags: 0,
    commitLsn: 0x100n,
    endLsn: 0x130n,
    commitTime: 5n,
  })
  assert.deepEqual(
    decodePgOutput(
      msg(
        'R',
        16384,
        'public',
        'customers',
        ['i8', 100],
        ['i16', 2],
        ['i8', 1],
        'id',
        23,
        -1,
        ['i8', 0],
        'name',
        25,
        -1,
      ),
    ),
    {
      tag: 'relation',
      relationId: 16384,
      namespace: 'public',
      name: 'customers',
      replicaIdentity: 'd',
      columns: [
        { key: true, name: 'id', typeOid: 23, typeModifier: -1 },
        { key: false, name: 'name', typeOid: 25, typeModifier: -1 },
      ],
    },
  )
  assert.deepEqual(
    decodePgOutput(msg('I', 16384, Buffer.from('N'), ['i16', 3], text('1'), Buffer.from('n'), Buffer.from('u'))),
    {
      tag: 'insert',
      relationId: 16384,
      tuple: ['1', null, UNCHANGED_TOAST],
    },
  )
  assert.deepEqual(
    decodePgOutput(msg('U', 16384, Buffer.from('K'), ['i16', 1], text('1'), Buffer.from('N'), ['i16', 1], text('2'))),
    {
      tag: 'update',
      relationId: 16384,
      old: ['1'],
      oldIsKey: true,
      tuple: ['2'],
    },
  )
  assert.deepEqual(decodePgOutput(Buffer.concat([msg('U', 16384), Buffer.from('N'), Buffer.from([0, 1]), text('é')])), {
    tag: 'update',
    relationId: 16384,
    old: null,
    oldIsKey: false,
    tuple: ['é'],
  })
  assert.deepEqual(decodePgOutput(Buffer.concat([msg('D', 16384), Buffer.from('O'), Buffer.from([0, 1]), text('x')])), {
    tag: 'delete',
    relationId: 16384,
    old: ['x'],
    oldIsKey: false,
  })
  assert.deepEqual(decodePgOutput(msg('T', 2, ['i8', 3], 1, 2)), {
    tag: 'truncate',
    cascade: true,
    restartIdentity: true,
    relationIds: [1, 2],
  })
  assert.throws(() => decodePgOutput(Buffer.from('Z')), /unknown message type/)
})
