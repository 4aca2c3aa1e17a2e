/**
 * The Access tab: the gateway-wide IP allow-list and each user's own, with their mode. The API refuses (409)
 * a change that would shut out the address the change comes from; that message is shown as it is.
 */
export const ACCESS_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var whose = "";

  function editor(list, userId) {
    var scope = userId ? { userId: userId } : {};
    var notice = el("p", { hidden: true, "data-testid": "access-notice" });
    var cidrs = el("textarea", { class: "code", rows: "5", "data-testid": "access-cidrs", spellcheck: "false", placeholder: "203.0.113.0/24\n2001:db8::/32" });
    cidrs.value = list.cidrs.join("\n");
    var mode = UI.select([["allow-all", "allow every address"], ["allow-list", "allow only the list"]], { "data-testid": "access-mode" });
    mode.value = list.mode;
    var then = function (ok) { if (ok) C.refresh(); };
    var cidrField = UI.field("Addresses and ranges", cidrs, "one per line, IPv4 or IPv6");
    cidrField.classList.add("wide");
    return el("div", { class: "card" }, [
      el("p", {}, ["Now: ", UI.badge(list.mode === "allow-list" ? "only the list" : "every address", list.mode === "allow-list" ? "warn" : "ok"), " · " + list.cidrs.length + " entr" + (list.cidrs.length === 1 ? "y" : "ies")]),
      el("div", { class: "form" }, [cidrField,
        el("button", { type: "button", class: "primary", text: "Save the list", "data-testid": "access-save", onclick: function () {
          var entries = cidrs.value.split(/\s+/).filter(Boolean);
          C.run(notice, function () { return C.api(4001, Object.assign({ cidrs: entries }, scope)); }, "Saved.").then(then);
        } })]),
      el("div", { class: "form" }, [
        UI.field("Mode", mode),
        el("button", { type: "button", text: "Set the mode", "data-testid": "access-set-mode", onclick: function () {
          C.run(notice, function () { return C.api(4005, Object.assign({ mode: mode.value }, scope)); }, "The mode is now " + mode.value + ".").then(then);
        } }),
        UI.confirmButton("Delete the list", function () { C.run(notice, function () { return C.api(4003, scope); }, "Deleted: every address is allowed.").then(then); }),
      ]),
      notice,
    ]);
  }

  C.register({
    id: "access",
    title: "Access",
    render: async function (root) {
      var users = await C.loadNames();
      var pick = UI.select([["", "the whole gateway"]].concat(users.map(function (u) { return [u.userId, u.name]; })), { "data-testid": "access-whose" });
      pick.value = whose;
      pick.addEventListener("change", function () { whose = pick.value; C.refresh(); });
      var list = await C.api(4002, whose ? { userId: whose } : {});
      UI.append(root, [
        el("h2", { text: "IP allow-lists" }),
        el("p", { class: "muted", text: "A request is admitted only if the gateway-wide list and the caller's own list both allow its address (CF-Connecting-IP)." }),
        el("div", { class: "form" }, [UI.field("The list of", pick)]),
        editor(list, whose),
      ]);
    },
  });
})();
`;
