// A run drawn on its graph: the definition's nodes as positioned buttons (rows by distance from
// the entry), its edges in an inline SVG — a router's edges drawn to the nodes the run went to
// after it — the path the run took highlighted with visit counts, and the node it stands at
// (next to run, paused at, or END) marked. Clicking a visited node shows the state at its last
// checkpoint. Elements carry data-node / data-visited / data-visits / data-current, and the
// edges data-from / data-to / data-kind / data-taken, for tests and styles.

import { h } from "./dom.js";

const END = "END";
const NODE = { w: 132, h: 48 };
const GAP = { x: 18, y: 40 };
const PAD = 12;
const SVG = "http://www.w3.org/2000/svg";

/**
 * The graph of `run` ({status, next}) from its `definition` ({entry, nodes, edges}) and its
 * `checkpoints` ([{step, node, next, state}]); `onSelect(name, checkpoint)` when a visited node is clicked.
 */
export function runGraph({ run, definition, checkpoints, onSelect }) {
  const model = graphModel(definition, checkpoints, run);
  const layout = place(model);
  const container = h("div", {
    class: "run-graph", role: "group", "aria-label": `Graph ${run.graph || ""} of run ${run.id}`,
    style: `width:${layout.width}px;height:${layout.height}px`,
  });
  container.append(edgesSVG(model, layout));
  for (const name of model.names) {
    const node = model.nodes[name];
    const at = layout.at.get(name);
    const visits = model.visits.get(name) || 0;
    const current = name === model.current;
    const last = model.lastCheckpoint.get(name);
    const parts = [name];
    if (node) parts.push(`${node.proto}>>${node.selector}`);
    parts.push(visits ? `visited ${visits} time${visits === 1 ? "" : "s"}` : name === END ? (model.ended ? "reached" : "not reached") : "not visited");
    if (current) parts.push(`current (${run.status})`);
    if (model.routers.has(name)) parts.push(`routed by ${model.routers.get(name)}`);
    const button = h("button", {
      type: "button", class: `graph-node${name === END ? " graph-end" : ""}`,
      style: `left:${at.x}px;top:${at.y}px;width:${NODE.w}px;height:${NODE.h}px`,
      disabled: !last, "aria-label": parts.join(", "),
      dataset: {
        node: name, visited: String(Boolean(last)), visits: String(visits), current: String(current),
        entry: String(name === definition.entry), ...(model.routers.has(name) ? { router: model.routers.get(name) } : {}),
      },
      onclick: (event) => {
        for (const other of container.querySelectorAll(".graph-node")) other.removeAttribute("aria-pressed");
        event.currentTarget.setAttribute("aria-pressed", "true");
        onSelect(name, last);
      },
    },
    h("span", { class: "graph-node-name" }, name),
    node ? h("span", { class: "graph-node-send" }, `${node.proto}>>${node.selector}`) : null,
    visits > 1 || (visits === 1 && name !== END) ? h("span", { class: "graph-node-visits", "aria-hidden": "true" }, `×${visits}`) : null,
    model.routers.has(name) ? h("span", { class: "graph-node-router", "aria-hidden": "true" }, `◆ ${model.routers.get(name)}`) : null);
    container.append(button);
  }
  return container;
}

/** Nodes, edges (static and the router's observed ones), visits, and where the run stands. */
export function graphModel(definition, checkpoints, run) {
  const nodes = definition && typeof definition.nodes === "object" && definition.nodes ? definition.nodes : {};
  const edgesOf = definition && typeof definition.edges === "object" && definition.edges ? definition.edges : {};
  const visits = new Map();
  const lastCheckpoint = new Map();
  const taken = new Map(); // "from\u0000to" → times the run went that way
  for (const checkpoint of checkpoints) {
    if (!checkpoint.node) continue;
    visits.set(checkpoint.node, (visits.get(checkpoint.node) || 0) + 1);
    lastCheckpoint.set(checkpoint.node, checkpoint);
    const key = `${checkpoint.node}\u0000${checkpoint.next}`;
    taken.set(key, (taken.get(key) || 0) + 1);
  }
  const ended = run.status === "done" || (checkpoints.length > 0 && checkpoints[checkpoints.length - 1].next === END && run.status !== "running");
  if (ended && checkpoints.length) lastCheckpoint.set(END, checkpoints[checkpoints.length - 1]);
  const routers = new Map();
  const edges = [];
  for (const [from, edge] of Object.entries(edgesOf)) {
    if (typeof edge === "string") {
      edges.push({ from, to: edge, kind: "direct" });
    } else if (edge && typeof edge === "object") {
      routers.set(from, `${edge.proto}>>${edge.selector}`);
      const targets = new Set(checkpoints.filter((c) => c.node === from).map((c) => c.next));
      for (const to of targets) edges.push({ from, to, kind: "router" });
    }
  }
  for (const edge of edges) edge.count = taken.get(`${edge.from}\u0000${edge.to}`) || 0;
  const names = [...Object.keys(nodes), END];
  const current = run.status === "done" ? END : run.next || (checkpoints.length ? checkpoints[checkpoints.length - 1].next : definition.entry);
  return { nodes, names, edges, visits, lastCheckpoint, routers, current, ended, entry: definition.entry };
}

/** Rows by distance from the entry (breadth first over the edges); unreached nodes below them, END last. */
function place(model) {
  const depth = new Map();
  const order = [];
  if (model.nodes[model.entry]) {
    depth.set(model.entry, 0);
    order.push(model.entry);
  }
  for (let i = 0; i < order.length; i += 1) {
    const from = order[i];
    for (const edge of model.edges) {
      if (edge.from !== from || edge.to === END || depth.has(edge.to) || !model.nodes[edge.to]) continue;
      depth.set(edge.to, depth.get(from) + 1);
      order.push(edge.to);
    }
  }
  let rows = order.length ? Math.max(...depth.values()) + 1 : 0;
  const unreached = Object.keys(model.nodes).filter((name) => !depth.has(name));
  for (const name of unreached) depth.set(name, rows);
  if (unreached.length) rows += 1;
  depth.set(END, rows);
  rows += 1;
  const byRow = Array.from({ length: rows }, () => []);
  for (const name of [...order, ...unreached, END]) byRow[depth.get(name)].push(name);
  const widest = Math.max(1, ...byRow.map((row) => row.length));
  const width = PAD * 2 + widest * NODE.w + (widest - 1) * GAP.x + 48; // room on the right for edges going back
  const at = new Map();
  byRow.forEach((row, index) => {
    const rowWidth = row.length * NODE.w + (row.length - 1) * GAP.x;
    const left = PAD + (width - 48 - PAD * 2 - rowWidth) / 2;
    row.forEach((name, column) => at.set(name, { x: Math.round(left + column * (NODE.w + GAP.x)), y: PAD + index * (NODE.h + GAP.y), row: index }));
  });
  return { at, width, height: PAD * 2 + rows * NODE.h + (rows - 1) * GAP.y };
}

function edgesSVG(model, layout) {
  const svg = svgElement("svg", { class: "graph-edges", width: layout.width, height: layout.height, "aria-hidden": "true" });
  const defs = svgElement("defs", {});
  for (const [id, cls] of [["arrow", "arrow"], ["arrow-taken", "arrow arrow-taken"]]) {
    const marker = svgElement("marker", { id: `graph-${id}`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.append(svgElement("path", { d: "M 0 0 L 10 5 L 0 10 z", class: cls }));
    defs.append(marker);
  }
  svg.append(defs);
  for (const edge of model.edges) {
    const from = layout.at.get(edge.from);
    const to = layout.at.get(edge.to);
    if (!from || !to) continue;
    const path = svgElement("path", {
      d: route(from, to),
      class: `graph-edge graph-edge-${edge.kind}${edge.count ? " graph-edge-taken" : ""}`,
      "marker-end": `url(#graph-${edge.count ? "arrow-taken" : "arrow"})`,
      "data-from": edge.from, "data-to": edge.to, "data-kind": edge.kind, "data-taken": String(edge.count > 0), "data-count": String(edge.count),
    });
    const title = svgElement("title", {});
    title.textContent = `${edge.from} → ${edge.to}${edge.kind === "router" ? ` (by ${model.routers.get(edge.from)})` : ""}${edge.count ? `, taken ${edge.count}×` : ""}`;
    path.append(title);
    svg.append(path);
  }
  return svg;
}

/** Down to a lower row: a curve from the bottom to the top; back up, across or to itself: a bow on the right. */
function route(from, to) {
  const fx = from.x + NODE.w / 2;
  const tx = to.x + NODE.w / 2;
  if (to.row > from.row) {
    const y1 = from.y + NODE.h;
    const y2 = to.y;
    const mid = (y1 + y2) / 2;
    return `M ${fx} ${y1} C ${fx} ${mid}, ${tx} ${mid}, ${tx} ${y2 - 1}`;
  }
  const x1 = from.x + NODE.w;
  const x2 = to.x + NODE.w;
  const y1 = from.y + NODE.h * 0.7;
  const y2 = to.y + NODE.h * 0.3;
  const bow = Math.max(x1, x2) + 36 + (from === to ? 0 : 8 * (from.row - to.row));
  return `M ${x1} ${y1} C ${bow} ${y1}, ${bow} ${y2}, ${x2 + 1} ${y2}`;
}

function svgElement(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  return el;
}
