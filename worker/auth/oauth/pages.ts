import { html } from "hono/html";

/** What a page needs to say about the client; every value is escaped by `html`. */
export interface ConsentView {
  ticket: string;
  userName: string;
  client: { name: string; id: string; host: string | null; verified: boolean };
  redirectUri: string;
  redirectHost: string;
  reaches: string;
}

/**
 * The pages are framed by nobody (clickjacking), cached by nobody, load nothing from elsewhere and send
 * no Referer to anyone else, so the ticket in a form never leaks through a page's surroundings. Not
 * `no-referrer`: under it a browser posts the forms with `Origin: null`, and the POST checks the Origin.
 */
export const PAGE_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  "Referrer-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
};

/** The pages wear the gateway's shared stylesheet (/ui/ui.css); they run no script at all. */
function page(title: string, body: unknown) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${title}</title><link rel="icon" href="/ui/icon.svg"><link rel="stylesheet" href="/ui/ui.css"></head>
<body><main class="signin wide"><div class="card">${body}</div></main></body></html>`;
}

function clientLine(client: ConsentView["client"]) {
  return client.verified
    ? html`<strong>${client.name}</strong>, whose identity is published at <strong>${client.host}</strong>`
    : html`<strong>${client.name}</strong> <span class="warn-text">(a name the client chose for itself; not verified)</span>`;
}

export function signInPage(view: { ticket: string; client: ConsentView["client"]; upstream: string | null; error?: string }) {
  return page("Sign in to Peta Core", html`<h1>Sign in to Peta Core</h1>
<p>${clientLine(view.client)} wants to connect to this gateway as you.</p>
${view.error ? html`<p class="notice bad" role="alert">${view.error}</p>` : ""}
<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<input type="hidden" name="step" value="sign-in">
<label class="field" for="api_key"><span>Your API key <span class="hint">(pk_…)</span></span>
<input type="password" id="api_key" name="api_key" autocomplete="current-password" required></label>
<p class="row"><button type="submit" class="primary">Sign in</button></p>
</form>
${view.upstream ? html`<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<p class="row"><button type="submit" name="step" value="upstream">Sign in with ${view.upstream}</button></p>
</form>` : ""}`);
}

export function consentPage(view: ConsentView) {
  return page(`Authorize ${view.client.name}`, html`<h1>Authorize ${view.client.name}?</h1>
<p>Signed in as <strong>${view.userName}</strong>. ${clientLine(view.client)} asks to use this gateway on your behalf.</p>
<dl class="facts">
<dt>Client</dt><dd class="url">${view.client.id}</dd>
<dt>Sends you back to</dt><dd><strong>${view.redirectHost}</strong> (<span class="url">${view.redirectUri}</span>)</dd>
<dt>It will reach</dt><dd>${view.reaches}</dd>
<dt>With</dt><dd>your identity: your policies, approvals and personal credentials apply, and every call is audited. It never sees your API key or your stored credentials.</dd>
</dl>
<p>You can revoke this on your <a href="/desk">Desk page</a> at any time.</p>
<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<p class="row"><button type="submit" class="primary" name="step" value="approve">Approve</button>
<button type="submit" name="step" value="deny">Deny</button></p>
</form>`);
}

export function errorPage(message: string) {
  return page("Authorization failed", html`<h1>This authorization request cannot continue</h1>
<p class="notice bad" role="alert">${message}</p>
<p>Nothing was granted. Start again from the application you were connecting.</p>`);
}
