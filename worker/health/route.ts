import { sql } from "drizzle-orm";
import { Hono } from "hono";
import packageJson from "../../package.json" with { type: "json" };
import type { HonoEnv } from "../http/context.ts";

export const healthRoute = new Hono<HonoEnv>().get("/", async (c) => {
  const started = performance.now();
  let database: { ok: true; latencyMs: number } | { ok: false; error: string };
  try {
    await c.get("db")().execute(sql`select 1`);
    database = { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch {
    // The driver's message can name hosts and users; the health check only says that it failed.
    database = { ok: false, error: "database did not answer" };
  }
  return c.json(
    { status: database.ok ? "ok" : "degraded", version: packageJson.version, database },
    database.ok ? 200 : 503,
  );
});
