/**
 * The component layer of the gateway's pages, served at /ui/ui.js as `window.PetaUI`: plain browser
 * JavaScript with no dependency, kept here as text so the Worker serves it from its bundle. Every component
 * builds the DOM with textContent (no markup from data), so a server or user name can never inject HTML.
 */
export const UI_SCRIPT = String.raw`"use strict";
(function () {
  var uid = 0;

  // el("button", {text: "Go", class: "primary", onclick: fn, disabled: true}, [children])
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(name.slice(2), value);
      else if (name === "value") node.value = value;
      else if (name === "hidden" || name === "checked" || name === "disabled" || name === "selected" || name === "required") node[name] = Boolean(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    append(node, children);
    return node;
  }

  function append(node, children) {
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function fill(node, children) {
    node.replaceChildren();
    return append(node, children);
  }

  function badge(text, tone) { return el("span", { class: "badge " + (tone || "muted"), text: text }); }

  // A labelled control: the <label> wraps its text and the control, so every input has an accessible name.
  function field(label, control, hint) {
    if (!control.id) control.id = "f" + (++uid);
    return el("label", { class: "field", for: control.id }, [el("span", {}, [label, hint ? el("span", { class: "hint", text: " " + hint }) : null]), control]);
  }

  function input(attrs) { return el("input", Object.assign({ type: "text", autocomplete: "off", spellcheck: "false" }, attrs)); }

  function select(options, attrs) {
    return el("select", attrs || {}, options.map(function (option) {
      var pair = Array.isArray(option) ? option : [option, option];
      return el("option", { value: pair[0], text: pair[1] });
    }));
  }

  // A live region for the outcome of an action: role=status (or alert for errors) is read out by screen readers.
  function notice(node, text, tone) {
    node.hidden = !text;
    node.className = "notice " + (tone || "info");
    node.setAttribute("role", tone === "bad" ? "alert" : "status");
    node.textContent = text || "";
    return node;
  }

  var ticking = new Set();
  setInterval(function () { ticking.forEach(function (tick) { tick(); }); }, 1000);

  function countdown(iso) {
    var node = el("span", { class: "countdown", "data-expires": iso });
    var at = Date.parse(iso);
    var tick = function () {
      if (!node.isConnected && node.dataset.shown) return ticking.delete(tick);
      node.dataset.shown = "1";
      var left = Math.max(0, Math.round((at - Date.now()) / 1000));
      node.textContent = left === 0 ? "expired" : "expires in " + duration(left);
    };
    tick();
    ticking.add(tick);
    return node;
  }

  function duration(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
    return Math.floor(seconds / 86400) + " d " + Math.floor((seconds % 86400) / 3600) + " h";
  }

  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " + date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function copyButton(text, label) {
    var button = el("button", { type: "button", text: label || "Copy", "data-testid": "copy" });
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(typeof text === "function" ? text() : text).then(
        function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = label || "Copy"; }, 2000); },
        function () { button.textContent = "Copy failed: select the text instead"; },
      );
    });
    return button;
  }

  // table([{label, cell(row) -> node|string}], rows, {empty, testid, onRow(row, tr)})
  function table(columns, rows, options) {
    options = options || {};
    if (rows.length === 0) return el("p", { class: "muted", text: options.empty || "Nothing here yet.", "data-testid": options.testid ? options.testid + "-empty" : null });
    var head = el("tr", {}, columns.map(function (c) { return el("th", { scope: "col", text: c.label }); }));
    var body = rows.map(function (row) {
      var tr = el("tr", { "data-testid": options.testid ? options.testid + "-row" : null }, columns.map(function (c) { return el("td", { "data-label": c.label }, [c.cell(row)]); }));
      if (options.onRow) options.onRow(row, tr);
      return tr;
    });
    return el("div", { class: "scroll" }, [el("table", { "data-testid": options.testid || null }, [el("thead", {}, [head]), el("tbody", {}, body)])]);
  }

  // A button that asks once more before it acts: no window.confirm, so it works the same for every input method.
  function confirmButton(label, action, attrs) {
    var armed = false;
    var button = el("button", Object.assign({ type: "button", class: "danger", text: label }, attrs || {}));
    button.addEventListener("click", function () {
      if (!armed) {
        armed = true;
        button.textContent = "Confirm: " + label.toLowerCase();
        setTimeout(function () { armed = false; button.textContent = label; }, 4000);
        return;
      }
      armed = false;
      button.textContent = label;
      action();
    });
    return button;
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
    (children || []).forEach(function (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); });
    return node;
  }

  // Stacked bars: barChart(points [{label, values: {key: n}}], series [{key, label}]); each rect carries data-count.
  function barChart(points, series, title) {
    var width = 720, height = 200, left = 34, bottom = 22, top = 8;
    var max = Math.max(1, Math.max.apply(null, points.map(function (p) { return series.reduce(function (n, s) { return n + (p.values[s.key] || 0); }, 0); })));
    var step = (width - left) / Math.max(1, points.length);
    var bar = Math.max(2, step * 0.7);
    var scale = (height - bottom - top) / max;
    var children = [svg("title", {}, [title]),
      svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }),
      svg("text", { x: 0, y: top + 10 }, [String(max)]), svg("text", { x: 0, y: height - bottom }, ["0"])];
    points.forEach(function (point, index) {
      var x = left + index * step + (step - bar) / 2;
      var y = height - bottom;
      series.forEach(function (s) {
        var count = point.values[s.key] || 0;
        if (count === 0) return;
        var h = count * scale;
        y -= h;
        children.push(svg("rect", { class: s.key, x: x.toFixed(1), y: y.toFixed(1), width: bar.toFixed(1), height: h.toFixed(1), "data-count": count, "data-series": s.key },
          [svg("title", {}, [point.label + ": " + count + " " + s.label])]));
      });
      if (index % Math.ceil(points.length / 8) === 0) children.push(svg("text", { x: x.toFixed(1), y: height - 6 }, [point.label]));
    });
    var chart = svg("svg", { class: "chart", viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": title, "data-testid": "chart" }, children);
    var legend = el("div", { class: "legend" }, series.map(function (s) { return el("span", {}, [el("i", { class: s.key }), s.label]); }));
    return el("figure", { class: "card" }, [chart, legend]);
  }

  window.PetaUI = { el: el, append: append, fill: fill, badge: badge, field: field, input: input, select: select, notice: notice,
    countdown: countdown, duration: duration, when: when, copyButton: copyButton, table: table, confirmButton: confirmButton, barChart: barChart };
})();
`;
