import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** What every scenario can reach: the downstream fixture and the gateway with that fixture registered. */
export interface BenchContext {
  fixture: { name: string; url: string };
  gateway: {
    /** The gateway as configured in wrangler.toml (auditing on). */
    origin: string;
    /** A second gateway, identical but for AUDIT_ENABLED = "false"; same database, same registrations. */
    auditOffOrigin: string;
    /** Only ever sent in an Authorization header; never printed. */
    ownerKey: string;
    /** The fixture's id in the gateway, so its echo tool is `<serverId>__echo` on /mcp. */
    serverId: string;
    /**
     * The same fixture registered again with `Authorization: Bearer {{secret:BENCH_TOKEN}}` and that
     * secret set: the vault injects it into every downstream request and the redactor scrubs every result.
     */
    vaultServerId: string;
    /** POST /admin as the owner; resolves with `data`, rejects on `success: false`. */
    admin(action: number, data: Record<string, unknown>): Promise<unknown>;
  };
  /** A per-call timeout, so a hung call counts as an error instead of hanging the run. */
  callTimeoutMs: number;
}

/** One client session; the load generator opens one per concurrent worker. */
export interface ScenarioSession {
  /** One measured `tools/call`. Rejects when the call fails or its answer is wrong. */
  call(seq: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * One row (per concurrency) of the table. To measure a gateway feature, add a row that differs from
 * "gateway /mcp" in that feature alone (as "audit off" and "vault+scrub" do), and a `contrasts` entry.
 */
export interface Scenario {
  name: string;
  /** The scenario this one's ratios are taken against, at the same concurrency; none for a baseline. */
  baseline?: string;
  /** Before each run of this scenario (once per concurrency level). */
  setup?(context: BenchContext): Promise<void>;
  /** After each run, even a failed one. */
  teardown?(context: BenchContext): Promise<void>;
  /** Opens one session, initialized, ready for `call`. */
  connect(context: BenchContext): Promise<ScenarioSession>;
}

export const DIRECT = "direct to fixture";
const GATEWAY_MCP = "gateway /mcp";
const AUDIT_OFF = "gateway /mcp, audit off";
const VAULT_SCRUB = "gateway /mcp, vault+scrub";

/**
 * The rows of `npm run bench`, in table order, which is also the order they run in at each concurrency.
 * Rows drift over a run on a busy machine, so "gateway /mcp" sits between the two rows it is contrasted
 * with (see `contrasts`): each pair runs back to back.
 */
export const scenarios: Scenario[] = [
  {
    name: DIRECT,
    connect: (context) => echoSession(context, new URL(context.fixture.url), "echo"),
  },
  {
    name: "gateway /mcp/<serverId>",
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL(`/mcp/${context.gateway.serverId}`, context.gateway.origin), "echo", context.gateway.ownerKey),
  },
  {
    name: AUDIT_OFF,
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL("/mcp", context.gateway.auditOffOrigin), `${context.gateway.serverId}__echo`, context.gateway.ownerKey),
  },
  {
    name: GATEWAY_MCP,
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL("/mcp", context.gateway.origin), `${context.gateway.serverId}__echo`, context.gateway.ownerKey),
  },
  {
    name: VAULT_SCRUB,
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL("/mcp", context.gateway.origin), `${context.gateway.vaultServerId}__echo`, context.gateway.ownerKey),
  },
];

/** Two rows that differ in one feature, compared at each concurrency: `row` ÷ `against`. */
export interface Contrast {
  label: string;
  row: string;
  against: string;
}

/** Printed under the table: what one feature costs, with everything else the same. */
export const contrasts: Contrast[] = [
  { label: "audit on ÷ audit off", row: GATEWAY_MCP, against: AUDIT_OFF },
  { label: "vault+scrub ÷ no scrub", row: VAULT_SCRUB, against: GATEWAY_MCP },
];

/**
 * An official SDK client session calling the fixture's echo tool, checking every answer: a gateway that
 * answered quickly but wrongly must not look fast.
 */
export async function echoSession(context: BenchContext, url: URL, tool: string, bearer?: string): Promise<ScenarioSession> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {},
  });
  const client = new Client({ name: "peta-bench", version: "1.0.0" });
  await client.connect(transport, { timeout: context.callTimeoutMs });
  const prefix = `${context.fixture.name}: `;
  return {
    async call(seq) {
      const text = `bench ${seq}`;
      const result = await client.callTool({ name: tool, arguments: { text } }, undefined, { timeout: context.callTimeoutMs });
      const [first] = Array.isArray(result.content) ? result.content : [];
      const answer = first && first.type === "text" ? first.text : undefined;
      if (result.isError || answer !== prefix + text) {
        throw new Error(`unexpected answer: ${JSON.stringify(result).slice(0, 200)}`);
      }
    },
    async close() {
      // DELETE first, so the gateway's session (and its downstream and database connections) ends now.
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}
