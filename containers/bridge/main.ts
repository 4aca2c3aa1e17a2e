// The stdio ↔ Streamable HTTP bridge: one stdio MCP server behind POST /mcp, and GET /health.
// Run as `node main.ts`; configured by BRIDGE_* variables (spec.ts).
import { createServer, type ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { StdioChild } from "./child.ts";
import { Router } from "./router.ts";
import { bridgeConfig } from "./spec.ts";

const config = bridgeConfig(process.env);
const child = new StdioChild(config.spec);
const router = new Router(child);
// Started at once: the first call after a wake-up then waits for one start, not for a start on demand.
void child.ready().catch(() => {});

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://bridge").pathname;
  if (path === "/health") {
    const { state, ...status } = child.status;
    return reply(res, 200, { status: state, inFlight: router.inFlight, ...status });
  }
  if (path !== "/mcp") return reply(res, 404, { error: "not found" });
  // Stateless: no session to lose when the process restarts, and no standalone GET stream, which would
  // hold the instance awake forever (an open response counts as activity) for notifications stdio
  // servers rarely send outside a call.
  if (req.method !== "POST") return reply(res, 405, { error: "only POST" }, { allow: "POST" });
  const client = String(req.headers["x-bridge-client"] ?? "anonymous");
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  transport.onmessage = (message) => {
    void router.fromClient(message, client, { send: (outgoing, relatedRequestId) => transport.send(outgoing, { relatedRequestId }) });
  };
  res.on("close", () => void transport.close().catch(() => {}));
  void transport
    .start()
    .then(() => transport.handleRequest(req, res))
    .catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
});

server.listen(config.port, config.host);

async function shutdown(): Promise<void> {
  server.close();
  await child.stop().catch(() => {});
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown());
