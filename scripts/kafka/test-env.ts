/** The bootstrap servers of the shared test broker that `npm test` starts (scripts/test.ts). */
export function testBootstrap(): string {
  const bootstrap = process.env.FERRY_TEST_BOOTSTRAP
  if (!bootstrap) {
    throw new Error(
      'integration tests need a broker: run them through npm test (or set FERRY_TEST_BOOTSTRAP=host:port to an existing broker)',
    )
  }
  return bootstrap
}
