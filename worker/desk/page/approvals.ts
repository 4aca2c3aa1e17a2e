/**
 * The Desk's approvals, in /desk/app.js after the core: each pending request as a card (the tool's title and
 * description, the arguments as a list with the JSON on demand, the danger level, a countdown to expiry,
 * Approve / Edit and approve / Reject with a reason), and the recent decisions, one line per request with
 * its events in time order.
 */
export const DESK_APPROVALS = String.raw`"use strict";
(function () {
  var UI = window.PetaUI, D = window.PetaDesk, el = UI.el, $ = D.$;
  var live = new Set();
  var settled = new Set();
  var tools = new Map();
  var decisions = new Map();
  var DANGER = [["silent", "muted"], ["notify", "warn"], ["needs approval", "bad"]];
  var STATUS_WORDS = { approved: "approved", rejected: "rejected", expired: "expired", executing: "running", executed: "executed", failed: "failed" };

  D.on("connecting", function () { live = new Set(); settled = new Set(); });
  D.on("signed-out", function () { UI.fill($("approvals"), []); UI.fill($("decisions"), []); decisions = new Map(); $("decisions-section").hidden = true; count(); });

  // Names and the tools' titles may arrive after the first cards: the cards are drawn again with them.
  function redraw() {
    Array.prototype.slice.call($("approvals").children).forEach(function (card) { if (card.approval) show(card.approval); });
  }

  // The tools' titles, descriptions and danger levels come with the capabilities (a user's); the owner key has none.
  function learnTools(message) {
    message.servers.forEach(function (server) {
      server.tools.forEach(function (tool) { tools.set(server.serverId + "/" + tool.name, tool); });
    });
    redraw();
  }
  D.on("capabilities.snapshot", learnTools);
  D.on("capabilities.updated", learnTools);
  D.on("identified", redraw);

  D.on("approvals.snapshot", function (message) {
    // The snapshot was read when the socket opened; live messages may overtake it. So it adds what it lists
    // (unless already settled) and removes only what no live message brought.
    var listed = new Set(message.approvals.map(function (a) { return a.approvalId; }));
    Array.prototype.slice.call($("approvals").children).forEach(function (card) {
      var id = card.getAttribute("data-approval-id");
      if (!listed.has(id) && !live.has(id)) card.remove();
    });
    message.approvals.forEach(function (a) { if (a.status === "pending" && !settled.has(a.approvalId) && !find(a.approvalId)) show(a); });
    count();
  });

  D.on("approval.requested", function (message) { live.add(message.approval.approvalId); show(message.approval); count(); });
  ["approval.decided", "approval.expired", "approval.executed"].forEach(function (type) {
    D.on(type, function (message) {
      settled.add(message.approval.approvalId);
      var card = find(message.approval.approvalId);
      if (card) card.remove();
      record(message.approval);
      count();
    });
  });

  function find(id) { return document.querySelector('[data-approval-id="' + CSS.escape(id) + '"]'); }

  function count() {
    var n = $("approvals").children.length;
    $("pending-count").textContent = String(n);
    $("no-approvals").hidden = n > 0;
  }

  // A value as a person reads it: text as it is, anything else as compact JSON.
  function readable(value) { return typeof value === "string" ? value : JSON.stringify(value); }

  function argumentList(args) {
    var keys = args && typeof args === "object" && !Array.isArray(args) ? Object.keys(args) : [];
    if (keys.length === 0) return el("p", { class: "muted", "data-testid": "approval-arguments", text: args === null || args === undefined || keys.length === 0 ? "No arguments." : readable(args) });
    return el("dl", { class: "args", "data-testid": "approval-arguments" }, keys.reduce(function (items, key) {
      return items.concat([el("dt", { text: key }), el("dd", { text: readable(args[key]) })]);
    }, []));
  }

  function show(approval) {
    var old = find(approval.approvalId);
    var tool = tools.get(approval.serverId + "/" + approval.tool);
    var error = el("p", { class: "notice bad", role: "alert", "data-testid": "approval-error", hidden: true });
    var fail = function (text) { error.textContent = text; error.hidden = false; };
    var reason = UI.input({ placeholder: "Why reject? (shown to the model)", "data-testid": "reject-reason", class: "reason", "aria-label": "Reason for rejecting" });
    var editor = el("textarea", { class: "code", "data-testid": "edit-arguments", hidden: true, spellcheck: "false", "aria-label": "Arguments as JSON" });
    editor.value = JSON.stringify(approval.arguments, null, 2);
    var decide = function (decision, args) {
      var message = { type: "approval.decide", approvalId: approval.approvalId, decision: decision };
      if (decision === "reject" && reason.value) message.reason = reason.value;
      if (args) message.arguments = args;
      error.hidden = true;
      D.ask(message, fail);
    };
    var editApprove = el("button", { type: "button", class: "primary", "data-testid": "edit-approve", text: "Approve with these arguments", hidden: true });
    var edit = el("button", { type: "button", "data-testid": "edit", text: "Edit and approve", onclick: function () { editor.hidden = false; editApprove.hidden = false; edit.hidden = true; editor.focus(); } });
    editApprove.onclick = function () {
      var args;
      try { args = JSON.parse(editor.value); } catch (e) { return fail("The arguments are not valid JSON"); }
      if (typeof args !== "object" || args === null || Array.isArray(args)) return fail("The arguments must be a JSON object");
      decide("approve", args);
    };
    var danger = tool ? DANGER[Math.max(0, Math.min(2, tool.dangerLevel))] : null;
    var card = el("article", { class: "card approval", "data-testid": "approval", "data-approval-id": approval.approvalId, "aria-label": "Approval request for " + approval.tool }, [
      el("h3", { text: tool && tool.title ? tool.title : approval.tool }),
      el("p", { class: "muted small" }, [
        el("code", { "data-testid": "approval-tool", text: approval.tool }), " on ", el("strong", { "data-testid": "approval-server", text: approval.serverId }),
        danger ? " " : null, danger ? UI.badge("danger: " + danger[0], danger[1]) : null,
      ]),
      tool && tool.description ? el("p", { "data-testid": "approval-description", text: tool.description }) : null,
      el("dl", { class: "facts" }, [
        el("dt", { text: "Requested by" }), el("dd", { "data-testid": "approval-requester", text: D.nameOf(approval.userId) }),
        el("dt", { text: "Client" }), el("dd", { "data-testid": "approval-client", text: approval.clientName || "(unnamed)" }),
        el("dt", { text: "Why" }), el("dd", { text: approval.reason }),
        el("dt", { text: "Expires" }), el("dd", {}, [UI.countdown(approval.expiresAt)]),
      ]),
      el("h4", { class: "small", text: "Arguments" }),
      argumentList(approval.arguments),
      el("details", {}, [el("summary", { class: "small", text: "Show as JSON" }), el("pre", { "data-testid": "approval-json", text: JSON.stringify(approval.arguments, null, 2) })]),
      editor,
      el("div", { class: "row actions" }, [
        el("button", { type: "button", class: "primary", "data-testid": "approve", text: "Approve", onclick: function () { decide("approve"); } }),
        edit, editApprove, reason,
        el("button", { type: "button", class: "danger", "data-testid": "reject", text: "Reject", onclick: function () { decide("reject"); } }),
      ]),
      error,
    ]);
    card.approval = approval;
    if (old) old.replaceWith(card); else $("approvals").prepend(card);
  }

  // One line per request, newest request first, its events (decided, executed, …) in the order they happened.
  function record(approval) {
    var entry = decisions.get(approval.approvalId) || { approval: approval, events: [], at: Date.now() };
    entry.approval = approval;
    var word = STATUS_WORDS[approval.status] || approval.status;
    if (entry.events.indexOf(word) < 0) entry.events.push(word);
    decisions.set(approval.approvalId, entry);
    var lines = Array.from(decisions.values()).sort(function (a, b) { return b.at - a.at; }).slice(0, 20).map(function (item) {
      var a = item.approval;
      var by = a.decidedBy ? (a.decidedBy === "owner" ? "the owner key" : D.nameOf(a.decidedBy)) : null;
      return el("li", { "data-testid": "decision", "data-approval-id": a.approvalId }, [
        el("span", { class: "muted", text: UI.when(a.decidedAt || a.createdAt) + "  " }),
        el("code", { text: a.serverId + "/" + a.tool }), ": " + item.events.join(", then "),
        by ? " by " + by : "",
        a.editedArguments !== null && a.editedArguments !== undefined ? " (with edited arguments)" : "",
        a.decisionReason ? " (" + a.decisionReason + ")" : "",
        a.resultOutcome === "error" ? " (the tool answered with an error)" : "",
      ]);
    });
    UI.fill($("decisions"), lines);
    $("decisions-section").hidden = false;
  }
})();
`;
