import type { AppContext } from "../../http/context.ts";
import { pageResponse, pageShell } from "../../pages/headers.ts";
import { CONSOLE_CORE } from "./core.ts";
import { ACCESS_PANEL } from "./panels/access.ts";
import { APPROVALS_PANEL } from "./panels/approvals.ts";
import { AUDIT_PANEL } from "./panels/audit.ts";
import { OVERVIEW_PANEL } from "./panels/overview.ts";
import { POLICY_PANEL } from "./panels/policy.ts";
import { SERVERS_PANEL } from "./panels/servers.ts";
import { USERS_PANEL } from "./panels/users.ts";

const HTML = pageShell({
  path: "/console",
  title: "Peta Console",
  body: `<header class="topbar"><h1>Peta Console</h1><span class="grow"></span>
  <span data-testid="signed-in" hidden><a href="/desk">Desk</a> <button type="button" data-testid="sign-out">Sign out</button></span></header>
<div class="wrap">
<form class="signin card" data-testid="sign-in-form" autocomplete="off">
  <h2>Sign in</h2>
  <p class="muted">With the owner key or an admin's API key. The key stays in this tab's memory: reloading the page signs you out.</p>
  <label class="field" for="api-key"><span>API key</span><input id="api-key" data-testid="api-key" type="password" placeholder="pk_…" required></label>
  <p class="row"><button type="submit" class="primary" data-testid="sign-in">Sign in</button></p>
  <p class="notice bad" role="alert" data-testid="sign-in-error" hidden></p>
</form>
<main data-testid="console" hidden>
  <nav class="tabs" role="tablist" aria-label="Console sections" data-testid="tabs"></nav>
  <div id="panel" role="tabpanel" data-testid="panel"></div>
</main>
</div>`,
});

// The core first (it defines window.PetaConsole), then each panel registers its tab, in tab order.
const SCRIPT = [CONSOLE_CORE, OVERVIEW_PANEL, SERVERS_PANEL, USERS_PANEL, POLICY_PANEL, APPROVALS_PANEL, ACCESS_PANEL, AUDIT_PANEL].join("\n");

export function consolePage(c: AppContext, part: "html" | "script"): Response {
  return pageResponse(c, part, part === "html" ? HTML : SCRIPT);
}
