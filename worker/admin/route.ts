import { Hono } from "hono";
import { requireAuth } from "../auth/middleware.ts";
import type { HonoEnv } from "../http/context.ts";
import { actionHandler } from "./dispatch.ts";
import { adminActions } from "./registry.ts";

export const adminRoute = new Hono<HonoEnv>()
  .use(requireAuth())
  .post("/", actionHandler({ actions: adminActions, roles: ["owner", "admin"] }));
