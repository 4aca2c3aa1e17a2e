/**
 * The Users tab: create a user (its key shown once, with a copy button), change role and rate limit,
 * disable or enable, rotate the key, delete, and what the user may use after every layer
 * (GET_USER_CAPABILITIES), with the layer that removed each item.
 */
export const USERS_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var shownKey = null;
  var selected = null;

  // A new key, shown once: it is kept only until the panel is next drawn after Dismiss.
  function keyCard(root) {
    if (!shownKey) return;
    var card = el("div", { class: "card", "data-testid": "new-key" }, [
      el("h3", { text: "The key of " + shownKey.name }),
      el("p", { text: "It is shown only this once: copy it now and give it to " + shownKey.name + "." }),
      el("div", { class: "key" }, [el("code", { text: shownKey.apiKey, "data-testid": "new-key-value" }), UI.copyButton(shownKey.apiKey, "Copy key"),
        el("button", { type: "button", text: "Dismiss", "data-testid": "new-key-dismiss", onclick: function () { shownKey = null; card.remove(); } })]),
    ]);
    root.appendChild(card);
  }

  function createForm(root) {
    var name = UI.input({ "data-testid": "user-name", required: true, placeholder: "Ada Lovelace" });
    var email = UI.input({ type: "email", "data-testid": "user-email", placeholder: "ada@example.com" });
    var role = UI.select([["user", "user"], ["admin", "admin"], ["owner", "owner"]], { "data-testid": "user-role" });
    var notice = el("p", { hidden: true, "data-testid": "user-create-notice" });
    var form = el("form", { class: "form", "data-testid": "user-create" }, [
      UI.field("Name", name), UI.field("Email", email, "optional"), UI.field("Role", role),
      el("button", { type: "submit", class: "primary", text: "Create user", "data-testid": "user-create-submit" }),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var data = { name: name.value.trim(), role: role.value };
      if (email.value.trim()) data.email = email.value.trim();
      var created = await C.run(notice, function () { return C.api(1010, data); }, "Created " + data.name + ".");
      if (created) { shownKey = { name: created.user.name, apiKey: created.apiKey }; C.refresh(); }
    });
    UI.append(root, [el("h2", { text: "Create a user" }), form, notice]);
  }

  function capabilityList(server) {
    var groups = [["Tools", server.tools], ["Prompts", server.prompts], ["Resources", server.resources]].filter(function (g) { return g[1].length > 0; });
    var available = server.tools.concat(server.prompts, server.resources).filter(function (i) { return i.available; }).length;
    var total = server.tools.length + server.prompts.length + server.resources.length;
    return el("details", { class: "card", "data-testid": "user-capability-server", "data-server": server.serverId }, [
      el("summary", {}, [el("strong", { text: server.serverId }), " ", UI.badge(available + " of " + total + " available", available === total ? "ok" : available === 0 ? "bad" : "warn")]),
    ].concat(groups.map(function (g) {
      return el("div", {}, [el("h3", { text: g[0] }), UI.table([
        { label: "Name", cell: function (i) { return el("code", { text: i.name }); } },
        { label: "Available", cell: function (i) { return i.available ? UI.badge("yes", "ok") : UI.badge("removed by " + i.removedBy, "bad"); } },
        { label: "Why", cell: function (i) { return i.reason || (i.dangerLevel === 2 ? "asks for approval" : ""); } },
      ], g[1])]);
    })));
  }

  async function details(box, user) {
    // The last user asked for wins: an earlier answer arriving late must not replace it.
    box.dataset.user = user.userId;
    var notice = el("p", { hidden: true, "data-testid": "user-detail-notice" });
    var limit = UI.input({ type: "number", min: "1", placeholder: "gateway default", "data-testid": "user-rate-limit", value: user.rateLimitPerMinute === null ? "" : String(user.rateLimitPerMinute) });
    var limitForm = el("form", { class: "form" }, [UI.field("Calls per minute", limit, "empty: the gateway default"), el("button", { type: "submit", text: "Save limit" })]);
    limitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = limit.value.trim() === "" ? null : Number(limit.value);
      C.run(notice, function () { return C.api(1012, { userId: user.userId, rateLimitPerMinute: value }); }, "Saved the rate limit of " + user.name + ".");
    });
    var caps = await C.api(3003, { userId: user.userId });
    if (box.dataset.user !== user.userId) return;
    UI.fill(box, [el("h3", { text: user.name + ": what they may use" }),
      caps.servers.length === 0 ? el("p", { class: "muted", text: "No server is known yet." }) : el("div", { "data-testid": "user-capabilities" }, caps.servers.map(capabilityList)),
      el("h3", { text: user.name + ": rate limit" }), limitForm, notice]);
  }

  C.register({
    id: "users",
    title: "Users",
    render: async function (root) {
      var users = await C.loadNames();
      var notice = el("p", { hidden: true, "data-testid": "users-notice" });
      var box = el("div", { class: "card", hidden: true, "data-testid": "user-details" });
      var act = function (work, message, then) {
        C.run(notice, work, message).then(function (result) { if (result) { if (then) then(result); C.refresh(); } });
      };
      var list = UI.table([
        { label: "Name", cell: function (u) { return el("span", {}, [el("strong", { text: u.name }), u.email ? el("br") : null, u.email ? el("span", { class: "muted small", text: u.email }) : null]); } },
        { label: "Role", cell: function (u) {
          var role = UI.select(["user", "admin", "owner"], { "aria-label": "Role of " + u.name, "data-testid": "user-role-select" });
          role.value = u.role;
          role.addEventListener("change", function () { act(function () { return C.api(1012, { userId: u.userId, role: role.value }); }, u.name + " is now " + role.value + "."); });
          return role;
        } },
        { label: "Status", cell: function (u) { return UI.badge(u.status, u.status === "active" ? "ok" : "muted"); } },
        { label: "Created", cell: function (u) { return UI.when(u.createdAt); } },
        { label: "Actions", cell: function (u) {
          return el("div", { class: "row" }, [
            el("button", { type: "button", text: "Capabilities", "data-testid": "user-open", onclick: function () { selected = u.userId; box.hidden = false; details(box, u); } }),
            u.status === "active"
              ? el("button", { type: "button", text: "Disable", "data-testid": "user-disable", onclick: function () { act(function () { return C.api(1001, { userId: u.userId }); }, "Disabled " + u.name + "."); } })
              : el("button", { type: "button", text: "Enable", "data-testid": "user-enable", onclick: function () { act(function () { return C.api(1012, { userId: u.userId, status: "active" }); }, "Enabled " + u.name + "."); } }),
            UI.confirmButton("Rotate key", function () {
              act(function () { return C.api(1017, { userId: u.userId }); }, "Rotated the key of " + u.name + ": the old one no longer works.", function (r) { shownKey = { name: u.name, apiKey: r.apiKey }; });
            }, { "data-testid": "user-rotate" }),
            UI.confirmButton("Delete", function () { act(function () { return C.api(1013, { userId: u.userId }); }, "Deleted " + u.name + "."); }, { "data-testid": "user-delete" }),
          ]);
        } },
      ], users, { empty: "No users yet: create one below.", testid: "users", onRow: function (u, tr) { tr.setAttribute("data-user", u.name); } });
      UI.append(root, [el("h2", { text: "Users" }), notice]);
      keyCard(root);
      UI.append(root, [list, box]);
      var chosen = users.find(function (u) { return u.userId === selected; });
      if (chosen) { box.hidden = false; await details(box, chosen); }
      createForm(root);
    },
  });
})();
`;
