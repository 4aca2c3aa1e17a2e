/**
 * The Console's core, first in /console/app.js: sign-in, the `/admin` client, user names, and the tabs the
 * panels register into (`window.PetaConsole`). The key typed in lives in a variable of this closure only
 * (never storage, never the DOM), and every action goes through POST /admin, so roles, validation and the
 * audit trail are the API's.
 */
export const CONSOLE_CORE = String.raw`"use strict";
(function () {
  var UI = window.PetaUI, el = UI.el;
  var key = null;
  var names = new Map();
  var panels = [];
  var current = null;
  var $ = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };

  function ActionError(message, code, status) { this.message = message; this.code = code; this.status = status; }
  ActionError.prototype = Object.create(Error.prototype);

  function post(action, data) {
    return fetch("/admin", {
      method: "POST",
      headers: { authorization: "Bearer " + key, "content-type": "application/json" },
      body: JSON.stringify({ action: action, data: data || {} }),
    });
  }

  async function failure(response) {
    var body = await response.json().catch(function () { return null; });
    var message = body && body.error ? body.error.message : "The gateway answered HTTP " + response.status;
    if (response.status === 401 && key !== null) signOut("Signed out: " + message);
    return new ActionError(message, body && body.error ? body.error.code : 0, response.status);
  }

  // One action's data, or an ActionError with the API's message.
  async function api(action, data) {
    var response = await post(action, data);
    if (!response.ok) throw await failure(response);
    return (await response.json()).data;
  }

  // An action that answers with a stream instead of the envelope (EXPORT_LOGS).
  async function apiBlob(action, data) {
    var response = await post(action, data);
    if (!response.ok) throw await failure(response);
    return response.blob();
  }

  async function loadNames() {
    var users = (await api(1011, {})).users;
    names = new Map(users.map(function (u) { return [u.userId, u.name]; }));
    return users;
  }

  // Who a record or request belongs to, by name: the owner key has no user; a deleted user keeps a short id.
  function nameOf(userId) {
    if (userId === null || userId === undefined) return "Owner key";
    return names.get(userId) || "Deleted user " + String(userId).slice(0, 8);
  }

  // Runs an action for a control: disables it meanwhile and reports the outcome in the notice node.
  async function run(noticeNode, work, success) {
    UI.notice(noticeNode, "Working…", "info");
    try {
      var result = await work();
      UI.notice(noticeNode, typeof success === "function" ? success(result) : success || "", "ok");
      return result;
    } catch (error) {
      UI.notice(noticeNode, error.message || String(error), "bad");
      return undefined;
    }
  }

  function register(panel) { panels.push(panel); }

  function show(id) {
    var panel = panels.find(function (p) { return p.id === id; }) || panels[0];
    current = panel.id;
    panels.forEach(function (p) {
      var tab = $("tab-" + p.id);
      tab.setAttribute("aria-selected", String(p.id === panel.id));
      tab.tabIndex = p.id === panel.id ? 0 : -1;
    });
    if (location.hash !== "#" + panel.id) history.replaceState(null, "", "#" + panel.id);
    var root = $("panel");
    root.setAttribute("aria-labelledby", "tab-" + panel.id);
    root.setAttribute("aria-busy", "true");
    UI.fill(root, el("p", { class: "muted", text: "Loading…" }));
    var region = el("section", { "data-testid": "panel-" + panel.id });
    Promise.resolve(panel.render(region)).then(
      function () { if (current === panel.id) { UI.fill(root, region); root.removeAttribute("aria-busy"); } },
      function (error) { if (current === panel.id) { UI.fill(root, UI.notice(el("p"), error.message || String(error), "bad")); root.removeAttribute("aria-busy"); } },
    );
  }

  function refresh() { if (current) show(current); }

  function buildTabs() {
    var bar = $("tabs");
    UI.fill(bar, panels.map(function (p) {
      return el("button", { type: "button", role: "tab", id: "tab-" + p.id, "data-testid": "tab-" + p.id, "aria-controls": "panel", text: p.title, onclick: function () { show(p.id); } });
    }));
    // Arrow keys move between tabs, as the ARIA tabs pattern has it.
    bar.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      var index = panels.findIndex(function (p) { return p.id === current; });
      var next = panels[(index + (event.key === "ArrowRight" ? 1 : panels.length - 1)) % panels.length];
      show(next.id);
      $("tab-" + next.id).focus();
    });
  }

  function signOut(reason) {
    key = null;
    names = new Map();
    current = null;
    UI.fill($("panel"), []);
    $("console").hidden = true;
    $("sign-in-form").hidden = false;
    $("signed-in").hidden = true;
    var error = $("sign-in-error");
    error.textContent = reason || "";
    error.hidden = !reason;
  }

  async function signIn(typed) {
    key = typed;
    try {
      await loadNames();
    } catch (error) {
      var reason = error.status === 403 ? "This key belongs to a user: the Console needs an owner or admin key. People use their Desk page, /desk." : error.message;
      return signOut(reason);
    }
    $("sign-in-form").hidden = true;
    $("sign-in-error").hidden = true;
    $("console").hidden = false;
    $("signed-in").hidden = false;
    show((location.hash || "").slice(1));
  }

  window.PetaConsole = { api: api, apiBlob: apiBlob, run: run, nameOf: nameOf, loadNames: loadNames, register: register, show: show, refresh: refresh, ActionError: ActionError };

  document.addEventListener("DOMContentLoaded", function () {
    buildTabs();
    $("sign-in-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = $("api-key");
      var typed = field.value.trim();
      field.value = "";
      signIn(typed);
    });
    $("sign-out").addEventListener("click", function () { signOut(""); });
    window.addEventListener("hashchange", function () { if (key !== null && location.hash.slice(1) !== current) show(location.hash.slice(1)); });
  });
})();
`;
