/**
 * The page's script, served at /desk/app.js: plain browser JavaScript with no dependency, kept here as
 * text so the Worker serves it from its bundle. It builds the DOM with textContent only (no markup from
 * data), keeps the API key in a variable (never storage), and speaks the messages of worker/desk/messages.ts.
 */
export const DESK_SCRIPT = String.raw`"use strict";
(function () {
  var apiKey = null;
  var socket = null;
  var retry = 0;
  var seq = 0;
  var pending = new Map();
  var live = new Set();
  var settled = new Set();
  var narrowing = {};
  var $ = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "hidden" || name === "checked" || name === "disabled") node[name] = Boolean(attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function setStatus(text) { $("status").textContent = text; }

  function log(list, text, testid) {
    var item = el("li", { text: new Date().toLocaleTimeString() + "  " + text, "data-testid": testid });
    $(list).prepend(item);
  }

  function send(message) {
    message.requestId = "r" + (++seq);
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
    return message.requestId;
  }

  async function connect() {
    setStatus("connecting");
    var response = await fetch("/desk/ticket", {
      method: "POST",
      headers: { authorization: "Bearer " + apiKey, "content-type": "application/json" },
      body: JSON.stringify({ channel: "web" }),
    });
    var body = await response.json().catch(function () { return null; });
    if (!response.ok || !body || !body.ticket) {
      var message = body && body.error ? body.error.message : "HTTP " + response.status;
      if (response.status === 401 || response.status === 403) return signOut(message);
      return later(message);
    }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/desk?ticket=" + encodeURIComponent(body.ticket);
    live = new Set();
    settled = new Set();
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 0; setStatus("connected"); };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      socket = null;
      if (apiKey === null) return;
      if (event.code === 4401 || event.code === 4403) return signOut("Signed out: " + (event.reason || "the credential ended"));
      later("disconnected");
    };
  }

  function later(why) {
    setStatus(why + "; reconnecting");
    retry = Math.min(retry + 1, 5);
    setTimeout(function () { if (apiKey !== null) connect(); }, 500 * Math.pow(2, retry));
  }

  function signOut(reason) {
    apiKey = null;
    if (socket) socket.close(1000, "signed out");
    socket = null;
    $("desk").hidden = true;
    $("sign-in-form").hidden = false;
    var error = $("sign-in-error");
    error.textContent = reason || "";
    error.hidden = !reason;
    setStatus("signed out");
  }

  function receive(message) {
    switch (message.type) {
      case "hello":
        $("desk").hidden = false;
        $("sign-in-form").hidden = true;
        setStatus("connected as " + (message.userId || "the owner") + " (" + message.role + ")");
        return;
      case "approvals.snapshot":
        return mergeSnapshot(message.approvals);
      case "approval.requested":
        live.add(message.approval.approvalId);
        showApproval(message.approval);
        return countPending();
      case "approval.decided":
      case "approval.expired":
      case "approval.executed":
        settled.add(message.approval.approvalId);
        removeApproval(message.approval.approvalId);
        log("decisions", message.approval.serverId + "/" + message.approval.tool + ": " + message.approval.status +
          (message.approval.decisionReason ? " (" + message.approval.decisionReason + ")" : ""), "decision");
        return countPending();
      case "approval.decide.result":
        return settle(message.requestId, null);
      case "capabilities.snapshot":
      case "capabilities.updated":
        return showCapabilities(message);
      case "servers.snapshot":
        return showServers(message.servers);
      case "sessions.online":
        $("sessions").textContent = String(message.count);
        return;
      case "notification":
        return log("notifications", message.message, "notification");
      case "error":
        if (message.requestId && pending.has(message.requestId)) return settle(message.requestId, message.message);
        return log("notifications", "Error " + message.code + ": " + message.message, "notification");
      default:
        return settle(message.requestId, null);
    }
  }

  // The snapshot was read when the socket opened; live messages may overtake it. So it adds what it lists
  // (unless already settled) and removes only what no live message brought.
  function mergeSnapshot(approvals) {
    var listed = new Set(approvals.map(function (a) { return a.approvalId; }));
    Array.prototype.slice.call($("approvals").children).forEach(function (item) {
      var id = item.getAttribute("data-approval-id");
      if (!listed.has(id) && !live.has(id)) item.remove();
    });
    approvals.forEach(function (a) {
      if (a.status === "pending" && !settled.has(a.approvalId) && !document.querySelector('[data-approval-id="' + CSS.escape(a.approvalId) + '"]')) showApproval(a);
    });
    countPending();
  }

  function settle(requestId, error) {
    var done = pending.get(requestId);
    pending.delete(requestId);
    if (done) done(error);
  }

  function ask(message, onError) {
    pending.set(send(message), function (error) { if (error) onError(error); });
  }

  function countPending() {
    var n = $("approvals").children.length;
    $("pending-count").textContent = String(n);
    $("no-approvals").hidden = n > 0;
  }

  function removeApproval(id) {
    var item = document.querySelector('[data-approval-id="' + CSS.escape(id) + '"]');
    if (item) item.remove();
  }

  function showApproval(approval) {
    removeApproval(approval.approvalId);
    var error = el("p", { class: "error", "data-testid": "approval-error", hidden: true });
    var fail = function (text) { error.textContent = text; error.hidden = false; };
    var reason = el("input", { type: "text", placeholder: "Reason (shown to the model)", "data-testid": "reject-reason" });
    var editor = el("textarea", { "data-testid": "edit-arguments", hidden: true, spellcheck: "false" });
    editor.value = JSON.stringify(approval.arguments, null, 2);
    var decide = function (decision, args) {
      var message = { type: "approval.decide", approvalId: approval.approvalId, decision: decision };
      if (decision === "reject" && reason.value) message.reason = reason.value;
      if (args) message.arguments = args;
      error.hidden = true;
      ask(message, fail);
    };
    var approve = el("button", { type: "button", "data-testid": "approve", text: "Approve" });
    approve.onclick = function () { decide("approve"); };
    var reject = el("button", { type: "button", "data-testid": "reject", text: "Reject" });
    reject.onclick = function () { decide("reject"); };
    var edit = el("button", { type: "button", "data-testid": "edit", text: "Edit and approve" });
    var editApprove = el("button", { type: "button", "data-testid": "edit-approve", text: "Approve with these arguments", hidden: true });
    edit.onclick = function () { editor.hidden = false; editApprove.hidden = false; edit.hidden = true; };
    editApprove.onclick = function () {
      var args;
      try { args = JSON.parse(editor.value); } catch (e) { return fail("The arguments are not valid JSON"); }
      if (typeof args !== "object" || args === null || Array.isArray(args)) return fail("The arguments must be a JSON object");
      decide("approve", args);
    };
    var meta = el("dl", { class: "meta" }, [
      el("dt", { text: "Tool" }), el("dd", { text: approval.tool, "data-testid": "approval-tool" }),
      el("dt", { text: "Server" }), el("dd", { text: approval.serverId, "data-testid": "approval-server" }),
      el("dt", { text: "Client" }), el("dd", { text: approval.clientName || "(unnamed)", "data-testid": "approval-client" }),
      el("dt", { text: "Requested by" }), el("dd", { text: approval.userId || "the owner key" }),
      el("dt", { text: "Why" }), el("dd", { text: approval.reason }),
      el("dt", { text: "Expires" }), el("dd", { text: new Date(approval.expiresAt).toLocaleString() }),
    ]);
    var args = el("pre", { "data-testid": "approval-arguments", text: JSON.stringify(approval.arguments, null, 2) });
    var item = el("li", { "data-testid": "approval", "data-approval-id": approval.approvalId }, [
      meta, args, editor, el("div", {}, [approve, reason, reject, edit, editApprove]), error,
    ]);
    $("approvals").prepend(item);
  }

  function isOff(serverId, kind, name) {
    var n = narrowing[serverId];
    return Boolean(n && (n.enabled === false || (n[kind] && n[kind][name] === false)));
  }

  function toggle(serverId, kind, name, on) {
    var next = JSON.parse(JSON.stringify(narrowing));
    var n = next[serverId] || (next[serverId] = {});
    n[kind] = n[kind] || {};
    if (on) delete n[kind][name]; else n[kind][name] = false;
    if (Object.keys(n[kind]).length === 0) delete n[kind];
    if (Object.keys(n).length === 0) delete next[serverId];
    ask({ type: "capabilities.set", clientName: "", servers: next }, function (error) { log("notifications", error, "notification"); });
  }

  function showCapabilities(message) {
    narrowing = message.narrowing || {};
    var root = $("capabilities");
    root.replaceChildren();
    message.servers.forEach(function (server) {
      var items = [];
      [["tools", server.tools], ["prompts", server.prompts], ["resources", server.resources]].forEach(function (pair) {
        pair[1].forEach(function (item) {
          var off = isOff(server.serverId, pair[0], item.name);
          var box = el("input", {
            type: "checkbox", "data-testid": "capability-toggle", "data-server": server.serverId, "data-kind": pair[0], "data-name": item.name,
            checked: !off, disabled: !item.available && item.removedBy !== "user",
          });
          box.onchange = function () { toggle(server.serverId, pair[0], item.name, box.checked); };
          var label = el("label", { class: item.available ? "cap" : "cap off", title: item.reason || "" }, [box, document.createTextNode(" " + item.name)]);
          items.push(label);
        });
      });
      root.appendChild(el("div", { class: "server", "data-testid": "capability-server", "data-server": server.serverId }, [el("strong", { text: server.serverId }), el("div", {}, items)]));
    });
  }

  function showServers(servers) {
    var root = $("servers");
    root.replaceChildren();
    servers.forEach(function (server) {
      var inputs = server.userInputs.map(function (input) {
        var field = el("input", { type: "password", "data-testid": "server-value", "data-name": input.name, placeholder: input.configured ? "(set; type to replace)" : "not set" });
        return el("label", { class: "cap" }, [document.createTextNode(input.name + (input.required ? " *" : "") + " "), field]);
      });
      var status = el("span", { "data-testid": "server-status", text: server.configured ? "ready" : "needs values" });
      var children = [el("strong", { text: server.name + " (" + server.serverId + ") " }), status, el("div", {}, inputs)];
      if (server.userInputs.length > 0) {
        var save = el("button", { type: "button", "data-testid": "server-save", text: "Save" });
        save.onclick = function () {
          var values = {};
          inputs.forEach(function (label) { var f = label.querySelector("input"); if (f.value) values[f.getAttribute("data-name")] = f.value; f.value = ""; });
          if (Object.keys(values).length > 0) ask({ type: "servers.configure", serverId: server.serverId, values: values }, function (error) { log("notifications", error, "notification"); });
        };
        var clear = el("button", { type: "button", "data-testid": "server-clear", text: "Clear my values" });
        clear.onclick = function () { ask({ type: "servers.unconfigure", serverId: server.serverId }, function (error) { log("notifications", error, "notification"); }); };
        children.push(save, clear);
      }
      root.appendChild(el("div", { class: "server", "data-testid": "server", "data-server": server.serverId }, children));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("sign-in-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = $("api-key");
      apiKey = field.value.trim();
      field.value = "";
      connect().catch(function (error) { signOut(String(error)); });
    });
    $("sign-out").addEventListener("click", function () { signOut(""); });
  });
})();
`;
