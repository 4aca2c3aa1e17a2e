import type { AppContext } from "../../http/context.ts";
import { type PagePart, pageResponse } from "../../pages/headers.ts";
import { DESK_SCRIPT } from "./script.ts";
import { DESK_STYLE } from "./style.ts";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Peta Desk</title>
<link rel="stylesheet" href="/desk/app.css">
<script src="/desk/app.js" defer></script>
</head>
<body>
<header><h1>Peta Desk</h1><span data-testid="status" class="status">signed out</span></header>
<form id="sign-in" data-testid="sign-in-form" autocomplete="off">
  <label for="api-key">API key</label>
  <input id="api-key" data-testid="api-key" type="password" placeholder="pk_…" required>
  <button type="submit" data-testid="sign-in">Sign in</button>
  <p class="error" data-testid="sign-in-error" hidden></p>
</form>
<main data-testid="desk" hidden>
  <section><h2>Pending approvals <span data-testid="pending-count">0</span></h2>
    <p class="empty" data-testid="no-approvals">Nothing waits for you.</p>
    <ul data-testid="approvals" class="approvals"></ul>
  </section>
  <section><h2>Recent decisions</h2><ul data-testid="decisions" class="log"></ul></section>
  <section><h2>Notifications</h2><ul data-testid="notifications" class="log"></ul>
    <p>Open MCP sessions: <span data-testid="sessions">0</span></p></section>
  <section><h2>My capabilities</h2><div data-testid="capabilities"></div></section>
  <section><h2>My servers</h2><div data-testid="servers"></div></section>
  <p><button type="button" data-testid="sign-out">Sign out</button></p>
</main>
</body>
</html>
`;

/** The page and its assets, under the headers every page of the gateway has (worker/pages/headers.ts). */
const BODIES = {
  page: { body: HTML, part: "html" },
  script: { body: DESK_SCRIPT, part: "script" },
  style: { body: DESK_STYLE, part: "style" },
} as const satisfies Record<string, { body: string; part: PagePart }>;

export function deskPage(c: AppContext, part: keyof typeof BODIES): Response {
  return pageResponse(c, BODIES[part].part, BODIES[part].body);
}
