/** The Overview tab: the last 24 hours of calls (GET_CALL_STATS) as a chart, the busiest servers and tools, what waits. */
export const OVERVIEW_PANEL = String.raw`(function () {
  var UI = window.PetaUI, el = UI.el, C = window.PetaConsole;
  var SERIES = [{ key: "allow", label: "allowed" }, { key: "deny", label: "denied" }, { key: "approval", label: "held for approval" }];

  function stat(value, label, testid, tab) {
    var children = [el("span", { class: "value", text: String(value), "data-testid": testid }), el("span", { class: "label", text: label })];
    if (tab) children.push(el("button", { type: "button", class: "link small", text: "Open " + tab, onclick: function () { C.show(tab); } }));
    return el("div", { class: "stat" }, children);
  }

  C.register({
    id: "overview",
    title: "Overview",
    render: async function (root) {
      var results = await Promise.all([C.api(7005, { hours: 24 }), C.api(9204, {})]);
      var stats = results[0], pending = results[1].count;
      var sum = function (pick) { return stats.buckets.reduce(function (n, b) { return n + pick(b); }, 0); };
      var points = stats.buckets.map(function (b) {
        return { label: new Date(b.hour).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }), values: b.byDecision };
      });
      UI.append(root, [
        el("h2", { text: "The last 24 hours" }),
        el("div", { class: "cards" }, [
          stat(sum(function (b) { return b.total; }), "calls", "stat-calls"),
          stat(sum(function (b) { return b.byOutcome.error; }), "failed or refused", "stat-errors"),
          stat(pending, pending === 1 ? "approval waits" : "approvals wait", "stat-pending", "approvals"),
          stat(stats.failingServers.length, stats.failingServers.length === 1 ? "server failing" : "servers failing", "stat-failing", "servers"),
        ]),
        el("h3", { text: "Calls per hour" }),
        UI.barChart(points, SERIES, "Calls per hour over the last 24 hours, by decision"),
        el("div", { class: "cards" }, [
          el("div", {}, [el("h3", { text: "Busiest servers" }), UI.table([
            { label: "Server", cell: function (s) { return s.serverId; } },
            { label: "Calls", cell: function (s) { return String(s.calls); } },
            { label: "Failed", cell: function (s) { return String(s.errors); } },
          ], stats.topServers, { empty: "No calls in the last 24 hours.", testid: "top-servers" })]),
          el("div", {}, [el("h3", { text: "Busiest tools" }), UI.table([
            { label: "Tool", cell: function (t) { return t.tool; } },
            { label: "Server", cell: function (t) { return t.serverId; } },
            { label: "Calls", cell: function (t) { return String(t.calls); } },
          ], stats.topTools, { empty: "No tool calls in the last 24 hours.", testid: "top-tools" })]),
        ]),
        el("h3", { text: "Failing servers" }),
        UI.table([
          { label: "Server", cell: function (s) { return s.serverId; } },
          { label: "Failed calls", cell: function (s) { return s.errors + " of " + s.calls; } },
          { label: "Last error", cell: function (s) { return el("span", {}, [el("span", { class: "url", text: s.lastError || "(no message)" }), el("br"), el("span", { class: "muted small", text: UI.when(s.lastErrorAt) })]); } },
        ], stats.failingServers, { empty: "No server failed a call in the last 24 hours.", testid: "failing-servers" }),
      ]);
    },
  });
})();
`;
