import { createMiddleware } from "hono/factory";
import { principalSubject } from "../auth/principal.ts";
import type { HonoEnv } from "../http/context.ts";
import { logEvent } from "./log.ts";

/**
 * One JSON line per request for Workers observability. The path is logged without its query string
 * (where clients sometimes put tokens), and nothing from headers or bodies.
 */
export const requestLog = createMiddleware<HonoEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const principal = c.get("principal");
  logEvent("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    subject: principal ? principalSubject(principal) : null,
    ray: c.req.header("cf-ray") ?? null,
  });
});
