// The job graph drawn as a DAG in SVG (layout and figures in graph.js): the job view's graph with
// live figures on every vertex, and the SQL editor's small preview of the compiled plan.
import { html } from './lib.js';
import { layout, vertexStats, bpClass, throughput, statesLabel, watermarkLabel, opLabel, vertexTitle } from './graph.js';

const JOB = { w: 236, h: 110, gx: 84, gy: 24, pad: 16 };
const PLAN = { w: 196, h: 86, gx: 64, gy: 16, pad: 12 };

function short(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

function Edges({ edges, pos, box }) {
  return edges.map((e) => {
    const a = pos.get(e.from), b = pos.get(e.to);
    const x1 = a.x + box.w, y1 = a.y + box.h / 2, x2 = b.x - 2, y2 = b.y + box.h / 2, mx = (x1 + x2) / 2;
    const label = `${e.partitioning || ''}${e.keys && e.keys.length ? `(${e.keys.join(',')})` : ''}`;
    const room = Math.floor(box.gx / 6.2);
    const shown = label.length <= room ? label : (e.partitioning || '').length <= room ? e.partitioning : short(label, room);
    return html`<g data-edge=${e.id || `${e.from}->${e.to}`}><path class="edge" d=${`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} marker-end="url(#arrow)" />
      <text class="edge-label" x=${mx} y=${(y1 + y2) / 2 - 5} text-anchor="middle">${shown}<title>${label}</title></text></g>`;
  });
}

const arrow = html`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z" /></marker></defs>`;

// vertexLabel is the text a screen reader (and the tooltip) gives for one vertex of the job graph.
export function vertexLabel(v, sink, rate, note = 'no metrics yet') {
  const s = vertexStats(v);
  const parts = [`${vertexTitle(v)}: parallelism ${v.parallelism}`];
  if (!v.live && !v.metrics) parts.push(note);
  else {
    parts.push(throughput(s, sink, rate));
    if (v.live && v.live.ended) parts.push('the job has ended');
    else parts.push(s.backpressure === undefined ? 'backpressure n/a' : `backpressure ${Math.round(s.backpressure * 100)}%`);
    if (s.busy !== undefined) parts.push(`busy ${Math.round(s.busy * 100)}%`);
    if (s.states) parts.push(statesLabel(s.states));
    parts.push(watermarkLabel(s.watermark));
  }
  return parts.join(', ');
}

// JobGraph draws graph ({vertices, edges} from graph.js jobGraph): each vertex with its
// parallelism and operators and, once the scheduler reports them, its throughput, backpressure
// (colour), busy share, subtask states and watermark. rates maps vertex id to {in, out} records/s
// measured by the caller from successive counts. Vertices are focusable and labelled.
// note is what a vertex without figures says (default: it is only planned so far).
export function JobGraph({ graph, rates = {}, note = 'planned; no figures yet' }) {
  const { pos, edges, width, height } = layout(graph, JOB);
  return html`<div class="graph"><svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="group" aria-label="Job graph" data-testid="job-graph">
    ${arrow}
    <${Edges} edges=${edges} pos=${pos} box=${JOB} />
    ${graph.vertices.map((v) => {
      const p = pos.get(v.id), s = vertexStats(v);
      const sink = !edges.some((e) => e.from === v.id);
      const label = vertexLabel(v, sink, rates[v.id], note);
      const ops = (v.operators || []).map(opLabel);
      const measured = !!(v.live || v.metrics);
      const bp = s.backpressure === undefined ? 'backpressure n/a' : `backpressure ${Math.round(s.backpressure * 100)}%`;
      return html`<g class=${'vertex ' + (measured ? bpClass(s.backpressure) : 'planned')} transform=${`translate(${p.x},${p.y})`} tabindex="0" role="img" aria-label=${label} data-vertex=${v.id}>
        <title>${label}${ops.length ? '\noperators: ' + ops.join(' → ') : ''}</title>
        <rect width=${JOB.w} height=${JOB.h} rx="6" />
        <text class="title" x="10" y="20">${short(vertexTitle(v), 25)}</text>
        <text class="sub" x=${JOB.w - 10} y="20" text-anchor="end">×${v.parallelism}</text>
        ${measured ? html`<text class="sub" x="10" y="36">${short(ops.join(' → '), 30)}</text>
          <text class="rate" x="10" y="56" data-testid="throughput">${throughput(s, sink, rates[v.id])}</text>
          <text x="10" y="72">${v.live && v.live.ended ? 'the job has ended' : bp}${s.busy !== undefined ? ` · busy ${Math.round(s.busy * 100)}%` : ''}</text>
          <text x="10" y="88" data-testid="states">${short(statesLabel(s.states) || ' ', 32)}</text>
          <text class="sub" x="10" y="103">${watermarkLabel(s.watermark)}</text>`
        : html`${(ops.length > 4 ? [...ops.slice(0, 3), `+${ops.length - 3} more`] : ops).map((o, i) => html`<text class="sub" x="10" y=${38 + i * 15}>${short(o, 32)}</text>`)}
          <text class="sub" x="10" y="103">${note}</text>`}
      </g>`;
    })}
  </svg></div>`;
}

// PlanPreview draws a compiled plan (PlanGraph) small: vertices with their parallelism and
// operator chains, edges with their partitioning. One image with a text description.
export function PlanPreview({ plan }) {
  const graph = { vertices: plan.vertices || [], edges: plan.edges || [] };
  const { pos, edges, width, height } = layout(graph, PLAN);
  const describe = graph.vertices.map((v) => `${vertexTitle(v)} (parallelism ${v.parallelism}: ${(v.operators || []).map(opLabel).join(', ')})`).join('; ')
    + (edges.length ? '; edges: ' + edges.map((e) => `${e.from} to ${e.to} ${e.partitioning}${e.keys && e.keys.length ? ' by ' + e.keys.join(', ') : ''}`).join('; ') : '');
  return html`<div class="graph small-graph"><svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" data-testid="plan-graph"
      aria-label=${`Compiled plan: ${graph.vertices.length} vertices. ${describe}`}>
    ${arrow}
    <${Edges} edges=${edges} pos=${pos} box=${PLAN} />
    ${graph.vertices.map((v) => {
      const p = pos.get(v.id), ops = (v.operators || []).map(opLabel);
      const shown = ops.length > 4 ? [...ops.slice(0, 3), `+${ops.length - 3} more`] : ops;
      return html`<g class="vertex planned" transform=${`translate(${p.x},${p.y})`} data-plan-vertex=${v.id}>
        <title>${vertexTitle(v)}, parallelism ${v.parallelism}\n${ops.join(' → ')}</title>
        <rect width=${PLAN.w} height=${PLAN.h} rx="5" />
        <text class="title" x="8" y="17">${short(vertexTitle(v), 22)}</text>
        <text class="sub" x=${PLAN.w - 8} y="17" text-anchor="end">×${v.parallelism}</text>
        ${shown.map((o, i) => html`<text class="sub" x="8" y=${34 + i * 14}>${short(o, 30)}</text>`)}
      </g>`;
    })}
  </svg></div>`;
}
