import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { gatewayBenchRules } from "./bench-policy-rules.ts";

/** What every scenario can reach: the downstream fixture and the gateway with that fixture registered. */
export interface BenchContext {
  fixture: { name: string; url: string };
  /** The floor Workers (scripts/bench-floors/floors.js), each forwarding to the fixture. */
  floors: { fetchOrigin: string; durableObjectOrigin: string };
  gateway: {
    /** The gateway as configured in wrangler.toml (auditing on). */
    origin: string;
    /** A second gateway, identical but for AUDIT_ENABLED = "false"; same database, same registrations. */
    auditOffOrigin: string;
    /** Only ever sent in an Authorization header; never printed. */
    ownerKey: string;
    /**
     * The API key of a plain user created for this run (role "user"), as real clients authenticate;
     * like the owner key, only ever sent in an Authorization header.
     */
    userApiKey: string;
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
  /** The stdio fixture, run by the supervisor `npm run dev` uses, registered as `serverId`. */
  stdio: {
    serverId: string;
    /** Its instance's bridge as the supervisor serves it, and the supervisor's token (a Bearer). */
    bridgeUrl: string;
    supervisorToken: string;
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
  /** The origin of the workerd the row goes through, whose CPU is metered; none for the direct call. */
  runtime?(context: BenchContext): string;
}

export const DIRECT = "direct to fixture";
const FLOOR_FETCH = "floor: Worker fetch()";
/** What every row is also compared with: the least a Worker with a Durable Object per session costs. */
export const FLOOR_DO = "floor: Worker → DO (RPC)";
export const GATEWAY_MCP = "gateway /mcp";
const AUDIT_OFF = "gateway /mcp, audit off";
const VAULT_SCRUB = "gateway /mcp, vault+scrub";
const API_KEY = "gateway /mcp, API key";
const ACCESS_TOKEN = "gateway /mcp, access token";
const STDIO = "gateway /mcp, stdio server";
const STDIO_DIRECT = "direct to stdio bridge";
export const POLICY_OFF = "gateway /mcp, policy off";
export const POLICY_RULES = "gateway /mcp, 50 CEL rules";

/** Both floor Workers run in one workerd. */
const floorsRuntime = (context: BenchContext) => context.floors.fetchOrigin;
const gatewayRuntime = (context: BenchContext) => context.gateway.origin;

/**
 * The rows of `npm run bench`, in table order, which is also the order they run in at each concurrency.
 * Rows drift over a run on a busy machine, so "gateway /mcp" sits between the two rows whose features
 * cost least (see `contrasts`): each of those pairs runs back to back. The user-credential rows follow
 * one and two rows later; their cost (1.3-2.5× at p50 in the first four runs) is large beside that drift.
 */
export const scenarios: Scenario[] = [
  {
    name: DIRECT,
    connect: (context) => echoSession(context, new URL(context.fixture.url), "echo"),
  },
  throughWorkerd(FLOOR_FETCH, floorsRuntime, (context) => echoSession(context, new URL("/mcp", context.floors.fetchOrigin), "echo")),
  throughWorkerd(FLOOR_DO, floorsRuntime, (context) => echoSession(context, new URL("/mcp", context.floors.durableObjectOrigin), "echo")),
  throughWorkerd("gateway /mcp/<serverId>", gatewayRuntime, (context) =>
    echoSession(context, new URL(`/mcp/${context.gateway.serverId}`, context.gateway.origin), "echo", context.gateway.ownerKey),
  ),
  throughWorkerd(AUDIT_OFF, (context) => context.gateway.auditOffOrigin, (context) =>
    aggregatedEchoSession(context, context.gateway.ownerKey, { origin: context.gateway.auditOffOrigin }),
  ),
  throughWorkerd(GATEWAY_MCP, gatewayRuntime, (context) => aggregatedEchoSession(context, context.gateway.ownerKey)),
  throughWorkerd(VAULT_SCRUB, gatewayRuntime, (context) =>
    aggregatedEchoSession(context, context.gateway.ownerKey, { serverId: context.gateway.vaultServerId }),
  ),
  throughWorkerd(API_KEY, gatewayRuntime, (context) => aggregatedEchoSession(context, context.gateway.userApiKey)),
  // One token per session, as each real client exchanges its key for its own; minting is not timed.
  throughWorkerd(ACCESS_TOKEN, gatewayRuntime, async (context) => aggregatedEchoSession(context, await mintAccessToken(context))),
  // The same echo from a stdio server through the local bridge: first through the gateway (whose first
  // connection also hands the supervisor the instance's launch), then straight to the bridge, no workerd.
  throughWorkerd(STDIO, gatewayRuntime, (context) => aggregatedEchoSession(context, context.gateway.ownerKey, { serverId: context.stdio.serverId })),
  { name: STDIO_DIRECT, baseline: DIRECT, connect: (context) => echoSession(context, new URL(context.stdio.bridgeUrl), "echo", context.stdio.supervisorToken) },
  // The policy, back to back: "gateway /mcp" again with nothing configured (no policy set, a public server:
  // the default), then with a 50-rule set on that server that exists only while its row runs. Every rule
  // matches echo and its CEL condition is evaluated, false, on every call.
  throughWorkerd(POLICY_OFF, gatewayRuntime, (context) => aggregatedEchoSession(context, context.gateway.ownerKey)),
  withPolicySet(throughWorkerd(POLICY_RULES, gatewayRuntime, (context) => aggregatedEchoSession(context, context.gateway.ownerKey))),
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
  { label: "API key ÷ owner key", row: API_KEY, against: GATEWAY_MCP },
  { label: "access token ÷ owner key", row: ACCESS_TOKEN, against: GATEWAY_MCP },
  { label: "stdio server ÷ HTTP server", row: STDIO, against: GATEWAY_MCP },
  { label: "gateway ÷ bridge alone (stdio)", row: STDIO, against: STDIO_DIRECT },
  { label: "50 CEL rules ÷ policy off", row: POLICY_RULES, against: POLICY_OFF },
];

/** A row through workerd (the gateway or a floor): its ratios are taken against the direct call. */
function throughWorkerd(name: string, runtime: (context: BenchContext) => string, connect: Scenario["connect"]): Scenario {
  return { name, baseline: DIRECT, connect, runtime };
}

/**
 * `scenario` with the gateway's bench server under a 50-rule policy set (CREATE_POLICY_SET before each run,
 * DELETE_POLICY_SET after it), so no other row sees it. Sessions open after the set exists, so they load it.
 */
function withPolicySet(scenario: Scenario): Scenario {
  let policySetId: string | undefined;
  return {
    ...scenario,
    async setup(context) {
      const created = (await context.gateway.admin(9101, { name: "bench: 50 CEL rules", serverId: context.gateway.serverId, rules: gatewayBenchRules() })) as { policySetId: string };
      policySetId = created.policySetId;
    },
    async teardown(context) {
      if (policySetId !== undefined) await context.gateway.admin(9104, { policySetId });
      policySetId = undefined;
    },
  };
}

/**
 * A session on the gateway's aggregated /mcp calling `<serverId>__echo`: by default the audited gateway
 * and the plain fixture registration, so a row that changes one of them (or the credential) differs
 * from "gateway /mcp" in that alone.
 */
function aggregatedEchoSession(
  context: BenchContext,
  bearer: string,
  { origin = context.gateway.origin, serverId = context.gateway.serverId }: { origin?: string; serverId?: string } = {},
): Promise<ScenarioSession> {
  return echoSession(context, new URL("/mcp", origin), `${serverId}__echo`, bearer);
}

/**
 * POST /auth/token with the user's API key: a short-lived access token for the audited gateway. Its
 * issuer and audience are that gateway's origin, so it is minted there and used nowhere else.
 */
async function mintAccessToken(context: BenchContext): Promise<string> {
  const response = await fetch(new URL("/auth/token", context.gateway.origin), {
    method: "POST",
    headers: { authorization: `Bearer ${context.gateway.userApiKey}` },
    signal: AbortSignal.timeout(context.callTimeoutMs),
  });
  const reply = (await response.json().catch(() => null)) as { access_token?: unknown } | null;
  if (!response.ok || typeof reply?.access_token !== "string") {
    throw new Error(`POST /auth/token answered ${response.status}, without an access_token`);
  }
  return reply.access_token;
}

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
