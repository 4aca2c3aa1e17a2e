import { Hono } from "hono";
import { requireAuth } from "../auth/middleware.ts";
import type { HonoEnv } from "../http/context.ts";
import { userIpAllowlist } from "../policy/ip-allowlist-middleware.ts";
import { actionHandler } from "./dispatch.ts";
import { adminActions } from "./registry.ts";

export const adminRoute = new Hono<HonoEnv>()
  .use(requireAuth())
  .use(userIpAllowlist)
  .post("/", actionHandler({ actions: adminActions, roles: ["owner", "admin"] }));
