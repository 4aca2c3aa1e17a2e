import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Under `projects`, the plugin resolves workerd's CommonJS require() calls through the root Vite server:
  // without the workerd condition here, pg's require("pg-cloudflare") gets an empty stub.
  environments: { ssr: { resolve: { conditions: ["workerd", "worker"] } } },
  test: {
    // The gateway logs a JSON line per request; in test output only warnings and errors are worth reading.
    onConsoleLog: (log) => !log.includes('"level":"info"'),
    // At the root so it runs in plain Node (ws, PGlite) and its provide() reaches every project.
    globalSetup: ["./test/global-setup.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              hyperdrives: { HYPERDRIVE: inject("databaseUrl") },
              bindings: {
                ...inject("secrets"),
                TEST_DIRECT_DATABASE_URL: inject("databaseUrl"),
                TEST_NEON_WS_PROXY: inject("neonWsProxy"),
                // A dead server must be skipped quickly, not after the production default.
                MCP_CONNECT_TIMEOUT_MS: "3000",
                // Small pages, so every listing test also exercises the cursors.
                MCP_LIST_PAGE_SIZE: "10",
                // A browser client on another origin (the MCP Inspector's UI), for the CORS tests.
                MCP_ALLOWED_ORIGINS: "http://localhost:6274",
                // The client metadata documents of the OAuth tests are served on loopback, as under `npm run dev`.
                OAUTH_ALLOW_LOOPBACK_CLIENTS: "true",
                // A held call reports that it still waits every second, so a test hears it without waiting long.
                APPROVAL_PROGRESS_SECONDS: "1",
                // Small enough that the fairness tests reach both with a few calls of 200 KB (mcp-fairness.test.ts).
                MCP_MAX_BODY_BYTES: "262144",
                RATE_LIMIT_BYTES_PER_MINUTE: "1048576",
                // An open session re-reads who its caller is every second, so a test of a lost push hears it soon.
                MCP_IDENTITY_RECHECK_SECONDS: "1",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "test/workers/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "node",
          include: ["scripts/**/*.test.ts", "test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
