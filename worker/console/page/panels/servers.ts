/**
 * The Servers tab: every server with its status, transport and tools; register (HTTP, SSE, stdio), edit its
 * name and URL, enable or disable, start or stop, delete; secrets set and deleted (write-only: their values
 * are never read back); the tools with their danger levels.
 */
export const SERVERS_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var DANGER = [["0", "0 silent"], ["1", "1 notify"], ["2", "2 approval"]];
  var selected = null;

  function statusOf(server, status) {
    if (!server.enabled) return [UI.badge("disabled", "muted")];
    if (status && status.instances) {
      if (status.instances.length === 0) return [UI.badge("sleeping", "muted")];
      return status.instances.map(function (i) {
        var tone = { online: "ok", sleeping: "muted", starting: "info", error: "bad" }[i.state] || "muted";
        return el("span", {}, [UI.badge(i.state, tone), i.lastError ? el("span", { class: "small error url", text: " " + i.lastError }) : null]);
      });
    }
    // An error newer than the last success (ISO times compare as text) means it cannot be reached now.
    if (status && status.lastConnectError && !(status.lastConnectedAt > status.lastConnectErrorAt)) {
      return [UI.badge("unreachable", "bad"), el("span", { class: "small error url", text: " " + status.lastConnectError })];
    }
    if (status && status.catalogFetchedAt) return [UI.badge("online", "ok"), el("span", { class: "muted small", text: " tools read " + UI.when(status.catalogFetchedAt) })];
    return [UI.badge("not contacted yet", "muted")];
  }

  function registerForm(root) {
    var id = UI.input({ "data-testid": "server-id", placeholder: "crm", required: true, pattern: "[a-z0-9][a-z0-9\\-]{0,31}" });
    var name = UI.input({ "data-testid": "server-name", placeholder: "CRM" });
    var transport = UI.select([["streamable-http", "HTTP (streamable)"], ["sse", "HTTP (legacy SSE)"], ["stdio", "stdio (a command)"]], { "data-testid": "server-transport" });
    var url = UI.input({ type: "url", class: "code", "data-testid": "server-url", placeholder: "https://mcp.example.com/mcp" });
    var command = UI.input({ class: "code", "data-testid": "server-command", placeholder: "npx" });
    var args = UI.input({ class: "code", "data-testid": "server-args", placeholder: "-y @modelcontextprotocol/server-memory" });
    var open = el("input", { type: "checkbox", checked: true, "data-testid": "server-public" });
    var urlField = UI.field("URL", url, "may use {{secret:NAME}}");
    urlField.classList.add("wide");
    var commandField = UI.field("Command", command);
    var argsField = UI.field("Arguments", args, "separated by spaces");
    argsField.classList.add("wide");
    var sync = function () { var stdio = transport.value === "stdio"; urlField.hidden = stdio; commandField.hidden = !stdio; argsField.hidden = !stdio; };
    transport.addEventListener("change", sync);
    sync();
    var notice = el("p", { hidden: true, "data-testid": "server-register-notice" });
    var form = el("form", { class: "form", "data-testid": "server-register" }, [
      UI.field("Server id", id, "used in tool names"), UI.field("Display name", name), UI.field("Transport", transport), urlField, commandField, argsField,
      el("label", { class: "row" }, [open, "Open to every user"]),
      el("button", { type: "submit", class: "primary", text: "Register", "data-testid": "server-register-submit" }),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var data = { serverId: id.value.trim(), transport: transport.value, publicAccess: open.checked };
      if (name.value.trim()) data.name = name.value.trim();
      if (transport.value === "stdio") data.stdio = { command: command.value.trim(), args: args.value.trim() ? args.value.trim().split(/\s+/) : [] };
      else data.url = url.value.trim();
      var done = await C.run(notice, function () { return C.api(2010, data); }, function (reply) {
        // Registered either way: the first try of its connection says what failed, or why it was not tried.
        var probe = reply && (reply.warning ? " It could not be reached: " + reply.warning : reply.notProbed ? " Connection " + reply.notProbed + "." : "");
        return "Registered " + data.serverId + "." + (probe || "");
      });
      if (done) { selected = data.serverId; C.refresh(); }
    });
    UI.append(root, [el("h2", { text: "Register a server" }), form, notice]);
  }

  async function details(box, server, capabilities, done) {
    // The last server asked for wins: an earlier answer arriving late must not replace it.
    box.dataset.server = server.serverId;
    var notice = el("p", { hidden: true, "data-testid": "secret-notice" });
    var secrets = (await C.api(2103, { serverId: server.serverId })).secrets;
    if (box.dataset.server !== server.serverId) return;
    // Redraws this box only (the list of secrets changed), keeping the outcome in view.
    var reload = function (message) { details(box, server, capabilities, message); };
    var secretName = UI.input({ class: "code", "data-testid": "secret-name", placeholder: "API_TOKEN", required: true });
    var secretValue = UI.input({ type: "password", "data-testid": "secret-value", required: true, autocomplete: "new-password" });
    var secretForm = el("form", { class: "form", "data-testid": "secret-form" }, [
      UI.field("Secret name", secretName), UI.field("Value", secretValue, "write-only"),
      el("button", { type: "submit", class: "primary", text: "Set secret", "data-testid": "secret-set" }),
    ]);
    secretForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var data = { serverId: server.serverId, name: secretName.value.trim(), value: secretValue.value };
      secretValue.value = "";
      if (await C.run(notice, function () { return C.api(2101, data); })) reload("Secret " + data.name + " set. Its value is not shown again.");
    });
    var secretTable = UI.table([
      { label: "Secret", cell: function (s) { return el("code", { text: s.name }); } },
      { label: "Changed", cell: function (s) { return UI.when(s.updatedAt); } },
      { label: "", cell: function (s) {
        return UI.confirmButton("Delete", function () {
          C.run(notice, function () { return C.api(2102, { serverId: server.serverId, name: s.name }); }).then(function (ok) { if (ok) reload("Deleted the secret " + s.name + "."); });
        }, { "data-testid": "secret-delete" });
      } },
    ], secrets, { empty: "No secrets. Reference one as {{secret:NAME}} in the URL or a header, then set it here.", testid: "secrets" });

    var editName = UI.input({ "data-testid": "server-edit-name", value: server.name, required: true });
    var editUrl = UI.input({ type: "url", class: "code", "data-testid": "server-edit-url", value: server.url || "" });
    var urlField = UI.field("URL", editUrl);
    urlField.classList.add("wide");
    urlField.hidden = server.transport === "stdio";
    var editForm = el("form", { class: "form", "data-testid": "server-edit" }, [UI.field("Display name", editName), urlField,
      el("button", { type: "submit", text: "Save settings", "data-testid": "server-edit-save" })]);
    editForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var data = { serverId: server.serverId, name: editName.value.trim() };
      if (server.transport !== "stdio") data.url = editUrl.value.trim();
      if (await C.run(notice, function () { return C.api(2012, data); })) C.refresh();
    });
    var caps = capabilities || { tools: [], prompts: [], resources: [] };
    var toolTable = UI.table([
      { label: "Tool", cell: function (t) { return el("code", { text: t.name }); } },
      { label: "Enabled", cell: function (t) {
        var box = el("input", { type: "checkbox", checked: t.enabled, "aria-label": "Enable " + t.name });
        box.addEventListener("change", function () { setTool(t.name, { enabled: box.checked }); });
        return box;
      } },
      { label: "Danger level", cell: function (t) {
        var level = UI.select(DANGER, { "aria-label": "Danger level of " + t.name });
        level.value = String(t.dangerLevel);
        level.addEventListener("change", function () { setTool(t.name, { dangerLevel: Number(level.value) }); });
        return level;
      } },
    ], caps.tools, { empty: "No tools known yet: they are read when a client first lists this server's tools.", testid: "server-tools" });
    function setTool(name, settings) {
      var tools = {};
      tools[name] = settings;
      C.run(notice, function () { return C.api(2003, { serverId: server.serverId, tools: tools }); }, "Saved " + name + ".");
    }
    UI.fill(box, [
      el("h3", { text: server.name + ": settings" }), editForm,
      el("h3", { text: server.name + ": secrets" }), secretTable, secretForm, notice,
      el("details", { "data-testid": "server-capabilities" }, [
        el("summary", {}, [el("strong", { text: server.name + ": " + caps.tools.length + " tools, " + caps.prompts.length + " prompts, " + caps.resources.length + " resources" }), el("span", { class: "muted small", text: " (enable, danger level)" })]),
        toolTable,
      ]),
    ]);
    if (done) UI.notice(notice, done, "ok");
  }

  C.register({
    id: "servers",
    title: "Servers",
    render: async function (root) {
      var results = await Promise.all([C.api(2011, {}), C.api(3004, {}), C.api(3002, {})]);
      var statusOfId = new Map(results[1].servers.map(function (s) { return [s.serverId, s]; }));
      var capsOfId = new Map(results[2].servers.map(function (s) { return [s.serverId, s]; }));
      var notice = el("p", { hidden: true, "data-testid": "servers-notice" });
      var box = el("div", { class: "card", hidden: true, "data-testid": "server-details" });
      var act = function (work, message) { C.run(notice, work, message).then(function (ok) { if (ok) C.refresh(); }); };
      var list = UI.table([
        { label: "Server", cell: function (s) { return el("span", {}, [el("strong", { text: s.name }), el("br"), el("code", { class: "small", text: s.serverId })]); } },
        { label: "Transport", cell: function (s) { return s.transport === "stdio" ? el("code", { class: "small", text: "stdio: " + s.stdio.command }) : el("span", { class: "small url", text: s.transport + " " + s.url }); } },
        { label: "Status", cell: function (s) { return el("span", { "data-testid": "server-status" }, statusOf(s, statusOfId.get(s.serverId))); } },
        { label: "Tools", cell: function (s) { var c = capsOfId.get(s.serverId); return c && c.tools.length > 0 ? String(c.tools.length) : "–"; } },
        { label: "Actions", cell: function (s) {
          var buttons = [
            el("button", { type: "button", text: "Secrets and tools", "data-testid": "server-open", onclick: function () { selected = s.serverId; box.hidden = false; details(box, s, capsOfId.get(s.serverId)); } }),
            el("button", { type: "button", text: s.enabled ? "Disable" : "Enable", "data-testid": "server-toggle",
              onclick: function () { act(function () { return C.api(2012, { serverId: s.serverId, enabled: !s.enabled }); }, (s.enabled ? "Disabled " : "Enabled ") + s.serverId + "."); } }),
          ];
          if (s.transport === "stdio") {
            buttons.push(el("button", { type: "button", text: "Start", onclick: function () { act(function () { return C.api(2001, { serverId: s.serverId }); }, "Started " + s.serverId + "."); } }));
            buttons.push(el("button", { type: "button", text: "Stop", onclick: function () { act(function () { return C.api(2002, { serverId: s.serverId }); }, "Stopped " + s.serverId + "."); } }));
          }
          buttons.push(UI.confirmButton("Delete", function () { act(function () { return C.api(2013, { serverId: s.serverId }); }, "Deleted " + s.serverId + "."); }, { "data-testid": "server-delete" }));
          return el("div", { class: "row" }, buttons);
        } },
      ], results[0].servers, { empty: "No servers yet: register one below.", testid: "servers", onRow: function (s, tr) { tr.setAttribute("data-server", s.serverId); } });
      UI.append(root, [el("h2", { text: "Servers" }), notice, list, box]);
      var chosen = results[0].servers.find(function (s) { return s.serverId === selected; });
      if (chosen) { box.hidden = false; await details(box, chosen, capsOfId.get(chosen.serverId)); }
      registerForm(root);
    },
  });
})();
`;
