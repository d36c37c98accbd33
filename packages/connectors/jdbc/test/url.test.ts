import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseJdbcUrl, sanitizeUrl } from '../src/url.ts'

test('a PostgreSQL URL gives host, port, database and its properties', () => {
  const url = parseJdbcUrl('jdbc:postgresql://db.example:6543/orders?user=app&password=s3cret&sslmode=require')
  assert.equal(url.dialect, 'postgresql')
  assert.equal(url.host, 'db.example')
  assert.equal(url.port, 6543)
  assert.equal(url.database, 'orders')
  assert.equal(url.user, 'app')
  assert.equal(url.password, 's3cret')
  assert.equal(url.properties.sslmode, 'require')
})

test('PostgreSQL defaults to port 5432 and takes the jdbc:postgresql:database form', () => {
  assert.equal(parseJdbcUrl('jdbc:postgresql://localhost/db').port, 5432)
  const short = parseJdbcUrl('jdbc:postgresql:inventory')
  assert.equal(short.database, 'inventory')
  assert.equal(short.host, '127.0.0.1')
})

test('MySQL and MariaDB URLs take user:password@, host lists and sub-protocols', () => {
  const url = parseJdbcUrl('jdbc:mysql://bob:pw@h1:3307,h2:3308/shop?useSSL=false')
  assert.equal(url.dialect, 'mysql')
  assert.deepEqual([url.host, url.port, url.database, url.user, url.password], ['h1', 3307, 'shop', 'bob', 'pw'])
  assert.equal(url.properties.useSSL, 'false')
  const maria = parseJdbcUrl('jdbc:mariadb:replication://primary/db')
  assert.deepEqual([maria.dialect, maria.subprotocol, maria.host, maria.port], ['mysql', 'mariadb', 'primary', 3306])
  const address = parseJdbcUrl('jdbc:mysql://address=(host=10.0.0.1)(port=3310)(user=x)/db')
  assert.deepEqual([address.host, address.port, address.user], ['10.0.0.1', 3310, 'x'])
})

test('an unsupported database names the subprotocol and the supported ones', () => {
  assert.throws(
    () => parseJdbcUrl('jdbc:oracle:thin:@localhost:1521:orcl'),
    /Invalid value jdbc:oracle:thin:@localhost:1521:orcl for configuration connection.url: .*not 'oracle'/,
  )
  assert.throws(() => parseJdbcUrl('postgres://x/y'), /Not a JDBC URL/)
})

test('sanitizeUrl hides passwords in properties and in user info', () => {
  assert.equal(
    sanitizeUrl('jdbc:postgresql://h/db?user=a&password=s3cret&ssl=true'),
    'jdbc:postgresql://h/db?user=a&password=****&ssl=true',
  )
  assert.equal(sanitizeUrl('jdbc:mysql://bob:s3cret@h/db'), 'jdbc:mysql://bob:****@h/db')
})
