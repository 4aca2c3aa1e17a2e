// The official SDK Client, connected to the gateway the way any MCP client would connect.
import { env, exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { inject } from "vitest";
import { admin, ORIGIN } from "./gateway.ts";

export interface ConnectOptions {
  path?: string;
  credential?: string;
  capabilities?: ClientCapabilities;
  protocolVersion?: string;
}

export async function connectClient(options: ConnectOptions = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${ORIGIN}${options.path ?? "/mcp"}`), {
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    requestInit: { headers: { authorization: `Bearer ${options.credential ?? env.OWNER_KEY}` } },
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  const client = new Client(
    { name: "test-client", version: "1.0.0" },
    { capabilities: options.capabilities ?? {}, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  await client.connect(transport);
  return { client, transport };
}

export type DownstreamName = "everything" | "alpha" | "beta" | "mortal" | "modern";

/** Registers a downstream under a fresh serverId, so test files never see each other's servers by name. */
export async function registerServer(which: DownstreamName, extra: Record<string, unknown> = {}): Promise<string> {
  const serverId = `${which}-${crypto.randomUUID().slice(0, 6)}`;
  const reply = await admin(2010, { serverId, transport: "streamable-http", url: inject("downstream")[which], ...extra });
  if (reply.status !== 200) throw new Error(`registering ${serverId} failed: ${JSON.stringify(reply.body)}`);
  return serverId;
}

/** The fixture's count of the echo calls it served, read through `client` on /mcp: a refused or held call must not move it. */
export async function echoCalls(client: Client, serverId: string): Promise<number> {
  return (JSON.parse(textOf(await client.callTool({ name: `${serverId}__stats` }))) as { calls: number }).calls;
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("");
}

/** Follows nextCursor to the end: the test config pages every 10 items, so this exercises pagination. */
export async function listAll<K extends "tools" | "prompts" | "resources" | "resourceTemplates">(
  client: Client,
  key: K,
): Promise<Record<string, unknown>[]> {
  const list = {
    tools: (cursor?: string) => client.listTools({ cursor }),
    prompts: (cursor?: string) => client.listPrompts({ cursor }),
    resources: (cursor?: string) => client.listResources({ cursor }),
    resourceTemplates: (cursor?: string) => client.listResourceTemplates({ cursor }),
  }[key];
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = (await list(cursor)) as Record<string, unknown> & { nextCursor?: string };
    items.push(...(page[key] as Record<string, unknown>[]));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return items;
}
