// Draws the small subset of Mermaid that webgrad writes (`graph TD`, nodes `id["label"]` or
// `id(["label"])`, edges `a --> b`) as an SVG, layered top-down by longest path from the sources,
// so the demos need no diagram library. Anything else in the text is ignored.

const SVG = 'http://www.w3.org/2000/svg';
const NODE = /^\s*(\w+)(\(\[|\[)"(.*)"(\]\)|\])\s*$/;
const EDGE = /^\s*(\w+)\s*-->\s*(\w+)\s*$/;

/** Nodes (id → { label, rounded }) and edges ([from, to]) of a `graph TD` text. */
export function parseMermaid(text) {
  const nodes = new Map();
  const edges = [];
  for (const line of text.split('\n')) {
    const node = NODE.exec(line);
    if (node) {
      nodes.set(node[1], { label: node[3], rounded: node[2] === '([' });
      continue;
    }
    const edge = EDGE.exec(line);
    if (edge) {
      edges.push([edge[1], edge[2]]);
      for (const id of [edge[1], edge[2]]) if (!nodes.has(id)) nodes.set(id, { label: id, rounded: false });
    }
  }
  return { nodes, edges };
}

/** Each node's layer: 0 for nodes nothing points to, else one more than its deepest predecessor. */
function layers(nodes, edges) {
  const layer = new Map([...nodes.keys()].map((id) => [id, 0]));
  // Longest path by relaxation; a graph of n nodes settles within n passes (cycles are cut there).
  for (let pass = 0; pass < nodes.size; pass++) {
    let changed = false;
    for (const [from, to] of edges) {
      if (layer.get(to) < layer.get(from) + 1) {
        layer.set(to, layer.get(from) + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

function svgElement(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** An SVG drawing of the graph, `color` for op boxes; rounded boxes are the graph's inputs. */
export function drawMermaid(text, { nodeWidth = 150, nodeHeight = 34, gapX = 24, gapY = 44, color = '#2563eb' } = {}) {
  const { nodes, edges } = parseMermaid(text);
  const layer = layers(nodes, edges);
  const rows = [];
  for (const [id, depth] of layer) (rows[depth] ??= []).push(id);
  const widest = Math.max(1, ...rows.map((row) => row.length));
  const width = widest * (nodeWidth + gapX) + gapX;
  const height = rows.length * (nodeHeight + gapY) + gapY;
  const position = new Map();
  rows.forEach((row, depth) => {
    const offset = (width - row.length * (nodeWidth + gapX) + gapX) / 2;
    row.forEach((id, k) => position.set(id, { x: offset + k * (nodeWidth + gapX), y: gapY / 2 + depth * (nodeHeight + gapY) }));
  });

  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  const marker = svgElement('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svgElement('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#555' }));
  const defs = svgElement('defs', {});
  defs.append(marker);
  svg.append(defs);
  for (const [from, to] of edges) {
    const a = position.get(from);
    const b = position.get(to);
    const [x1, y1, x2, y2] = [a.x + nodeWidth / 2, a.y + nodeHeight, b.x + nodeWidth / 2, b.y];
    // An edge that skips layers (a residual connection) bows out to the right of the boxes it passes.
    const skips = layer.get(to) - layer.get(from) > 1;
    const bow = nodeWidth / 2 + gapX;
    svg.append(svgElement('path', {
      d: skips ? `M ${x1 + nodeWidth / 4} ${y1} C ${x1 + bow} ${y1 + gapY}, ${x2 + bow} ${y2 - gapY}, ${x2 + nodeWidth / 4} ${y2}` : `M ${x1} ${y1} L ${x2} ${y2}`,
      fill: 'none', stroke: '#555', 'stroke-width': 1.2, 'marker-end': 'url(#arrow)',
    }));
  }
  for (const [id, { label, rounded }] of nodes) {
    const { x, y } = position.get(id);
    const group = svgElement('g', { 'data-node': id });
    group.append(svgElement('rect', {
      x, y, width: nodeWidth, height: nodeHeight, rx: rounded ? nodeHeight / 2 : 4,
      fill: rounded ? '#f3f4f6' : '#eef2ff', stroke: rounded ? '#6b7280' : color, 'stroke-width': 1.2,
    }));
    const caption = svgElement('text', { x: x + nodeWidth / 2, y: y + nodeHeight / 2 + 4, 'text-anchor': 'middle', 'font-size': 11, 'font-family': 'ui-monospace, monospace' });
    // About 6.5 px per character at 11 px monospace.
    const fits = Math.floor((nodeWidth - 8) / 6.6);
    caption.textContent = label.length > fits ? `${label.slice(0, fits - 1)}…` : label;
    group.append(caption);
    svg.append(group);
  }
  return svg;
}
