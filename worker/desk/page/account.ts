/**
 * The Desk's account parts, in /desk/app.js after the core: the user's open MCP sessions (client and start
 * time, each with End: END_MY_SESSION) and the OAuth clients they authorized (Revoke: REVOKE_MY_CONSENT).
 */
export const DESK_ACCOUNT = String.raw`"use strict";
(function () {
  var UI = window.PetaUI, D = window.PetaDesk, el = UI.el, $ = D.$;
  var isUser = false;

  D.on("hello", function (message) { isUser = message.userId !== null; });

  D.on("sessions.online", function (message) {
    $("sessions").textContent = String(message.count);
    var notice = el("p", { hidden: true });
    UI.fill($("session-list"), [UI.table([
      { label: "Client", cell: function (s) { return el("span", {}, [s.clientName || "(unnamed client)", s.oauthClient ? " " : null, s.oauthClient ? UI.badge("OAuth", "info") : null]); } },
      { label: "Started", cell: function (s) { return UI.when(s.openedAt); } },
      { label: "", cell: function (s) {
        if (!isUser) return "";
        return el("button", { type: "button", class: "danger", "data-testid": "session-end", text: "End", onclick: function (event) {
          event.target.disabled = true;
          D.action("/user", 1205, { sessionId: s.sessionId }).catch(function (error) { event.target.disabled = false; UI.notice(notice, error.message, "bad"); });
        } });
      } },
    ], message.sessions.slice().reverse(), { empty: "No MCP client of yours is connected.", testid: "session", onRow: function (s, tr) { tr.setAttribute("data-session-id", s.sessionId); } }), notice]);
  });

  async function consents() {
    var root = $("consents");
    var notice = el("p", { hidden: true });
    var list = (await D.action("/user", 1201, {})).consents;
    $("consents-section").hidden = false;
    UI.fill(root, [UI.table([
      { label: "App", cell: function (c) { return el("span", {}, [el("strong", { text: c.clientName }), " ", c.verified ? el("span", { class: "muted", text: "published at " + c.clientHost }) : UI.badge("name not verified", "warn")]); } },
      { label: "Authorized", cell: function (c) { return UI.when(c.createdAt); } },
      { label: "Last used", cell: function (c) { return UI.when(c.lastUsedAt); } },
      { label: "", cell: function (c) {
        return UI.confirmButton("Revoke", function () {
          D.action("/user", 1202, { grantId: c.grantId }).then(consents, function (error) { UI.notice(notice, error.message, "bad"); });
        }, { "data-testid": "consent-revoke" });
      } },
    ], list, { empty: "You have not authorized any app (such as an OAuth MCP client) to use the gateway as you.", testid: "consent" }), notice]);
  }

  D.on("identified", function (me) { if (me.userId !== null) consents().catch(function (error) { D.notify("Could not list your authorized apps: " + error.message); }); });
  D.on("signed-out", function () { $("consents-section").hidden = true; UI.fill($("consents"), []); UI.fill($("session-list"), []); });
})();
`;
