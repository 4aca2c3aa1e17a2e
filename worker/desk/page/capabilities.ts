/**
 * The Desk's capabilities and servers, in /desk/app.js after the core: per server a collapsed <details>
 * with counts, tools apart from prompts and resources, each with a switch (SET_MY_CAPABILITIES), and a
 * filter box; then the servers that ask for personal values. An empty list is a sentence, never a heading alone.
 */
export const DESK_CAPABILITIES = String.raw`"use strict";
(function () {
  var UI = window.PetaUI, D = window.PetaDesk, el = UI.el, $ = D.$;
  var narrowing = {};
  var latest = null;
  var opened = new Set();
  var filterText = "";
  var KINDS = [["tools", "Tools"], ["prompts", "Prompts"], ["resources", "Resources"]];

  D.on("signed-out", function () { latest = null; opened = new Set(); filterText = ""; $("capabilities-section").hidden = true; $("servers-section").hidden = true; });

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
    D.ask({ type: "capabilities.set", clientName: "", servers: next }, D.notify);
  }

  function matches(server, item) {
    if (!filterText) return true;
    var text = (server.serverId + " " + item.name + " " + (item.title || "") + " " + (item.description || "")).toLowerCase();
    return text.indexOf(filterText) >= 0;
  }

  function itemRow(server, kind, item) {
    var off = isOff(server.serverId, kind, item.name);
    var box = el("input", {
      type: "checkbox", "data-testid": "capability-toggle", "data-server": server.serverId, "data-kind": kind, "data-name": item.name,
      checked: !off, disabled: !item.available && item.removedBy !== "user",
      onchange: function () { toggle(server.serverId, kind, item.name, box.checked); },
    });
    var text = item.title || item.description ? (item.title || "") + (item.title && item.description ? ": " : "") + (item.description || "") : "";
    var why = !item.available && item.removedBy !== "user" ? UI.badge("unavailable: " + (item.reason || item.removedBy), "muted") : null;
    return el("li", { class: item.available ? "cap" : "cap off" }, [el("label", {}, [box, el("span", {}, [
      el("code", { class: "name", text: item.name }), " ", why, text ? el("span", { class: "text", text: " " + text }) : null,
    ])])]);
  }

  function draw() {
    var root = $("capabilities");
    if (!latest) return;
    $("capabilities-section").hidden = false;
    if (latest.servers.length === 0) return UI.fill(root, el("p", { class: "muted", "data-testid": "no-capabilities", text: "No server is available to you yet: an admin grants servers to you or your role." }));
    var filter = UI.input({ type: "search", placeholder: "Filter by server, name or description", "data-testid": "capability-filter", value: filterText, "aria-label": "Filter capabilities" });
    filter.addEventListener("input", function () {
      filterText = filter.value.trim().toLowerCase();
      draw();
      var again = $("capability-filter");
      again.focus();
      again.setSelectionRange(again.value.length, again.value.length);
    });
    var shown = 0;
    var servers = latest.servers.map(function (server) {
      var counts = [];
      var groups = KINDS.map(function (pair) {
        var items = server[pair[0]].filter(function (item) { return matches(server, item); });
        if (server[pair[0]].length > 0) counts.push(server[pair[0]].length + " " + pair[1].toLowerCase());
        if (items.length === 0) return null;
        shown += items.length;
        return [el("h4", { class: "small", text: pair[1] + " (" + items.length + ")" }), el("ul", { class: "caps" }, items.map(function (item) { return itemRow(server, pair[0], item); }))];
      }).filter(Boolean);
      if (filterText && groups.length === 0) return null;
      var offCount = KINDS.reduce(function (n, pair) { return n + server[pair[0]].filter(function (item) { return isOff(server.serverId, pair[0], item.name); }).length; }, 0);
      var summary = el("summary", {}, [server.serverId, el("span", { class: "muted", text: "  " + (counts.length ? counts.join(", ") : "nothing listed yet") + (offCount ? " · " + offCount + " off" : "") })]);
      var body = groups.length ? [].concat.apply([], groups) : [el("p", { class: "muted", text: "This server has listed nothing yet: it does once an MCP client of yours connects." })];
      var details = el("details", { class: "server", "data-testid": "capability-server", "data-server": server.serverId, open: opened.has(server.serverId) || Boolean(filterText) }, [summary].concat(body));
      details.addEventListener("toggle", function () { if (!filterText) { if (details.open) opened.add(server.serverId); else opened.delete(server.serverId); } });
      return details;
    }).filter(Boolean);
    var filterField = UI.field("Filter", filter);
    filterField.classList.add("filter");
    UI.fill(root, [el("div", { class: "form" }, [filterField]),
      filterText && shown === 0 ? el("p", { class: "muted", text: "Nothing matches “" + filterText + "”." }) : null].concat(servers));
  }

  function capabilities(message) { narrowing = message.narrowing || {}; latest = message; draw(); }
  D.on("capabilities.snapshot", capabilities);
  D.on("capabilities.updated", capabilities);

  D.on("servers.snapshot", function (message) {
    var root = $("servers");
    $("servers-section").hidden = false;
    var asking = message.servers.filter(function (server) { return server.userInputs.length > 0; });
    if (asking.length === 0) {
      return UI.fill(root, el("p", { class: "muted", "data-testid": "no-servers", text: message.servers.length === 0
        ? "No server is available to you yet."
        : "None of your " + message.servers.length + " servers asks for personal values." }));
    }
    UI.fill(root, asking.map(function (server) {
      var notice = el("p", { hidden: true });
      var inputs = server.userInputs.map(function (input) {
        var field = el("input", { type: "password", autocomplete: "off", "data-testid": "server-value", "data-name": input.name, placeholder: input.configured ? "(set; type to replace)" : "not set" });
        return { name: input.name, node: UI.field(input.name + (input.required ? " (required)" : ""), field, input.description || ""), field: field };
      });
      var save = el("button", { type: "button", class: "primary", "data-testid": "server-save", text: "Save", onclick: function () {
        var values = {};
        inputs.forEach(function (input) { if (input.field.value) values[input.name] = input.field.value; input.field.value = ""; });
        if (Object.keys(values).length > 0) D.ask({ type: "servers.configure", serverId: server.serverId, values: values }, function (error) { UI.notice(notice, error, "bad"); });
      } });
      var clear = el("button", { type: "button", "data-testid": "server-clear", text: "Clear my values", onclick: function () {
        D.ask({ type: "servers.unconfigure", serverId: server.serverId }, function (error) { UI.notice(notice, error, "bad"); });
      } });
      return el("div", { class: "card", "data-testid": "server", "data-server": server.serverId }, [
        el("h3", {}, [server.name + " ", el("span", { class: "muted small", text: server.serverId }), " ",
          el("span", { "data-testid": "server-status", class: "badge " + (server.configured ? "ok" : "warn"), text: server.configured ? "ready" : "needs values" })]),
        el("div", { class: "form" }, inputs.map(function (input) { return input.node; }).concat([el("div", { class: "row" }, [save, clear])])),
        notice,
      ]);
    }));
  });
})();
`;
