/**
 * The Approvals tab: the requests that wait, as cards with approve and reject, and the recent decisions.
 * It asks again every few seconds while open and redraws only when the set of waiting requests changed,
 * so a reason being typed is not lost.
 */
export const APPROVALS_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var POLL_MS = 3000;
  var CHANNELS = { desk: "on the Desk", web: "on the Desk", admin: "through /admin", system: "by the gateway" };
  var TONES = { pending: "warn", approved: "info", executing: "info", executed: "ok", rejected: "bad", expired: "muted", failed: "bad" };

  function card(a, notice) {
    var reason = UI.input({ "data-testid": "reject-reason", placeholder: "Reason, shown to the model" });
    var decide = function (decision) {
      var data = { approvalId: a.approvalId, decision: decision };
      if (decision === "reject" && reason.value.trim()) data.reason = reason.value.trim();
      C.run(notice, function () { return C.api(9203, data); }, (decision === "approve" ? "Approved " : "Rejected ") + a.tool + ".").then(function (ok) { if (ok) C.refresh(); });
    };
    var reasonField = UI.field("Reason", reason, "for a rejection");
    reasonField.classList.add("wide");
    return el("article", { class: "card", "data-testid": "approval", "data-approval-id": a.approvalId }, [
      el("h3", {}, [el("code", { text: a.tool, "data-testid": "approval-tool" }), " on ", el("span", { text: a.serverId, "data-testid": "approval-server" })]),
      el("p", {}, ["Requested by ", el("strong", { text: C.nameOf(a.userId), "data-testid": "approval-user" }), a.clientName ? " through " + a.clientName : "", " · ", UI.when(a.createdAt), " · ", UI.countdown(a.expiresAt)]),
      a.reason ? el("p", { class: "muted", text: "Why it asks: " + a.reason }) : null,
      Object.keys(a.arguments || {}).length === 0
        ? el("p", { class: "muted", text: "No arguments.", "data-testid": "approval-arguments" })
        : el("pre", { text: JSON.stringify(a.arguments, null, 2), "data-testid": "approval-arguments" }),
      el("div", { class: "form" }, [
        el("button", { type: "button", class: "primary", text: "Approve", "data-testid": "approve", onclick: function () { decide("approve"); } }),
        reasonField,
        el("button", { type: "button", class: "danger", text: "Reject", "data-testid": "reject", onclick: function () { decide("reject"); } }),
      ]),
    ]);
  }

  var shown = "";
  C.register({
    id: "approvals",
    title: "Approvals",
    render: async function (root) {
      var results = await Promise.all([C.api(9201, { status: "pending" }), C.api(9201, { limit: 20 })]);
      var pending = results[0].approvals;
      var notice = el("p", { hidden: true, "data-testid": "approvals-notice" });
      shown = pending.map(function (a) { return a.approvalId; }).join(",");
      UI.append(root, [
        el("h2", {}, ["Waiting for a decision ", UI.badge(String(pending.length), pending.length ? "warn" : "muted")]), notice,
        pending.length === 0 ? el("p", { class: "muted", text: "Nothing waits. Calls that a rule holds for approval appear here (and on the approvers' Desk pages).", "data-testid": "no-approvals" }) : null,
        el("div", {}, pending.map(function (a) { return card(a, notice); })),
        el("h2", { text: "Recent requests" }),
        UI.table([
          { label: "Requested", cell: function (a) { return UI.when(a.createdAt); } },
          { label: "By", cell: function (a) { return C.nameOf(a.userId); } },
          { label: "Call", cell: function (a) { return el("code", { text: a.serverId + " / " + a.tool }); } },
          { label: "Status", cell: function (a) { return el("span", {}, [UI.badge(a.status, TONES[a.status]), a.editedArguments ? el("span", { class: "small muted", text: " arguments edited" }) : null]); } },
          { label: "Decided by", cell: function (a) { return a.decidedAt ? (a.decidedBy === "owner" || a.decidedBy === null ? "Owner key" : C.nameOf(a.decidedBy)) + (a.decisionChannel ? " " + CHANNELS[a.decisionChannel] : "") : ""; } },
          { label: "Reason", cell: function (a) { return a.decisionReason || ""; } },
        ], results[1].approvals, { empty: "No approval requests yet.", testid: "recent-approvals" }),
      ]);
      var poll = setInterval(async function () {
        if (!root.isConnected) return clearInterval(poll);
        var now = await C.api(9201, { status: "pending" }).catch(function () { return null; });
        if (now && root.isConnected && now.approvals.map(function (a) { return a.approvalId; }).join(",") !== shown) { clearInterval(poll); C.refresh(); }
      }, POLL_MS);
    },
  });
})();
`;
