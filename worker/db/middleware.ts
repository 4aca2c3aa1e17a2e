import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../http/context.ts";
import { type DatabaseHandle, openDatabase } from "./client.ts";

/** Gives each request a lazily opened database, closed once the response is ready. */
export const databaseMiddleware = createMiddleware<HonoEnv>(async (c, next) => {
  let handle: DatabaseHandle | undefined;
  c.set("db", () => {
    handle ??= openDatabase(c.env);
    return handle.db;
  });
  try {
    await next();
  } finally {
    if (handle) c.executionCtx.waitUntil(handle.close().catch(() => {}));
  }
});
