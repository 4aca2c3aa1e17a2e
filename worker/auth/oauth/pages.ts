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
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  "Referrer-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
};

const STYLE = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
.warn{color:#9a6700}.error{color:#cf222e}input[type=password]{width:100%;padding:.5rem;font:inherit}
button{padding:.5rem 1.2rem;font:inherit;margin:.8rem .6rem 0 0;cursor:pointer}code{font-size:.9em}`;

function page(title: string, body: unknown) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function clientLine(client: ConsentView["client"]) {
  return client.verified
    ? html`<strong>${client.name}</strong>, whose identity is published at <strong>${client.host}</strong>`
    : html`<strong>${client.name}</strong> <span class="warn">(a name the client chose for itself; not verified)</span>`;
}

export function signInPage(view: { ticket: string; client: ConsentView["client"]; upstream: string | null; error?: string }) {
  return page("Sign in to Peta Core", html`<h1>Sign in to Peta Core</h1>
<p>${clientLine(view.client)} wants to connect to this gateway as you.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ""}
<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<input type="hidden" name="step" value="sign-in">
<label for="api_key">Your API key (<code>pk_…</code>)</label>
<input type="password" id="api_key" name="api_key" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
${view.upstream ? html`<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<button type="submit" name="step" value="upstream">Sign in with ${view.upstream}</button>
</form>` : ""}`);
}

export function consentPage(view: ConsentView) {
  return page(`Authorize ${view.client.name}`, html`<h1>Authorize ${view.client.name}?</h1>
<p>Signed in as <strong>${view.userName}</strong>. ${clientLine(view.client)} asks to use this gateway on your behalf.</p>
<dl>
<dt>Client</dt><dd>${view.client.id}</dd>
<dt>Sends you back to</dt><dd><strong>${view.redirectHost}</strong> (${view.redirectUri})</dd>
<dt>It will reach</dt><dd>${view.reaches}</dd>
<dt>With</dt><dd>your identity: your policies, approvals and personal credentials apply, and every call is audited. It never sees your API key or your stored credentials.</dd>
</dl>
<p>You can revoke this at any time (LIST_MY_CONSENTS / REVOKE_MY_CONSENT on <code>/user</code>).</p>
<form method="post" action="/authorize">
<input type="hidden" name="ticket" value="${view.ticket}">
<button type="submit" name="step" value="approve">Approve</button>
<button type="submit" name="step" value="deny">Deny</button>
</form>`);
}

export function errorPage(message: string) {
  return page("Authorization failed", html`<h1>This authorization request cannot continue</h1>
<p class="error" role="alert">${message}</p>
<p>Nothing was granted. Start again from the application you were connecting.</p>`);
}
