import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./gateway.ts";

// Listed in MCP_ALLOWED_ORIGINS by vitest.config.mts; the gateway itself is at ORIGIN.
const BROWSER = "http://localhost:6274";
const FOREIGN = "http://evil.example";

const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "browser", version: "1" } },
};

function preflight(path: string, origin: string, method: string): Promise<Response> {
  return request(path, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type, mcp-protocol-version" },
  });
}

function mcp(init: { method?: string; origin?: string; credential?: string | null; sessionId?: string; body?: unknown; accept?: string }): Promise<Response> {
  const credential = init.credential === undefined ? env.OWNER_KEY : init.credential;
  return request("/mcp", {
    method: init.method ?? "POST",
    headers: {
      origin: init.origin ?? BROWSER,
      accept: init.accept ?? "application/json, text/event-stream",
      "content-type": "application/json",
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      ...(init.sessionId ? { "mcp-session-id": init.sessionId } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

function expectCors(response: Response, origin = BROWSER) {
  expect(response.headers.get("access-control-allow-origin")).toBe(origin);
  expect(response.headers.get("vary")).toContain("Origin");
  const exposed = (response.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/,\s*/);
  expect(exposed).toEqual(expect.arrayContaining(["mcp-session-id", "mcp-protocol-version", "www-authenticate"]));
  expect(response.headers.get("access-control-allow-credentials")).toBeNull();
}

describe("CORS for browser MCP clients", () => {
  it("answers a preflight from an allowed origin before authentication", async () => {
    for (const path of ["/mcp", "/mcp/some-server"]) {
      const response = await preflight(path, BROWSER, "POST");
      expect(response.status, path).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(BROWSER);
      expect(response.headers.get("vary")).toContain("Origin");
      expect(response.headers.get("access-control-allow-methods")?.split(/,\s*/)).toEqual(["GET", "POST", "DELETE"]);
      const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/,\s*/);
      expect(allowed).toEqual(
        expect.arrayContaining(["authorization", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id"]),
      );
      expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("gives a disallowed origin no CORS headers, and /mcp still refuses it", async () => {
    const response = await preflight("/mcp", FOREIGN, "POST");
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();

    const post = await mcp({ origin: FOREIGN, body: initialize });
    expect(post.status).toBe(403);
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes Mcp-Session-Id on initialize, and carries CORS on JSON, SSE and 404 answers", async () => {
    const opened = await mcp({ body: initialize });
    expect(opened.status).toBe(200);
    expectCors(opened);
    const sessionId = opened.headers.get("mcp-session-id");
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await opened.body?.cancel();

    const stream = await mcp({ method: "GET", sessionId: sessionId!, accept: "text/event-stream" });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    expectCors(stream);

    // Ending the session closes the stream from the gateway's side.
    const closed = await mcp({ method: "DELETE", sessionId: sessionId! });
    expect(closed.status).toBe(200);
    expectCors(closed);
    await stream.text();
    const gone = await mcp({ sessionId: sessionId!, body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(gone.status).toBe(404);
    expectCors(gone);
  });

  it("lets a browser read a 401 and its WWW-Authenticate challenge", async () => {
    const response = await mcp({ credential: null, body: initialize });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("resource_metadata=");
    expectCors(response);
  });

  it("covers discovery and the token exchange, but not /admin", async () => {
    const metadata = await request("/.well-known/oauth-protected-resource", { headers: { origin: BROWSER } });
    expect(metadata.status).toBe(200);
    expectCors(metadata);
    const discoveryPreflight = await preflight("/.well-known/oauth-protected-resource/mcp", BROWSER, "GET");
    expect(discoveryPreflight.status).toBe(204);
    expect(discoveryPreflight.headers.get("access-control-allow-methods")).toBe("GET");

    const tokenPreflight = await preflight("/auth/token", BROWSER, "POST");
    expect(tokenPreflight.status).toBe(204);
    expect(tokenPreflight.headers.get("access-control-allow-methods")).toBe("POST");
    const token = await request("/auth/token", { method: "POST", headers: { origin: BROWSER } });
    expect(token.status).toBe(401);
    expectCors(token);

    for (const [path, method] of [["/.well-known/oauth-protected-resource", "GET"], ["/auth/token", "POST"]] as const) {
      const refused = await preflight(path, FOREIGN, method);
      expect(refused.status, path).toBe(404);
      expect(refused.headers.get("access-control-allow-origin"), path).toBeNull();
    }

    const adminPreflight = await preflight("/admin", BROWSER, "POST");
    expect(adminPreflight.status).not.toBe(204);
    expect(adminPreflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});
