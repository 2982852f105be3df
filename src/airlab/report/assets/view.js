// airlab run view: draws the data that airlab.report.viewmodel prepared; decides nothing itself.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const RADIUS = 14, MARGIN = 36;
  const RAMP = ["#fff7bc", "#a1d99b", "#1a9850", "#00441b"];
  const STATUS_COLOUR = { good: "#1a9850", buggy: "#d73027", lost: "#9e3dbd", proposed: "#9aa5b1", running: "#9aa5b1" };
  let data = JSON.parse(document.getElementById("airlab-data").textContent);
  let selected = null;
  const hidden = { status: new Set(), operator: new Set() };
  let activeTab = "code";

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
    if (typeof value === "number") return value.toFixed(digits === undefined ? 4 : digits);
    return String(value);
  }
  function seconds(value) { return value === null || value === undefined ? "—" : value.toFixed(1) + " s"; }
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
  function nodeFill(node) { return node.status === "good" && node.rank !== null ? rampColour(node.rank) : "#fff"; }
  function byId(id) { return data.nodes.find(n => n.id === id); }
  function visible(node) { return !hidden.status.has(node.status) && !hidden.operator.has(node.operator); }

  // ---- header ------------------------------------------------------------------------------
  function drawHeader() {
    const run = data.run, header = document.getElementById("run-header");
    header.innerHTML = "";
    const title = html("h1", {}, header, run.task + " · " + run.agent + " · " + run.name);
    if (run.live) html("span", { class: "live" }, title, "live");
    const facts = html("div", { class: "facts" }, header);
    const scores = run.scores || {};
    const counts = run.counts;
    const items = [
      ["metric", run.metric + " (" + run.direction + ")"],
      ["status", run.status + (run.stop_reason ? " — " + run.stop_reason : "")],
      ["nodes", data.nodes.length + " (" + counts.good + " good, " + counts.buggy + " buggy" + (counts.lost ? ", " + counts.lost + " lost" : "") + ")"],
      ["final node", run.final_node === null ? "—" : run.final_node],
      ["search / select / test", fmt(scores.search) + " / " + fmt(scores.select) + " / " + fmt(scores.test)],
      ["baseline", fmt(run.baseline)],
      ["elapsed", run.elapsed_s === null || run.elapsed_s === undefined ? "—" : run.elapsed_s.toFixed(0) + " s"],
      ["tokens", run.tokens_in + " in / " + run.tokens_out + " out · $" + run.cost_usd.toFixed(4)],
    ];
    for (const [name, value] of items) {
      const span = html("span", {}, facts, name + " ");
      html("b", {}, span, String(value));
    }
    document.title = "airlab · " + run.task + " · " + run.name;
  }

  // ---- filters and legend ------------------------------------------------------------------
  function drawFilters() {
    const box = document.getElementById("filters");
    box.innerHTML = "";
    const groups = [["status", data.statuses.filter(s => data.nodes.some(n => n.status === s))], ["operator", data.operators]];
    for (const [kind, values] of groups) {
      const group = html("span", { class: "group" }, box);
      html("span", { class: "group-name" }, group, kind + ":");
      for (const value of values) {
        const label = html("label", {}, group);
        const input = html("input", { type: "checkbox", "data-filter": kind, value: value }, label);
        input.checked = !hidden[kind].has(value);
        input.addEventListener("change", () => {
          if (input.checked) hidden[kind].delete(value); else hidden[kind].add(value);
          drawTree();
        });
        label.appendChild(document.createTextNode(" " + value + " (" + data.nodes.filter(n => n[kind] === value).length + ")"));
      }
    }
    const legend = document.getElementById("legend");
    legend.innerHTML = "";
    html("span", {}, legend, "search score rank: worst");
    html("span", { class: "ramp" }, legend);
    html("span", {}, legend, "best");
    const sample = (cls, label) => {
      const svg = el("svg", { width: 16, height: 16 }, null);
      if (cls === "final") el("circle", { cx: 8, cy: 8, r: 6, fill: "#fff", stroke: "#f59e0b", "stroke-width": 3 }, svg);
      else if (cls === "buggy") el("circle", { cx: 8, cy: 8, r: 6, fill: "#fde0dc", stroke: "#d73027", "stroke-width": 2 }, svg);
      else el("line", { x1: 1, y1: 8, x2: 15, y2: 8, stroke: "#2563eb", "stroke-width": 3 }, svg);
      const span = html("span", {}, legend);
      span.appendChild(svg);
      span.appendChild(document.createTextNode(" " + label));
    };
    sample("buggy", "buggy");
    sample("final", "final node");
    sample("path", "path to final");
  }

  // ---- tree --------------------------------------------------------------------------------
  function drawTree() {
    const svg = document.getElementById("tree");
    svg.innerHTML = "";
    const depth = Math.max(1, ...data.nodes.map(n => n.depth));
    // levels spread over the panel's height (within bounds) so shallow trees do not huddle at the top
    const room = (document.getElementById("tree-scroll").clientHeight || 400) - MARGIN * 2 - 20;
    const Y_STEP = Math.max(70, Math.min(130, room / depth));
    const columns = 1 + Math.max(0, ...data.nodes.map(n => n.x));
    const across = (document.getElementById("tree-scroll").clientWidth || 700) - MARGIN * 2;
    const X_STEP = Math.max(34, Math.min(56, across / columns));
    const width = MARGIN * 2 + X_STEP * columns;
    const height = MARGIN * 2 + Y_STEP * depth + 20;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const pos = {};
    for (const node of data.nodes) pos[node.id] = [MARGIN + node.x * X_STEP, MARGIN + node.depth * Y_STEP];
    const edges = el("g", {}, svg), labels = el("g", {}, svg), nodes = el("g", {}, svg);
    for (const edge of data.edges) {
      const [x1, y1] = pos[edge.source], [x2, y2] = pos[edge.target];
      const child = byId(edge.target), parent = byId(edge.source);
      const dim = !(visible(child) && visible(parent));
      const mid = (y1 + y2) / 2;
      el("path", {
        d: `M${x1},${y1 + RADIUS} C${x1},${mid} ${x2},${mid} ${x2},${y2 - RADIUS}`,
        class: "edge" + (edge.primary ? "" : " secondary") + (edge.on_best_path ? " best" : "") + (dim ? " dimmed" : ""),
      }, edges);
      if (edge.primary) {
        el("text", { x: x2 + 3, y: y2 - RADIUS - 9, class: "edge-label" + (dim ? " dimmed" : "") }, labels, edge.operator);
      }
    }
    for (const node of data.nodes) {
      const [x, y] = pos[node.id];
      const classes = ["node", node.status];
      if (node.is_final) classes.push("final");
      if (node.on_best_path) classes.push("on-path");
      if (selected === node.id) classes.push("selected");
      if (!visible(node)) classes.push("dimmed");
      const g = el("g", { class: classes.join(" "), "data-node": node.id, transform: `translate(${x},${y})`, tabindex: 0 }, nodes);
      el("circle", { r: RADIUS, fill: nodeFill(node) }, g);
      if (node.status === "buggy") {
        el("line", { x1: -5, y1: 8, x2: 5, y2: 18, class: "cross" }, g);
        el("line", { x1: 5, y1: 8, x2: -5, y2: 18, class: "cross" }, g);
      }
      const dark = node.status === "good" && node.rank !== null && node.rank > 0.55;
      el("text", { fill: dark ? "#fff" : "#1f2933", y: node.status === "buggy" ? -2 : 0 }, g, String(node.id));
      if (node.is_final) el("text", { class: "final-badge", y: RADIUS + 12 }, g, "final");
      const score = node.status === "good" ? fmt(node.search_score) : (node.failure || node.status);
      el("title", {}, g, `node ${node.id} · ${node.operator} · ${score}\n${node.plan}`);
      g.addEventListener("click", () => select(node.id));
      g.addEventListener("keydown", event => { if (event.key === "Enter") select(node.id); });
    }
  }

  // ---- details -----------------------------------------------------------------------------
  function select(id) {
    selected = id;
    drawTree();
    drawDetails();
  }

  function factsTable(parent, rows) {
    const table = html("table", { class: "facts" }, parent);
    for (const [name, value, note] of rows) {
      const tr = html("tr", {}, table);
      html("td", {}, tr, name);
      const td = html("td", {}, tr, String(value));
      if (note) html("div", { class: "hidden-note" }, td, note);
    }
    return table;
  }

  function drawDetails() {
    const pane = document.getElementById("details");
    const node = byId(selected);
    pane.innerHTML = "";
    if (!node) { html("p", { class: "hint" }, pane, "Click a node to see its plan, code, diff against its parent, output and scores."); return; }
    const title = html("h2", { id: "node-title" }, pane, `Node ${node.id} · ${node.operator}`);
    html("span", { class: "badge " + node.status }, title, node.status);
    if (node.is_final) html("span", { class: "badge final" }, title, "final");
    if (node.plan) html("div", { class: "plan", id: "node-plan" }, pane, node.plan);
    if (node.error || node.failure) html("p", { class: "error" }, pane, (node.failure || "") + (node.error ? ": " + node.error : ""));
    const rows = [
      ["search score", fmt(node.search_score), "hidden split, the fitness the policy saw"],
      ["self-reported", fmt(node.self_reported_score), "printed by the solution about itself"],
    ];
    if (node.is_final) {
      rows.push(["select score", fmt(node.select_score), "hidden during the search: used only to choose the final node"]);
      rows.push(["test score", fmt(node.test_score), "hidden during the search: scored once, for the final node"]);
    }
    rows.push(
      ["parents", node.parents.length ? node.parents.join(", ") : "— (a root)"],
      ["why", node.note || "—"],
      ["worker", (node.worker || "—") + (node.sandbox ? " · " + node.sandbox : "")],
      ["timings", `written in ${seconds(node.generation_seconds)} · ran ${seconds(node.exec_seconds)} · started ${seconds(node.started_s)} · finished ${seconds(node.finished_s)} after run start`],
      ["resources", `exit code ${node.exit_code === null ? "—" : node.exit_code} · peak memory ${node.peak_memory_mb === null ? "—" : node.peak_memory_mb.toFixed(0) + " MB"} · attempts ${node.attempts}`],
      ["tokens · cost", `${node.tokens_in} in / ${node.tokens_out} out · $${node.cost_usd.toFixed(4)}`],
    );
    factsTable(pane, rows).id = "node-facts";
    const tabs = [
      ["code", node.is_text ? `Text (${node.code_lines} lines)` : `Code (${node.code_lines} lines)`],
      ...(node.is_text ? [["verdicts", `Verdicts (${node.verdicts.length})`]] : []),
      ["diff", node.diff_parent === null ? "Diff" : `Diff vs node ${node.diff_parent} (+${node.diff_added} −${node.diff_removed})`],
      ["output", "Output"],
      ["transcript", `Transcript (${node.transcript.length})`],
      ["meta", "Meta"],
    ];
    const bar = html("div", { class: "tabs", role: "tablist" }, pane);
    const body = html("div", { id: "tab-body" }, pane);
    for (const [name, label] of tabs) {
      const button = html("button", { "data-tab": name, role: "tab" }, bar, label);
      if (name === activeTab) button.classList.add("active");
      button.addEventListener("click", () => { activeTab = name; drawDetails(); });
    }
    if (activeTab === "code") {
      const pre = html("pre", { class: "code", id: "node-code" }, body);
      pre.innerHTML = node.code_html || "<span class=\"c1\"># no code</span>";
    } else if (activeTab === "verdicts") {
      drawVerdicts(node, body);
    } else if (activeTab === "diff") {
      const pre = html("pre", { class: "code", id: "node-diff" }, body);
      if (node.diff_parent === null) pre.textContent = "A root node: there is no parent to compare with.";
      else pre.innerHTML = node.diff_html || "(same code as its parent)";
    } else if (activeTab === "output") {
      html("div", { class: "hint" }, body, "stdout (tail)");
      html("pre", { class: "text", id: "node-stdout" }, body, node.stdout_tail || "(empty)");
      html("div", { class: "hint" }, body, "stderr (tail)");
      html("pre", { class: "text", id: "node-stderr" }, body, node.stderr_tail || "(empty)");
    } else if (activeTab === "transcript") {
      if (!node.transcript.length) html("p", { class: "hint" }, body, "No transcript: this backend writes code in one step.");
      for (const message of node.transcript) {
        const box = html("div", { class: "message" }, body);
        html("div", { class: "role" }, box, message.role);
        html("pre", {}, box, message.text);
      }
    } else {
      html("pre", { class: "text" }, body, JSON.stringify(node.meta, null, 2));
    }
  }

  function drawVerdicts(node, body) {
    if (!node.verdicts.length) { html("p", { class: "hint" }, body, "No verdicts: the text was not judged."); return; }
    html("p", { class: "hint" }, body, node.is_final
      ? "The judge's verdict on each rubric item; select and test items were hidden from the search."
      : "The judge's verdict on each search item (the select and test items are shown for the final node only).");
    const table = html("table", { class: "facts", id: "node-verdicts" }, body);
    const head = html("tr", {}, table);
    for (const name of ["split", "item", "verdict", "justification"]) html("th", {}, head, name);
    for (const v of node.verdicts) {
      const row = html("tr", { class: "verdict " + (v.failure ? "failed" : v.value >= 1 ? "met" : "unmet") }, table);
      html("td", {}, row, v.split);
      html("td", {}, row, `${v.item_id} ${v.text}`);
      html("td", {}, row, v.failure ? "failed: " + v.failure : fmt(v.value, 2));
      html("td", {}, row, v.justification || "—");
    }
  }

  // ---- charts ------------------------------------------------------------------------------
  function axes(svg, w, h, pad, xmax, ymin, ymax, xlabel) {
    el("line", { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: "axis" }, svg);
    el("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: "axis" }, svg);
    el("text", { x: pad.l - 4, y: pad.t + 4, class: "tick", "text-anchor": "end" }, svg, fmt(ymax, 3));
    el("text", { x: pad.l - 4, y: h - pad.b, class: "tick", "text-anchor": "end" }, svg, fmt(ymin, 3));
    el("text", { x: w - pad.r, y: h - pad.b + 12, class: "tick", "text-anchor": "end" }, svg, fmt(xmax, 0) + " " + xlabel);
    el("text", { x: pad.l, y: h - pad.b + 12, class: "tick" }, svg, "0");
  }

  function drawCurve() {
    const svg = document.getElementById("curve");
    svg.innerHTML = "";
    const w = svg.clientWidth || 400, h = svg.clientHeight || 150, pad = { l: 44, r: 8, t: 8, b: 18 };
    const points = data.curve;
    const scores = points.filter(p => p.score !== null).map(p => p.score);
    if (!scores.length) { el("text", { x: 10, y: 20, class: "tick" }, svg, "no good candidate yet"); return; }
    const ymin = Math.min(...scores), ymax = Math.max(...scores), span = (ymax - ymin) || 1;
    const xmax = points.length;
    const sx = c => pad.l + (w - pad.l - pad.r) * c / Math.max(1, xmax);
    const sy = v => h - pad.b - (h - pad.t - pad.b) * (v - ymin) / span;
    axes(svg, w, h, pad, xmax, ymin, ymax, "candidates");
    let path = "";
    for (const p of points) if (p.best !== null) path += (path ? " L" : "M") + sx(p.candidates) + "," + sy(p.best);
    el("path", { d: path, class: "best-line" }, svg);
    for (const p of points) {
      if (p.score === null) continue;
      const dot = el("circle", { cx: sx(p.candidates), cy: sy(p.score), r: 3, fill: "#52606d", class: "dot" }, svg);
      el("title", {}, dot, `node ${p.node}: ${fmt(p.score)} (best ${fmt(p.best)})`);
      dot.addEventListener("click", () => select(p.node));
    }
  }

  function drawTimeline() {
    const svg = document.getElementById("timeline");
    svg.innerHTML = "";
    const w = svg.clientWidth || 400, h = svg.clientHeight || 150, pad = { l: 64, r: 8, t: 6, b: 18 };
    const bars = data.timeline;
    if (!bars.length) { el("text", { x: 10, y: 20, class: "tick" }, svg, "nothing ran yet"); return; }
    const workers = [...new Set(bars.map(b => b.worker))].sort();
    const tmax = Math.max(...bars.map(b => b.end)) || 1;
    const row = (h - pad.t - pad.b) / workers.length;
    const sx = t => pad.l + (w - pad.l - pad.r) * t / tmax;
    el("line", { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: "axis" }, svg);
    el("text", { x: w - pad.r, y: h - pad.b + 12, class: "tick", "text-anchor": "end" }, svg, tmax.toFixed(0) + " s");
    workers.forEach((worker, i) => el("text", { x: pad.l - 4, y: pad.t + row * (i + 0.5), class: "tick", "text-anchor": "end", "dominant-baseline": "central" }, svg, worker));
    for (const bar of bars) {
      const i = workers.indexOf(bar.worker);
      const node = byId(bar.node);
      const fill = node && node.status === "good" && node.rank !== null ? rampColour(node.rank) : (STATUS_COLOUR[bar.status] || "#9aa5b1");
      const rect = el("rect", { x: sx(bar.start), y: pad.t + row * i + 2, width: Math.max(2, sx(bar.end) - sx(bar.start)), height: Math.max(4, row - 4), fill: fill, class: "bar", "data-node": bar.node }, svg);
      el("title", {}, rect, `node ${bar.node} (${bar.operator}, ${bar.status}): ${bar.start.toFixed(1)}–${bar.end.toFixed(1)} s`);
      rect.addEventListener("click", () => select(bar.node));
    }
  }

  function drawAll() {
    drawHeader();
    drawFilters();
    drawTree();
    drawCurve();
    drawTimeline();
    drawDetails();
  }

  // ---- live refresh (airlab view --serve) ---------------------------------------------------
  async function poll() {
    try {
      const response = await fetch("data.json", { cache: "no-store" });
      if (response.ok) {
        const fresh = await response.json();
        if (JSON.stringify(fresh.nodes) !== JSON.stringify(data.nodes) || fresh.run.status !== data.run.status) {
          data = fresh;
          drawAll();
        }
      }
    } catch (error) { /* the server stopped; keep the last view */ }
  }

  window.airlabView = { select: select, data: () => data };
  drawAll();
  window.addEventListener("resize", () => { drawTree(); drawCurve(); drawTimeline(); });
  if (data.run.live) setInterval(poll, 2000);
})();
