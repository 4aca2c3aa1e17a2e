import { Hono } from "hono";
import type { HonoEnv } from "../http/context.ts";
import { pageResponse } from "./headers.ts";
import { UI_SCRIPT } from "./ui-script.ts";
import { UI_STYLE } from "./ui-style.ts";

/** The pages' icon: a gate, in the accent colour, so a tab is recognisable (and the browser's request for one is answered). */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0550ae"/><path d="M8 25V11l8-5 8 5v14h-5v-8h-6v8z" fill="#fff"/></svg>`;

/** `/ui`: the components, stylesheet and icon the gateway's pages share. Public: they hold no data and no secret. */
export const uiRoute = new Hono<HonoEnv>()
  .get("/ui.js", (c) => pageResponse(c, "script", UI_SCRIPT))
  .get("/ui.css", (c) => pageResponse(c, "style", UI_STYLE))
  .get("/icon.svg", (c) => pageResponse(c, "icon", ICON));
