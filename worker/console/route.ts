import { Hono } from "hono";
import type { HonoEnv } from "../http/context.ts";
import { consolePage } from "./page/page.ts";

/**
 * `/console`: the owners' and admins' page. It is served to anyone (it holds no data); what it shows comes
 * from POST /admin with the key typed into it, so the API decides who may see and change what.
 */
export const consoleRoute = new Hono<HonoEnv>().get("/", (c) => consolePage(c, "html")).get("/app.js", (c) => consolePage(c, "script"));
