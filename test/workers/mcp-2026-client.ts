// The SDK v2 Client speaking MCP 2026-07-28 (stateless) to the gateway, the way a 2026 client connects.
import { env, exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from "@modelcontextprotocol/client";
import { ORIGIN } from "./gateway.ts";

export const STATELESS_VERSION = "2026-07-28";

export interface StatelessConnectOptions {
  path?: string;
  credential?: string;
  capabilities?: ClientCapabilities;
  /** false: an input_required answer is returned to the test instead of being answered by the client's handlers. */
  autoFulfill?: boolean;
}

export async function connectStateless(options: StatelessConnectOptions = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${ORIGIN}${options.path ?? "/mcp"}`), {
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    requestInit: { headers: { authorization: `Bearer ${options.credential ?? env.OWNER_KEY}` } },
  });
  const client = new Client(
    { name: "test-client-2026", version: "2.0.0" },
    {
      capabilities: options.capabilities ?? {},
      versionNegotiation: { mode: { pin: STATELESS_VERSION } },
      ...(options.autoFulfill === false ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  await client.connect(transport);
  return client;
}

/** A raw 2026 request, for what the SDK would never send (mismatched headers, a forged requestState). */
export function statelessRequest(
  path: string,
  message: { id?: number; method: string; params?: Record<string, unknown> },
  { headers = {}, capabilities = {}, credential = env.OWNER_KEY }: { headers?: Record<string, string>; capabilities?: ClientCapabilities; credential?: string } = {},
): Promise<Response> {
  const params = message.params ?? {};
  const meta = {
    "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
    "io.modelcontextprotocol/clientInfo": { name: "raw-2026", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    ...((params._meta as Record<string, unknown> | undefined) ?? {}),
  };
  const name = typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : undefined;
  return exports.default.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${credential}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": STATELESS_VERSION,
        "mcp-method": message.method,
        ...(name !== undefined ? { "mcp-name": name } : {}),
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: message.id ?? 1, method: message.method, params: { ...params, _meta: meta } }),
    }),
  );
}
