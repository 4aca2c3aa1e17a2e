import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../env.ts";
import type { HonoEnv } from "./context.ts";
import { cors } from "./cors.ts";

const bindings: AppEnv = { ...env, MCP_ALLOWED_ORIGINS: "https://app.example", MCP_ALLOWED_HOSTS: "gw.example" };
const app = new Hono<HonoEnv>()
  .use("/x", cors(["POST"]))
  // Response.redirect's headers are immutable, like those of a fetch() or a Durable Object's reply.
  .post("/x", () => Response.redirect("https://gw.example/y", 302))
  .all("/x", (c) => c.text("fell through", 405));

function call(method: string, headers: Record<string, string>, host = "gw.example"): Promise<Response> {
  return Promise.resolve(app.request(`https://${host}/x`, { method, headers: { host, ...headers } }, bindings));
}

describe("CORS", () => {
  it("answers an allowed origin's preflight itself", async () => {
    const response = await call("OPTIONS", { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-allow-methods")).toBe("POST");
    expect(response.headers.get("vary")).toBe("Origin");
  });

  it("leaves an OPTIONS that is no preflight, or comes from a refused origin or host, to the route", async () => {
    const notPreflight = await call("OPTIONS", { origin: "https://app.example" });
    const foreign = await call("OPTIONS", { origin: "https://evil.example", "access-control-request-method": "POST" });
    const rebound = await call("OPTIONS", { origin: "https://app.example", "access-control-request-method": "POST" }, "rebound.example");
    for (const response of [notPreflight, foreign, rebound]) {
      expect(response.status).toBe(405);
      expect(response.headers.get("access-control-allow-methods")).toBeNull();
    }
    expect(notPreflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(rebound.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("adds its headers to an immutable response, and Vary even without Origin", async () => {
    const allowed = await call("POST", { origin: "https://app.example" });
    expect(allowed.status).toBe(302);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");
    const plain = await call("POST", {});
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    expect(plain.headers.get("vary")).toBe("Origin");
  });
});
