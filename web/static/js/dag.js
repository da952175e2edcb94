// The job graph as a DAG in SVG: vertices laid out in layers (longest path from the sources),
// ordered within a layer by their parents' positions, joined by curved edges.
import { html } from './lib.js';
import { num } from './ui.js';

const W = 210, H = 78, GX = 80, GY = 26, PAD = 16;

// vertexMetrics finds a vertex's metrics, wherever the scheduler put them: on the vertex, under
// vertex.metrics, or under graph.metrics[vertex id]. Subtask lists are summed.
export function vertexMetrics(graph, v) {
  let m = v.metrics || (graph.metrics && graph.metrics[v.id]) || v;
  if (Array.isArray(m)) {
    const sum = {};
    for (const s of m) for (const [k, x] of Object.entries(s || {})) if (typeof x === 'number') sum[k] = k.includes('watermark') && !k.includes('lag') ? Math.min(sum[k] ?? Infinity, x) : (sum[k] || 0) + x;
    m = sum;
  }
  const pick = (...ks) => { for (const k of ks) if (typeof m[k] === 'number') return m[k]; return undefined; };
  let bp = pick('backpressure', 'backpressure_ratio', 'backpressured_ratio');
  const bpMs = pick('backpressured_ms'), busy = pick('busy_ms'), idle = pick('idle_ms');
  if (bp === undefined && bpMs !== undefined) {
    const total = (busy || 0) + (idle || 0) + bpMs;
    bp = total > 0 ? bpMs / total : 0;
  }
  if (bp !== undefined && bp > 1) bp /= 100; // a percentage
  return {
    recordsIn: pick('records_in'), recordsOut: pick('records_out'),
    rateIn: pick('records_in_per_second', 'records_in_rate', 'records_in_per_sec'),
    rateOut: pick('records_out_per_second', 'records_out_rate', 'records_out_per_sec'),
    backpressure: bp,
    watermark: pick('watermark', 'output_watermark'),
  };
}

export function layout(graph) {
  const vs = graph.vertices || [];
  const es = (graph.edges || []).filter((e) => vs.some((v) => v.id === e.from) && vs.some((v) => v.id === e.to));
  const layer = new Map(vs.map((v) => [v.id, 0]));
  for (let pass = 0; pass < vs.length; pass++) { // longest path; a cycle stops after |V| passes
    let changed = false;
    for (const e of es) if (layer.get(e.to) < layer.get(e.from) + 1) { layer.set(e.to, layer.get(e.from) + 1); changed = true; }
    if (!changed) break;
  }
  const layers = [];
  for (const v of vs) (layers[layer.get(v.id)] ||= []).push(v.id);
  const pos = new Map();
  layers.forEach((ids, li) => {
    if (li > 0) {
      const bary = (id) => {
        const ps = es.filter((e) => e.to === id).map((e) => pos.get(e.from)).filter(Boolean).map((p) => p.row);
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
      };
      ids.sort((a, b) => bary(a) - bary(b));
    }
    ids.forEach((id, row) => pos.set(id, { layer: li, row }));
  });
  const rows = Math.max(1, ...layers.map((l) => (l ? l.length : 0)));
  const height = PAD * 2 + rows * H + (rows - 1) * GY;
  for (const [id, p] of pos) {
    const n = layers[p.layer].length;
    const off = (height - PAD * 2 - (n * H + (n - 1) * GY)) / 2;
    pos.set(id, { ...p, x: PAD + p.layer * (W + GX), y: PAD + off + p.row * (H + GY) });
  }
  return { pos, edges: es, width: PAD * 2 + layers.length * W + Math.max(0, layers.length - 1) * GX, height };
}

export function bpClass(bp) {
  if (bp === undefined) return '';
  return bp < 0.1 ? 'bp-ok' : bp < 0.5 ? 'bp-warn' : 'bp-bad';
}

function wm(ms) {
  if (ms === undefined || ms <= -9e15 || ms >= 9e15) return 'no watermark';
  return 'wm ' + new Date(ms).toISOString().slice(11, 19);
}

function short(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

// JobGraph draws the graph; rates maps vertex id to {in, out} records/s measured by the caller.
export function JobGraph({ graph, rates = {} }) {
  const { pos, edges, width, height } = layout(graph);
  return html`<div class="graph"><svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="group" aria-label="Job graph" data-testid="job-graph">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z" /></marker></defs>
    ${edges.map((e) => {
      const a = pos.get(e.from), b = pos.get(e.to);
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      return html`<g><path class="edge" d=${`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} marker-end="url(#arrow)" />
        <text class="edge-label" x=${mx} y=${(y1 + y2) / 2 - 5} text-anchor="middle">${e.partitioning || ''}${e.keys && e.keys.length ? `(${e.keys.join(',')})` : ''}</text></g>`;
    })}
    ${(graph.vertices || []).map((v) => {
      const p = pos.get(v.id), m = vertexMetrics(graph, v), r = rates[v.id] || {};
      const out = m.rateOut ?? r.out, inn = m.rateIn ?? r.in;
      const name = v.name || v.id;
      const bp = m.backpressure === undefined ? 'backpressure n/a' : `backpressure ${Math.round(m.backpressure * 100)}%`;
      // A vertex with outgoing edges shows its output rate, a sink its input rate.
      const sink = !edges.some((e) => e.from === v.id);
      const thr = !sink && out !== undefined ? `${num(out)} rec/s out` : inn !== undefined ? `${num(inn)} rec/s in`
        : out !== undefined ? `${num(out)} rec/s out` : m.recordsOut !== undefined ? `${num(m.recordsOut)} records out` : 'no metrics yet';
      const label = `${name}: parallelism ${v.parallelism}, ${thr}, ${bp}, ${wm(m.watermark)}`;
      return html`<g class=${'vertex ' + bpClass(m.backpressure)} transform=${`translate(${p.x},${p.y})`} tabindex="0" role="img" aria-label=${label} data-vertex=${v.id}>
        <title>${label}${v.operators ? '\noperators: ' + v.operators.map((o) => o.kind).join(' → ') : ''}</title>
        <rect width=${W} height=${H} rx="6" />
        <text class="title" x="10" y="20">${short(name, 26)}</text>
        <text class="sub" x=${W - 10} y="20" text-anchor="end">×${v.parallelism}</text>
        <text x="10" y="40">${thr}</text>
        <text x="10" y="58">${bp}</text>
        <text class="sub" x="10" y="72">${wm(m.watermark)}</text>
      </g>`;
    })}
  </svg></div>`;
}
