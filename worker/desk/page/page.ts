import type { AppContext } from "../../http/context.ts";
import { DESK_SCRIPT } from "./script.ts";
import { DESK_STYLE } from "./style.ts";

/**
 * The page loads only its own script and stylesheet and talks only to its own origin (the ticket POST
 * and the WebSocket): nothing inline, nothing from elsewhere, so CSP can forbid everything else. The API
 * key a user types lives in the script's memory; the page itself holds no secret.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const COMMON_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

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

const BODIES = {
  page: { body: HTML, type: "text/html; charset=utf-8" },
  script: { body: DESK_SCRIPT, type: "text/javascript; charset=utf-8" },
  style: { body: DESK_STYLE, type: "text/css; charset=utf-8" },
} as const;

export function deskPage(c: AppContext, part: keyof typeof BODIES): Response {
  const { body, type } = BODIES[part];
  return c.body(body, 200, { ...COMMON_HEADERS, "Content-Type": type, "Cache-Control": part === "page" ? "no-store" : "no-cache" });
}
