/**
 * The Audit tab: the audit trail filtered by user, server, name, decision, outcome and time (GET_LOGS, a
 * page at a time), a record's detail, the hash chains verified (VERIFY_AUDIT), and an NDJSON export
 * (EXPORT_LOGS) of the filtered range.
 */
export const AUDIT_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var PAGE = 50;
  var DAY_MS = 86400000;
  var filter = {};

  function decisionBadge(r) {
    if (r.approvalId) return UI.badge(r.decision === "allow" ? "approved" : "rejected", r.decision === "allow" ? "info" : "bad");
    return UI.badge(r.decision, r.decision === "allow" ? "ok" : "bad");
  }

  // datetime-local holds the viewer's local time; the API wants ISO 8601 with a zone.
  function iso(value) { return value ? new Date(value).toISOString() : undefined; }

  C.register({
    id: "audit",
    title: "Audit",
    render: async function (root) {
      var users = await C.loadNames();
      var servers = (await C.api(2011, {})).servers;
      var user = UI.select([["", "everyone"]].concat(users.map(function (u) { return [u.userId, u.name]; })), { "data-testid": "audit-user" });
      var server = UI.select([["", "every server"]].concat(servers.map(function (s) { return [s.serverId, s.name]; })), { "data-testid": "audit-server" });
      var name = UI.input({ class: "code", "data-testid": "audit-name", placeholder: "tool or action name" });
      var decision = UI.select([["", "any"], ["allow", "allowed"], ["deny", "denied"]], { "data-testid": "audit-decision" });
      var outcome = UI.select([["", "any"], ["ok", "ok"], ["error", "error"]], { "data-testid": "audit-outcome" });
      var since = el("input", { type: "datetime-local", "data-testid": "audit-since" });
      var until = el("input", { type: "datetime-local", "data-testid": "audit-until" });
      user.value = filter.userId || ""; server.value = filter.serverId || ""; name.value = filter.name || "";
      decision.value = filter.decision || ""; outcome.value = filter.outcome || ""; since.value = filter.sinceLocal || ""; until.value = filter.untilLocal || "";
      var notice = el("p", { hidden: true, "data-testid": "audit-notice" });
      var results = el("div", { "data-testid": "audit-results" });
      var detail = el("div", { "data-testid": "audit-detail" });

      var query = function () {
        var q = {};
        if (user.value) q.userId = user.value;
        if (server.value) q.serverId = server.value;
        if (name.value.trim()) q.name = name.value.trim();
        if (decision.value) q.decision = decision.value;
        if (outcome.value) q.outcome = outcome.value;
        if (since.value) q.since = iso(since.value);
        if (until.value) q.until = iso(until.value);
        return q;
      };
      var rowsTable = function (entries) {
        return UI.table([
          { label: "Time", cell: function (r) { return UI.when(r.ts); } },
          { label: "User", cell: function (r) { return C.nameOf(r.userId); } },
          { label: "Client", cell: function (r) { return r.clientName || ""; } },
          { label: "Server", cell: function (r) { return r.serverId || ""; } },
          { label: "Request", cell: function (r) { return el("span", {}, [el("span", { class: "muted small", text: r.method + " " }), el("code", { text: r.name || "" })]); } },
          { label: "Decision", cell: decisionBadge },
          { label: "Outcome", cell: function (r) { return UI.badge(r.outcome, r.outcome === "ok" ? "ok" : "bad"); } },
          { label: "ms", cell: function (r) { return String(r.latencyMs); } },
        ], entries, {
          empty: "No records match.", testid: "audit",
          onRow: function (r, tr) {
            tr.classList.add("clickable");
            tr.tabIndex = 0;
            tr.setAttribute("data-user", C.nameOf(r.userId));
            var open = function () {
              UI.fill(detail, el("div", { class: "card" }, [el("h3", { text: "Record " + r.chainId.slice(0, 12) + " #" + r.seq }), el("pre", { text: JSON.stringify(r, null, 2), "data-testid": "audit-record" })]));
              detail.scrollIntoView({ block: "nearest" });
            };
            tr.addEventListener("click", open);
            tr.addEventListener("keydown", function (event) { if (event.key === "Enter") open(); });
          },
        });
      };
      var load = async function (cursor, into) {
        var q = Object.assign(query(), { limit: PAGE });
        if (cursor) q.cursor = cursor;
        try {
          var page = await C.api(7002, q);
          UI.notice(notice, "", "info");
          var more = page.nextCursor ? el("button", { type: "button", text: "Older records", "data-testid": "audit-more", onclick: function () { more.remove(); load(page.nextCursor, into); } }) : null;
          UI.append(into, [rowsTable(page.entries), more]);
        } catch (error) { UI.notice(notice, error.message, "bad"); }
      };
      var apply = function (event) {
        if (event) event.preventDefault();
        filter = Object.assign(query(), { sinceLocal: since.value, untilLocal: until.value });
        UI.fill(results, []);
        UI.fill(detail, []);
        load(null, results);
      };
      var verify = function () {
        var q = query();
        var range = {};
        if (q.since) range.since = q.since;
        if (q.until) range.until = q.until;
        UI.notice(notice, "Checking the hash chains…", "info");
        C.api(7004, range).then(function (r) {
          UI.notice(notice, r.ok ? "The audit trail is intact: " + r.checked + " records checked." : r.mismatchCount + " breaks found; the first in chain " + r.firstMismatch.chainId + " at #" + r.firstMismatch.seq + ": " + r.firstMismatch.reason, r.ok ? "ok" : "bad");
        }, function (error) { UI.notice(notice, error.message, "bad"); });
      };
      var exportLogs = async function () {
        var q = query();
        delete q.cursor;
        if (!q.until) q.until = new Date().toISOString();
        if (!q.since) q.since = new Date(Date.parse(q.until) - DAY_MS).toISOString();
        try {
          var blob = await C.apiBlob(7003, q);
          var link = el("a", { href: URL.createObjectURL(blob), download: "audit-" + q.since.slice(0, 10) + ".ndjson" });
          document.body.appendChild(link);
          link.click();
          link.remove();
          UI.notice(notice, "Exported " + q.since + " to " + q.until + ".", "ok");
        } catch (error) { UI.notice(notice, error.message, "bad"); }
      };
      var form = el("form", { class: "form", "data-testid": "audit-filter" }, [
        UI.field("User", user), UI.field("Server", server), UI.field("Name", name), UI.field("Decision", decision), UI.field("Outcome", outcome),
        UI.field("From", since), UI.field("Until", until),
        el("button", { type: "submit", class: "primary", text: "Show", "data-testid": "audit-apply" }),
      ]);
      form.addEventListener("submit", apply);
      UI.append(root, [
        el("h2", { text: "Audit trail" }), form,
        el("div", { class: "row" }, [
          el("button", { type: "button", text: "Verify the hash chains", "data-testid": "audit-verify", onclick: verify }),
          el("button", { type: "button", text: "Export as NDJSON", "data-testid": "audit-export", onclick: exportLogs }),
          el("span", { class: "muted small", text: "Export takes the filters; without a time range, the last 24 hours." }),
        ]),
        notice, results, detail,
      ]);
      apply();
    },
  });
})();
`;
