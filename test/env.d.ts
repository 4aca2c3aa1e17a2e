// Bindings that only the workers test project adds (vitest.config.mts). A script file: no import/export.
declare namespace Cloudflare {
  interface Env {
    /** The test database's real address, for the Neon path that bypasses Hyperdrive. */
    TEST_DIRECT_DATABASE_URL: string;
    TEST_NEON_WS_PROXY: string;
  }
}
