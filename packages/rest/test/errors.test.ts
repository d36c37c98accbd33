import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AlreadyExistsException, ConfigException, ConnectException, NotFoundException } from '@ferry/api'
import { ConnectRestException, httpStatusError, toErrorResponse } from '../src/errors.ts'
import { BadRequestException } from './fake-herder.ts'

test('Connect errors map to Apache’s statuses with their own messages', () => {
  assert.deepEqual(toErrorResponse(new NotFoundException('Connector x not found')), {
    status: 404,
    body: { error_code: 404, message: 'Connector x not found' },
  })
  assert.equal(toErrorResponse(new AlreadyExistsException('Connector x already exists')).status, 409)
  assert.equal(toErrorResponse(new BadRequestException('bad')).status, 400)
  assert.equal(toErrorResponse(new ConfigException('k', 'v', 'nope')).status, 400)
  assert.deepEqual(toErrorResponse(new ConnectException('boom')), {
    status: 500,
    body: { error_code: 500, message: 'boom' },
  })
  assert.equal(toErrorResponse(new ConnectRestException(403, 'Topic tracking is disabled.')).status, 403)
})

test('a rebalance in a distributed herder is a 409 with Apache’s message', () => {
  const e = new Error('Request cannot be completed because a rebalance is expected')
  e.name = 'RebalanceNeededException'
  assert.deepEqual(toErrorResponse(e), {
    status: 409,
    body: {
      error_code: 409,
      message:
        'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)',
    },
  })
})

test('framework answers read like Jersey’s', () => {
  assert.equal(httpStatusError(405).message, 'HTTP 405 Method Not Allowed')
  assert.equal(httpStatusError(415).message, 'HTTP 415 Unsupported Media Type')
  assert.equal(toErrorResponse('plain').status, 500)
})
