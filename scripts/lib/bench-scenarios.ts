import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** What every scenario can reach: the downstream fixture and the gateway with that fixture registered. */
export interface BenchContext {
  fixture: { name: string; url: string };
  gateway: {
    origin: string;
    /** Only ever sent in an Authorization header; never printed. */
    ownerKey: string;
    /** The fixture's id in the gateway, so its echo tool is `<serverId>__echo` on /mcp. */
    serverId: string;
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
 * One row (per concurrency) of the table. To measure a gateway feature, add one: e.g. "audit on" with a
 * `setup` that switches audit on, a `teardown` that switches it off, and the gateway's `connect`.
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

/** The rows of `npm run bench`, in table order. */
export const scenarios: Scenario[] = [
  {
    name: DIRECT,
    connect: (context) => echoSession(context, new URL(context.fixture.url), "echo"),
  },
  {
    name: "gateway /mcp",
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL("/mcp", context.gateway.origin), `${context.gateway.serverId}__echo`, context.gateway.ownerKey),
  },
  {
    name: "gateway /mcp/<serverId>",
    baseline: DIRECT,
    connect: (context) =>
      echoSession(context, new URL(`/mcp/${context.gateway.serverId}`, context.gateway.origin), "echo", context.gateway.ownerKey),
  },
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
