import type { AppContext } from "../../http/context.ts";
import { pageResponse, pageShell } from "../../pages/headers.ts";
import { DESK_ACCOUNT } from "./account.ts";
import { DESK_APPROVALS } from "./approvals.ts";
import { DESK_CAPABILITIES } from "./capabilities.ts";
import { DESK_CORE } from "./script.ts";
import { DESK_STYLE } from "./style.ts";

const HTML = pageShell({
  path: "/desk",
  title: "Peta Desk",
  stylesheet: "/desk/app.css",
  body: `<header class="topbar"><h1>Peta Desk</h1><span class="grow"></span>
  <span data-testid="who" class="who" hidden></span><span data-testid="status" class="badge muted">signed out</span>
  <button type="button" data-testid="sign-out" hidden>Sign out</button></header>
<div class="wrap">
<form class="signin card" data-testid="sign-in-form" autocomplete="off">
  <h2>Sign in</h2>
  <p class="muted">With your API key. It stays in this tab's memory: reloading the page signs you out.</p>
  <label class="field" for="api-key"><span>API key</span><input id="api-key" data-testid="api-key" type="password" placeholder="pk_…" required></label>
  <p class="row"><button type="submit" class="primary" data-testid="sign-in">Sign in</button></p>
  <p class="notice bad" role="alert" data-testid="sign-in-error" hidden></p>
</form>
<main data-testid="desk" hidden>
  <section aria-labelledby="h-approvals"><h2 id="h-approvals">Pending approvals <span data-testid="pending-count" class="badge info">0</span></h2>
    <p class="muted" data-testid="no-approvals">Nothing waits for you.</p>
    <div data-testid="approvals" class="approvals"></div>
  </section>
  <section aria-labelledby="h-decisions" data-testid="decisions-section" hidden><h2 id="h-decisions">Recent decisions</h2><ul data-testid="decisions" class="log"></ul></section>
  <section aria-labelledby="h-notifications" data-testid="notifications-section" hidden><h2 id="h-notifications">Notifications</h2><ul data-testid="notifications" class="log"></ul></section>
  <section aria-labelledby="h-sessions"><h2 id="h-sessions">Open MCP sessions <span data-testid="sessions" class="badge muted">0</span></h2><div data-testid="session-list"></div></section>
  <section aria-labelledby="h-capabilities" data-testid="capabilities-section" hidden><h2 id="h-capabilities">My capabilities</h2><div data-testid="capabilities"></div></section>
  <section aria-labelledby="h-servers" data-testid="servers-section" hidden><h2 id="h-servers">My servers</h2><div data-testid="servers"></div></section>
  <section aria-labelledby="h-consents" data-testid="consents-section" hidden><h2 id="h-consents">Apps I authorized</h2><div data-testid="consents"></div></section>
</main>
</div>`,
});

// The core first (it defines window.PetaDesk), then each part registers the messages it shows.
const SCRIPT = [DESK_CORE, DESK_APPROVALS, DESK_CAPABILITIES, DESK_ACCOUNT].join("\n");

const BODIES = { html: HTML, script: SCRIPT, style: DESK_STYLE } as const;

/** The page and its assets, under the headers every page of the gateway has (worker/pages/headers.ts); the components' style is /ui/ui.css. */
export function deskPage(c: AppContext, part: keyof typeof BODIES): Response {
  return pageResponse(c, part, BODIES[part]);
}
