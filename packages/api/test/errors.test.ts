import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  AlreadyExistsException,
  ConfigException,
  ConnectException,
  DataException,
  IllegalWorkerStateException,
  javaString,
  NotFoundException,
  RetriableException,
  SchemaBuilderException,
  SchemaProjectorException,
} from '../src/errors.ts'

test('each error class has a stable code, its own name and the Apache hierarchy', () => {
  const cases: [Error, string, string][] = [
    [new ConnectException('m'), 'FERRY_ERR_CONNECT', 'ConnectException'],
    [new RetriableException('m'), 'FERRY_ERR_RETRIABLE', 'RetriableException'],
    [new DataException('m'), 'FERRY_ERR_DATA', 'DataException'],
    [new SchemaBuilderException('m'), 'FERRY_ERR_SCHEMA_BUILDER', 'SchemaBuilderException'],
    [new SchemaProjectorException('m'), 'FERRY_ERR_SCHEMA_PROJECTOR', 'SchemaProjectorException'],
    [new IllegalWorkerStateException('m'), 'FERRY_ERR_ILLEGAL_WORKER_STATE', 'IllegalWorkerStateException'],
    [new NotFoundException('m'), 'FERRY_ERR_NOT_FOUND', 'NotFoundException'],
    [new AlreadyExistsException('m'), 'FERRY_ERR_ALREADY_EXISTS', 'AlreadyExistsException'],
    [new ConfigException('m'), 'FERRY_ERR_CONFIG', 'ConfigException'],
  ]
  for (const [error, code, name] of cases) {
    assert.equal((error as { code?: string }).code, code)
    assert.equal(error.name, name)
    assert.equal(error.message, 'm')
    assert.ok(error instanceof Error)
  }
  assert.ok(new SchemaBuilderException('m') instanceof DataException)
  assert.ok(new SchemaBuilderException('m') instanceof ConnectException)
  assert.ok(new NotFoundException('m') instanceof ConnectException)
  assert.ok(!(new DataException('m') instanceof RetriableException))
  assert.ok(!(new ConfigException('m') instanceof ConnectException))
  assert.ok(!(new Error('m') instanceof ConnectException))
})

test('a cause is kept, and a lone cause becomes the message as in Java', () => {
  const root = new Error('disk full')
  const wrapped = new ConnectException('write failed', root)
  assert.equal(wrapped.message, 'write failed')
  assert.equal(wrapped.cause, root)
  const fromCause = new DataException(root)
  assert.equal(fromCause.message, 'Error: disk full')
  assert.equal(fromCause.cause, root)
  assert.equal(new ConnectException('no cause').cause, undefined)
})

test('instanceof recognises an error from another copy of the package by its brand', () => {
  // What a duplicate copy of @ferry/api would produce: another class, same Symbol.for brands on its prototype chain.
  class ForeignConnect extends Error {}
  Object.defineProperty(ForeignConnect.prototype, Symbol.for('ferry.error.ConnectException'), { value: true })
  class ForeignRetriable extends ForeignConnect {}
  Object.defineProperty(ForeignRetriable.prototype, Symbol.for('ferry.error.RetriableException'), { value: true })

  const foreign = new ForeignRetriable('try again')
  assert.ok(foreign instanceof RetriableException)
  assert.ok(foreign instanceof ConnectException)
  assert.ok(!(foreign instanceof DataException))
  assert.ok(!(new ForeignConnect('x') instanceof RetriableException))

  const plain = { [Symbol.for('ferry.error.DataException')]: true }
  assert.ok(plain instanceof DataException)
  const primitives: unknown[] = [null, undefined, 'DataException', 1]
  for (const p of primitives) assert.ok(!(p instanceof DataException))
})

test('a user subclass of a Connect error uses the ordinary prototype check and keeps the parent code', () => {
  class MyError extends RetriableException {}
  const mine = new MyError('mine')
  assert.ok(mine instanceof MyError)
  assert.ok(mine instanceof RetriableException)
  assert.ok(mine instanceof ConnectException)
  assert.ok(!(new RetriableException('x') instanceof MyError))
  assert.equal(mine.code, 'FERRY_ERR_RETRIABLE')
  assert.equal(mine.name, 'MyError')
})

test('ConfigException with a name and a value uses Apache message shape', () => {
  assert.equal(
    new ConfigException('tasks.max', 'abc', 'Not a number of type INT').message,
    'Invalid value abc for configuration tasks.max: Not a number of type INT',
  )
  assert.equal(new ConfigException('k', null).message, 'Invalid value null for configuration k')
  assert.equal(new ConfigException('k', ['a', 'b'], 'bad').message, 'Invalid value [a, b] for configuration k: bad')
})

test('javaString renders values as Java string concatenation would', () => {
  assert.equal(javaString(null), 'null')
  assert.equal(javaString([1, 'a', null]), '[1, a, null]')
  assert.equal(
    javaString(
      new Map<unknown, unknown>([
        ['k', 1],
        [2, true],
      ]),
    ),
    '{k=1, 2=true}',
  )
  assert.equal(javaString({ a: 1 }), '{a=1}')
  assert.equal(javaString(12n), '12')
})
