/**
 * The Policy tab: policy sets and their rules, edited as forms. The API compiles every CEL condition on save
 * and on simulate; its error names the rule (by id or by index) and is shown at that rule. A draft can be
 * simulated against the recent audited calls, and the changed decisions are listed; versions are kept.
 */
export const POLICY_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var EFFECTS = [["allow", "allow"], ["deny", "deny"], ["require_approval", "require approval"]];
  var editing = null;

  function ruleEditor(rule) {
    var id = UI.input({ class: "code", "data-testid": "rule-id", value: rule.id || "", required: true });
    var priority = UI.input({ type: "number", "data-testid": "rule-priority", value: String(rule.priority || 0) });
    var server = UI.input({ class: "code", "data-testid": "rule-server", value: (rule.match && rule.match.server) || "", placeholder: "*" });
    var tool = UI.input({ class: "code", "data-testid": "rule-tool", value: (rule.match && rule.match.tool) || "", placeholder: "*" });
    var when = el("textarea", { class: "code", rows: "2", "data-testid": "rule-when", spellcheck: "false", placeholder: "e.g. user.role != \"admin\" && hour(now) >= 18", "aria-label": "Condition (CEL)" });
    when.value = rule.when || "";
    var effect = UI.select(EFFECTS, { "data-testid": "rule-effect" });
    effect.value = rule.effect || "deny";
    var reason = UI.input({ "data-testid": "rule-reason", value: rule.reason || "", placeholder: "Shown to the caller" });
    var approvers = UI.input({ class: "code", "data-testid": "rule-approvers", value: (rule.approvers || []).join(", "), placeholder: "owner, admin, self" });
    var approversField = UI.field("Approvers", approvers, "roles, user ids or self");
    var sync = function () { approversField.hidden = effect.value !== "require_approval"; };
    effect.addEventListener("change", sync);
    sync();
    var error = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "rule-error" });
    var whenField = UI.field("When (CEL)", when, "omitted: always");
    var reasonField = UI.field("Reason", reason);
    reasonField.classList.add("wide");
    whenField.classList.add("wide");
    var node = el("div", { class: "rule", "data-testid": "rule" }, [
      el("div", { class: "form" }, [UI.field("Rule id", id), UI.field("Priority", priority, "higher first"), UI.field("Server", server, "glob"), UI.field("Tool", tool, "glob"), UI.field("Effect", effect), approversField]),
      el("div", { class: "form" }, [whenField, reasonField]),
      error,
    ]);
    return {
      node: node,
      id: function () { return id.value.trim(); },
      showError: function (text) { error.textContent = text; error.hidden = !text; node.classList.toggle("invalid", Boolean(text)); },
      value: function () {
        // Fields the form does not show (ttlSeconds, rateLimitPerMinute) keep their values.
        var out = Object.assign({}, rule, { id: id.value.trim(), priority: Number(priority.value || 0), effect: effect.value, match: {} });
        if (server.value.trim()) out.match.server = server.value.trim();
        if (tool.value.trim()) out.match.tool = tool.value.trim();
        if (when.value.trim()) out.when = when.value.trim(); else delete out.when;
        if (reason.value.trim()) out.reason = reason.value.trim(); else delete out.reason;
        var list = approvers.value.split(",").map(function (a) { return a.trim(); }).filter(Boolean);
        if (effect.value === "require_approval" && list.length > 0) out.approvers = list; else delete out.approvers;
        if (effect.value !== "require_approval") delete out.ttlSeconds;
        return out;
      },
      remove: function () { node.remove(); },
    };
  }

  // The API names a rule in its message by index (data.rules.2.when: …) or by id (rule "x": …): show each part there.
  function placeErrors(message, rules, notice) {
    rules.forEach(function (r) { r.showError(""); });
    var placed = false;
    message.replace(/^Invalid input: /, "").split("; ").forEach(function (part) {
      var byIndex = /data\.rules\.(\d+)/.exec(part);
      var byId = /rule "([^"]+)"/.exec(part);
      var target = byIndex ? rules[Number(byIndex[1])] : byId ? rules.find(function (r) { return r.id() === byId[1]; }) : null;
      if (target) { target.showError(part.replace(/^data\.rules(\.\d+)?(\.[a-zA-Z]+)?: /, "")); placed = true; }
    });
    UI.notice(notice, placed ? "A rule needs fixing: see the message at the rule." : message, "bad");
  }

  function simulationTable(result) {
    var summary = "Replayed " + result.evaluated + " recent calls: the draft changes " + result.changed + " decision" + (result.changed === 1 ? "" : "s") + ".";
    return el("div", { "data-testid": "simulation" }, [
      el("p", { "data-testid": "simulation-summary", text: summary + (result.skipped ? " " + result.skipped + " could not be replayed." : "") }),
      UI.table([
        { label: "When", cell: function (e) { return UI.when(e.ts); } },
        { label: "User", cell: function (e) { return C.nameOf(e.userId); } },
        { label: "Server", cell: function (e) { return e.serverId; } },
        { label: "Item", cell: function (e) { return el("code", { text: e.name }); } },
        { label: "Now", cell: function (e) { return UI.badge(e.current.effect, e.current.effect === "allow" ? "ok" : e.current.effect === "deny" ? "bad" : "warn"); } },
        { label: "With the draft", cell: function (e) { return el("span", {}, [UI.badge(e.draft.effect, e.draft.effect === "allow" ? "ok" : e.draft.effect === "deny" ? "bad" : "warn"), e.draft.ruleId ? el("span", { class: "small muted", text: " rule " + e.draft.ruleId }) : null]); } },
        { label: "Why", cell: function (e) { return e.draft.reason || ""; } },
      ], result.examples, { empty: "No recent call would be decided differently.", testid: "simulation-changes" }),
    ]);
  }

  function editor(root, set, servers) {
    var name = UI.input({ "data-testid": "set-name", value: set.name || "", required: true });
    var zone = UI.input({ "data-testid": "set-timezone", value: set.timeZone || "UTC" });
    var scope = UI.select([["", "every server (global)"]].concat(servers.map(function (s) { return [s.serverId, s.name + " (" + s.serverId + ")"]; })), { "data-testid": "set-server", disabled: Boolean(set.policySetId) });
    scope.value = set.serverId || "";
    var rules = [];
    var list = el("div", { "data-testid": "rules" });
    var add = function (rule) { var r = ruleEditor(rule); rules.push(r); list.appendChild(el("div", {}, [r.node, el("button", { type: "button", class: "link small", text: "Remove this rule", onclick: function () { rules.splice(rules.indexOf(r), 1); r.node.parentNode.remove(); } })])); };
    (set.rules || []).forEach(add);
    if (rules.length === 0) add({ id: "rule-1", priority: 0, effect: "deny", match: {} });
    var notice = el("p", { hidden: true, "data-testid": "policy-notice" });
    var results = el("div", {});
    var draft = function () { return { timeZone: zone.value.trim() || "UTC", rules: rules.map(function (r) { return r.value(); }) }; };
    var save = async function () {
      rules.forEach(function (r) { r.showError(""); });
      var body = draft();
      body.name = name.value.trim();
      try {
        var saved = set.policySetId
          ? await C.api(9103, Object.assign(body, { policySetId: set.policySetId, expectedVersion: set.version }))
          : await C.api(9101, Object.assign(body, { serverId: scope.value || null }));
        editing = saved.policySetId;
        UI.notice(notice, "Saved as version " + saved.version + ".", "ok");
        C.refresh();
      } catch (error) { placeErrors(error.message, rules, notice); }
    };
    var simulate = async function () {
      rules.forEach(function (r) { r.showError(""); });
      var body = Object.assign(draft(), { serverId: scope.value || null, examples: 50 });
      if (set.policySetId) body.policySetId = set.policySetId;
      UI.notice(notice, "Replaying recent calls…", "info");
      try {
        var result = await C.api(9106, body);
        UI.notice(notice, "", "info");
        UI.fill(results, [el("h3", { text: "Simulation" }), simulationTable(result)]);
      } catch (error) { placeErrors(error.message, rules, notice); }
    };
    var versions = async function () {
      var history = await C.api(9107, { policySetId: set.policySetId });
      UI.fill(results, [el("h3", { text: "Versions" }), UI.table([
        { label: "Version", cell: function (v) { return String(v.version); } },
        { label: "Saved", cell: function (v) { return UI.when(v.createdAt); } },
        { label: "Rules", cell: function (v) { return el("details", {}, [el("summary", { text: v.rules.length + " rule" + (v.rules.length === 1 ? "" : "s") }), el("pre", { text: JSON.stringify(v.rules, null, 2) })]); } },
      ], history.versions.slice().reverse())]);
    };
    var buttons = [
      el("button", { type: "button", text: "Add a rule", "data-testid": "rule-add", onclick: function () { add({ id: "rule-" + (rules.length + 1), priority: 0, effect: "deny", match: {} }); } }),
      el("button", { type: "button", class: "primary", text: "Save", "data-testid": "set-save", onclick: save }),
      el("button", { type: "button", text: "Simulate the draft", "data-testid": "set-simulate", onclick: simulate }),
    ];
    if (set.policySetId) {
      buttons.push(el("button", { type: "button", text: "Versions", "data-testid": "set-versions", onclick: versions }));
      buttons.push(UI.confirmButton("Delete the set", function () {
        C.run(notice, function () { return C.api(9104, { policySetId: set.policySetId }); }, "Deleted.").then(function (ok) { if (ok) { editing = null; C.refresh(); } });
      }));
    }
    UI.append(root, el("div", { class: "card", "data-testid": "policy-editor" }, [
      el("h3", { text: set.policySetId ? "Edit " + set.name + " (version " + set.version + ")" : "New policy set" }),
      el("div", { class: "form" }, [UI.field("Name", name), UI.field("Applies to", scope), UI.field("Time zone", zone, "of hour(now)")]),
      list, el("div", { class: "row" }, buttons), notice, results,
    ]));
  }

  C.register({
    id: "policy",
    title: "Policy",
    render: async function (root) {
      var results = await Promise.all([C.api(9102, {}), C.api(2011, {})]);
      var sets = results[0].policySets, servers = results[1].servers;
      var open = function (id) { editing = id; C.refresh(); };
      UI.append(root, [
        el("h2", { text: "Policy sets" }),
        el("p", { class: "muted", text: "Rules decide each call: the first matching rule by priority allows, denies or asks for approval." }),
        UI.table([
          { label: "Name", cell: function (s) { return el("strong", { text: s.name }); } },
          { label: "Applies to", cell: function (s) { return s.serverId || "every server"; } },
          { label: "Rules", cell: function (s) { return String(s.rules.length); } },
          { label: "Version", cell: function (s) { return String(s.version); } },
          { label: "Changed", cell: function (s) { return UI.when(s.updatedAt); } },
          { label: "", cell: function (s) { return el("button", { type: "button", text: "Edit", "data-testid": "set-edit", onclick: function () { open(s.policySetId); } }); } },
        ], sets, { empty: "No policy sets: every call a user's grants allow goes through.", testid: "policy-sets", onRow: function (s, tr) { tr.setAttribute("data-set", s.name); } }),
        el("p", {}, [el("button", { type: "button", text: "New policy set", "data-testid": "set-new", onclick: function () { open("new"); } })]),
      ]);
      var chosen = editing === "new" ? {} : sets.find(function (s) { return s.policySetId === editing; });
      if (chosen) editor(root, chosen, servers);
    },
  });
})();
`;
