/**
 * The bindings the Worker runs with. `Env` is generated from wrangler.toml by `wrangler types`;
 * these are the optional parts a deployment may add or remove without changing the code.
 */
export type AppEnv = Omit<Env, "HYPERDRIVE"> & {
  /** Absent in a deployment that reaches Neon directly through DATABASE_URL. */
  HYPERDRIVE?: Hyperdrive;
  /** A Neon connection string, used only when there is no HYPERDRIVE binding. */
  DATABASE_URL?: string;
  /**
   * `host:port/path` of a WebSocket-to-TCP proxy for Neon's driver, for local development and tests
   * against a plain Postgres, as Neon documents. Never set in production.
   */
  NEON_WS_PROXY?: string;
  /** The client secret of the owner's OIDC provider (a Worker secret); sign-in through it is offered only when set. */
  OIDC_CLIENT_SECRET?: string;
  /** Optional Workers Analytics Engine dataset for per-call counters (docs/deployment.md). */
  ANALYTICS?: AnalyticsEngineDataset;
};
