// airlab archive view: draws the data that airlab.evolve.view prepared; decides nothing itself.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const RADIUS = 15, MARGIN = 44, LEFT = 54;
  const RAMP = ["#fff7bc", "#a1d99b", "#1a9850", "#00441b"];
  const data = JSON.parse(document.getElementById("airlab-data").textContent);
  let selected = null;
  const hidden = new Set();

  function el(tag, attrs, parent, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, attrs, parent, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function fmt(value, digits) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") return value.toFixed(digits === undefined ? 3 : digits);
    return String(value);
  }
  function mix(a, b, t) {
    const pa = [1, 3, 5].map(i => parseInt(a.slice(i, i + 2), 16));
    const pb = [1, 3, 5].map(i => parseInt(b.slice(i, i + 2), 16));
    return "rgb(" + pa.map((v, i) => Math.round(v + (pb[i] - v) * t)).join(",") + ")";
  }
  function rampColour(rank) {
    const scaled = Math.max(0, Math.min(1, rank)) * (RAMP.length - 1);
    const i = Math.min(Math.floor(scaled), RAMP.length - 2);
    return mix(RAMP[i], RAMP[i + 1], scaled - i);
  }
  function byId(id) { return data.nodes.find(n => n.id === id); }
  function ci(node) { return node.score === null ? "—" : fmt(node.score) + " [" + fmt(node.ci_low) + ", " + fmt(node.ci_high) + "]"; }

  function drawHeader() {
    const a = data.archive, header = document.getElementById("run-header");
    header.innerHTML = "";
    html("h1", {}, header, "evolve archive · seed " + a.agent);
    const facts = html("div", { class: "facts" }, header);
    const counts = Object.entries(a.counts).map(([k, v]) => v + " " + k).join(", ");
    const items = [
      ["members", data.nodes.length + " (" + counts + ")"],
      ["tasks", a.tasks.join(", ")],
      ["generations × children", a.generations + " × " + a.children],
      ["meta agent", a.meta_backend],
      ["best", a.best === null ? "—" : "member " + a.best + " · " + ci(byId(a.best))],
    ];
    for (const [name, value] of items) {
      const span = html("span", {}, facts, name + " ");
      html("b", {}, span, String(value));
    }
  }

  function drawFilters() {
    const box = document.getElementById("filters");
    box.innerHTML = "";
    const group = html("span", { class: "group" }, box);
    html("span", { class: "group-name" }, group, "state:");
    for (const state of data.states.filter(s => data.nodes.some(n => n.state === s))) {
      const label = html("label", {}, group);
      const input = html("input", { type: "checkbox", "data-filter": "state", value: state }, label);
      input.checked = !hidden.has(state);
      input.addEventListener("change", () => { if (input.checked) hidden.delete(state); else hidden.add(state); drawTree(); });
      label.appendChild(document.createTextNode(" " + state + " (" + data.nodes.filter(n => n.state === state).length + ")"));
    }
    const legend = document.getElementById("legend");
    legend.innerHTML = "";
    html("span", {}, legend, "score: lowest");
    html("span", { class: "ramp" }, legend);
    html("span", {}, legend, "highest");
    const sample = (attrs, label) => {
      const svg = el("svg", { width: 16, height: 16 }, null);
      el("circle", Object.assign({ cx: 8, cy: 8, r: 6 }, attrs), svg);
      const span = html("span", {}, legend);
      span.appendChild(svg);
      span.appendChild(document.createTextNode(" " + label));
    };
    sample({ fill: "#fde0dc", stroke: "#d73027", "stroke-width": 2 }, "invalid");
    sample({ fill: "#fff", stroke: "#52606d", "stroke-dasharray": "3 2" }, "staged");
    sample({ fill: "#fff", stroke: "#f59e0b", "stroke-width": 3 }, "best");
  }

  function drawTree() {
    const svg = document.getElementById("tree");
    svg.innerHTML = "";
    const depth = Math.max(1, ...data.nodes.map(n => n.depth));
    const Y_STEP = 92;
    const columns = 1 + Math.max(0, ...data.nodes.map(n => n.x));
    const across = (document.getElementById("tree-scroll").clientWidth || 700) - MARGIN * 2 - LEFT;
    const X_STEP = Math.max(44, Math.min(90, across / columns));
    svg.setAttribute("width", LEFT + MARGIN * 2 + X_STEP * columns);
    svg.setAttribute("height", MARGIN * 2 + Y_STEP * depth + 20);
    const pos = {};
    for (const node of data.nodes) pos[node.id] = [LEFT + MARGIN + node.x * X_STEP, MARGIN + node.depth * Y_STEP];
    for (let g = 0; g <= depth; g++) el("text", { x: 6, y: MARGIN + g * Y_STEP + 4, class: "generation" }, svg, "gen " + g);
    const edges = el("g", {}, svg), nodes = el("g", {}, svg);
    for (const edge of data.edges) {
      const [x1, y1] = pos[edge.source], [x2, y2] = pos[edge.target];
      const dim = hidden.has(byId(edge.target).state) || hidden.has(byId(edge.source).state);
      const mid = (y1 + y2) / 2;
      el("path", { d: `M${x1},${y1 + RADIUS} C${x1},${mid} ${x2},${mid} ${x2},${y2 - RADIUS}`, class: "edge" + (dim ? " dimmed" : "") }, edges);
    }
    for (const node of data.nodes) {
      const [x, y] = pos[node.id];
      const classes = ["node", node.state];
      if (node.is_best) classes.push("best");
      if (selected === node.id) classes.push("selected");
      if (hidden.has(node.state)) classes.push("dimmed");
      const g = el("g", { class: classes.join(" "), "data-member": node.id, transform: `translate(${x},${y})`, tabindex: 0 }, nodes);
      el("circle", { r: RADIUS, fill: node.rank === null ? "#fff" : rampColour(node.rank) }, g);
      if (node.state === "invalid") {
        el("line", { x1: -5, y1: 8, x2: 5, y2: 18, class: "cross" }, g);
        el("line", { x1: 5, y1: 8, x2: -5, y2: 18, class: "cross" }, g);
      }
      const dark = node.rank !== null && node.rank > 0.55;
      el("text", { fill: dark ? "#fff" : "#1f2933", y: node.state === "invalid" ? -2 : 0 }, g, String(node.id));
      el("text", { class: "score", y: RADIUS + 11 }, g, node.state === "invalid" ? "invalid" : fmt(node.score));
      const what = node.state === "invalid" ? "invalid: " + node.reason : node.state + " · " + ci(node);
      el("title", {}, g, `member ${node.id} · gen ${node.generation} · ${what}\n${node.changes.join("\n")}`);
      g.addEventListener("click", () => select(node.id));
      g.addEventListener("keydown", event => { if (event.key === "Enter") select(node.id); });
    }
  }

  function drawMembers() {
    const box = document.getElementById("members");
    box.innerHTML = "";
    const table = html("table", { id: "members-table" }, box);
    const head = html("tr", {}, table);
    for (const name of ["id", "gen", "parent", "state", "score [95% CI]", "changed", "reason"]) html("th", {}, head, name);
    for (const node of data.nodes) {
      const tr = html("tr", { "data-member": node.id, class: (selected === node.id ? "selected " : "") + node.state }, table);
      html("td", {}, tr, String(node.id) + (node.is_best ? " ★" : ""));
      html("td", {}, tr, String(node.generation));
      html("td", {}, tr, node.parent === null ? "seed" : String(node.parent));
      html("td", {}, tr, node.state);
      html("td", {}, tr, ci(node));
      html("td", { class: "changed" }, tr, node.changes.length ? node.changes[0] + (node.changes.length > 1 ? " (+" + (node.changes.length - 1) + ")" : "") : "—");
      html("td", { class: "reason" }, tr, node.reason || "");
      tr.addEventListener("click", () => select(node.id));
    }
  }

  function drawDetails() {
    const pane = document.getElementById("details");
    const node = byId(selected);
    pane.innerHTML = "";
    if (!node) { html("p", { class: "hint" }, pane, "Click a member to see its score per task, what its edit changed and its diff from its parent."); return; }
    const title = html("h2", { id: "member-title" }, pane, `Member ${node.id} · generation ${node.generation}`);
    html("span", { class: "badge " + node.state }, title, node.state);
    if (node.is_best) html("span", { class: "badge best" }, title, "best");
    if (node.reason) html("p", { class: "error" }, pane, node.reason);
    const table = html("table", { class: "facts" }, pane);
    const row = (name, value) => { const tr = html("tr", {}, table); html("td", {}, tr, name); return html("td", {}, tr, value); };
    row("score [95% CI]", ci(node) + (node.score === null ? "" : " (mean normalised over its tasks)"));
    for (const [task, value] of Object.entries(node.tasks)) row("· " + task, fmt(value));
    if (node.holdout_score !== null) row("held-out tasks", fmt(node.holdout_score));
    row("parent", node.parent === null ? "— (the seed)" : "member " + node.parent + (node.selection_rule ? " (drawn by " + node.selection_rule + ")" : ""));
    row("meta agent", node.meta_backend || "—");
    row("content hash", node.hash || "—");
    const changed = row("changed", node.changes.length ? "" : "—");
    if (node.changes.length) {
      const list = html("ul", { class: "changes" }, changed);
      for (const line of node.changes) html("li", {}, list, line);
    }
    html("div", { class: "hint" }, pane, node.parent === null ? "The seed: no parent to compare with." : `Diff vs member ${node.parent} (+${node.diff_added} −${node.diff_removed})`);
    if (node.parent !== null) {
      const pre = html("pre", { class: "code", id: "member-diff" }, pane);
      if (node.diff_html) pre.innerHTML = node.diff_html; else pre.textContent = "(no change was stored)";
    }
    if (node.meta_answer) {  // what the meta agent wrote: an invalid child's reason read against it
      const box = html("details", node.state === "invalid" ? { id: "member-answer", open: "" } : { id: "member-answer" }, pane);
      html("summary", {}, box, "The meta agent's answer");
      html("pre", { class: "code" }, box, node.meta_answer);
    }
  }

  function select(id) { selected = id; drawTree(); drawMembers(); drawDetails(); }

  window.airlabArchive = { select: select, data: () => data };
  drawHeader();
  drawFilters();
  drawTree();
  drawMembers();
  const linked = /member=(\d+)/.exec(window.location.hash);  // archive.html#member=3
  select(linked && byId(Number(linked[1])) ? Number(linked[1]) : data.archive.best);
  window.addEventListener("resize", drawTree);
})();
