/**
 * The Desk's core, first in /desk/app.js: sign-in, the socket (ticket → WebSocket, reconnecting), the
 * `/user` client, and who is who (`window.PetaDesk`), on the shared components (window.PetaUI). The key
 * typed in lives in a variable of this closure only (never storage, never the DOM); the DOM is built with
 * textContent only, and the messages are those of worker/desk/messages.ts.
 */
export const DESK_CORE = String.raw`"use strict";
(function () {
  var UI = window.PetaUI, el = UI.el;
  var apiKey = null;
  var socket = null;
  var retry = 0;
  var seq = 0;
  var pending = new Map();
  var handlers = {};
  var me = null;
  var names = new Map();
  var $ = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };

  function on(type, handler) { (handlers[type] = handlers[type] || []).push(handler); }
  function emit(type, message) { (handlers[type] || []).forEach(function (handler) { handler(message); }); }

  function setStatus(text, tone) { var node = $("status"); node.textContent = text; node.className = "badge " + (tone || "muted"); }

  // One action of POST /user (or /admin) with the signed-in key: its data, or an Error with the API's message.
  async function action(path, code, data) {
    var response = await fetch(path, {
      method: "POST",
      headers: { authorization: "Bearer " + apiKey, "content-type": "application/json" },
      body: JSON.stringify({ action: code, data: data || {} }),
    });
    var body = await response.json().catch(function () { return null; });
    if (!response.ok || !body || !body.success) throw new Error(body && body.error ? body.error.message : "The gateway answered HTTP " + response.status);
    return body.data;
  }

  function send(message) {
    message.requestId = "r" + (++seq);
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
    return message.requestId;
  }

  // A socket request whose error, if any, goes to onError; its result arrives as the pushed messages.
  function ask(message, onError) {
    pending.set(send(message), function (error) { if (error) onError(error); });
  }

  function settle(requestId, error) {
    var done = pending.get(requestId);
    pending.delete(requestId);
    if (done) done(error);
  }

  function notify(text) {
    $("notifications-section").hidden = false;
    $("notifications").prepend(el("li", { "data-testid": "notification" }, [el("span", { class: "muted", text: UI.when(new Date().toISOString()) + "  " }), text]));
  }

  // Who a request belongs to, by name: the signed-in user, the owner key, or (for owners and admins) anyone.
  function nameOf(userId) {
    if (userId === null || userId === undefined) return "the owner key";
    if (me && userId === me.userId) return me.name + " (you)";
    return names.get(userId) || "another user";
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
    emit("connecting", {});
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 0; setStatus("connected", "ok"); };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      socket = null;
      if (apiKey === null) return;
      if (event.code === 4401 || event.code === 4403) return signOut("Signed out: " + (event.reason || "the credential ended"));
      later("disconnected");
    };
  }

  function later(why) {
    setStatus(why + "; reconnecting", "warn");
    retry = Math.min(retry + 1, 5);
    setTimeout(function () { if (apiKey !== null) connect(); }, 500 * Math.pow(2, retry));
  }

  function signOut(reason) {
    apiKey = null;
    me = null;
    names = new Map();
    if (socket) socket.close(1000, "signed out");
    socket = null;
    $("desk").hidden = true;
    $("who").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in-form").hidden = false;
    var error = $("sign-in-error");
    error.textContent = reason || "";
    error.hidden = !reason;
    setStatus("signed out");
    emit("signed-out", {});
  }

  // The header names the person, never an id: GET_MY_PROFILE for a user; owners and admins also learn others' names.
  async function identify(hello) {
    me = { userId: hello.userId, role: hello.role, name: "Owner key", email: null };
    if (hello.userId !== null) {
      var profile = await action("/user", 1203, {});
      me.name = profile.name;
      me.email = profile.email;
    }
    if (hello.role === "owner" || hello.role === "admin") {
      var users = await action("/admin", 1011, {}).then(function (data) { return data.users; }, function () { return []; });
      users.forEach(function (user) { names.set(user.userId, user.name); });
    }
    UI.fill($("who"), [el("strong", { text: me.name }), me.email ? " · " + me.email : null, " · " + hello.role]);
    $("who").hidden = false;
    emit("identified", me);
  }

  function receive(message) {
    if (message.type === "hello") {
      $("desk").hidden = false;
      $("sign-out").hidden = false;
      $("sign-in-form").hidden = true;
      identify(message).catch(function (error) { notify("Could not read your profile: " + error.message); });
      return emit("hello", message);
    }
    if (message.type === "error") {
      if (message.requestId && pending.has(message.requestId)) return settle(message.requestId, message.message);
      return notify("Error " + message.code + ": " + message.message);
    }
    if (message.type === "notification") return notify(message.message);
    if (message.requestId) settle(message.requestId, null);
    emit(message.type, message);
  }

  window.PetaDesk = { on: on, ask: ask, action: action, notify: notify, nameOf: nameOf, me: function () { return me; }, $: $ };

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
