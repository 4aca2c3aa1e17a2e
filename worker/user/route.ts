import { Hono } from "hono";
import { actionHandler } from "../admin/dispatch.ts";
import { requireAuth } from "../auth/middleware.ts";
import type { HonoEnv } from "../http/context.ts";
import { userIpAllowlist } from "../policy/ip-allowlist-middleware.ts";
import { selfServiceEndpoint } from "./actions.ts";

/** `POST /user`: the same `{action, data}` envelope as /admin, for a user's own settings. */
export const userRoute = new Hono<HonoEnv>()
  .use(requireAuth())
  .use(userIpAllowlist)
  .post("/", actionHandler(selfServiceEndpoint));
