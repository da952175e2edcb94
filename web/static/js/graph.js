// The job graph's data, without any drawing (node runs these in units.mjs): the planned graph of a
// deployment merged with the scheduler's live vertices, per-vertex figures, and the layered layout.

const ended = new Set(['FINISHED', 'CANCELED', 'FAILED', 'SUSPENDED']);

// jobEnded says whether a job's attempt is over (its figures no longer move).
export function jobEnded(job) { return !!job && ended.has(job.status); }

// jobGraph is the graph the job view draws: the deployment's plan (PlanGraph: vertices and edges
// as the SQL planner compiled them) with each vertex's live figures (JobVertex, matched by id)
// under `live`. Without a plan it falls back to the execution graph the scheduler reported. Once
// the job has ended only its totals and last watermark are kept: rates and backpressure are stale.
export function jobGraph(job) {
  if (!job) return { vertices: [], edges: [] };
  if (ended.has(job.status) && job.vertices) {
    job = { ...job, vertices: job.vertices.map(({ id, name, parallelism, records_in, records_out, watermark }) => ({ id, name, parallelism, records_in, records_out, watermark, ended: true })) };
  }
  let g = job.plan;
  if (!g || !(g.vertices || []).length) {
    const reported = job.graph || {};
    g = reported.graph && reported.graph.vertices ? reported.graph : reported;
  }
  const live = new Map((job.vertices || []).map((v) => [v.id, v]));
  const vertices = (g.vertices || []).map((v) => ({ ...v, live: live.get(v.id) }));
  // A live vertex the plan does not know (an older plan) is still shown.
  for (const [id, v] of live) if (!vertices.some((x) => x.id === id)) vertices.push({ id, name: v.name, parallelism: v.parallelism, operators: [], live: v });
  return { vertices, edges: g.edges || [] };
}

// vertexStats reads one vertex's figures: the scheduler's JobVertex (under v.live), else metrics
// on the vertex itself or under v.metrics (a list of subtask metrics is summed).
export function vertexStats(v) {
  let m = v.live || v.metrics || v;
  if (Array.isArray(m)) {
    const sum = {};
    for (const s of m) for (const [k, x] of Object.entries(s || {})) if (typeof x === 'number') sum[k] = k === 'watermark' ? Math.min(sum[k] ?? Infinity, x) : (sum[k] || 0) + x;
    m = sum;
  }
  const pick = (...ks) => { for (const k of ks) if (typeof m[k] === 'number') return m[k]; return undefined; };
  let bp = pick('backpressure');
  const bpMs = pick('backpressured_ms'), busyMs = pick('busy_ms'), idleMs = pick('idle_ms');
  if (bp === undefined && bpMs !== undefined) {
    const total = (busyMs || 0) + (idleMs || 0) + bpMs;
    bp = total > 0 ? bpMs / total : 0;
  }
  if (bp !== undefined && bp > 1) bp /= 100; // a percentage
  return {
    recordsIn: pick('records_in'), recordsOut: pick('records_out'),
    rateIn: pick('records_in_per_sec', 'records_in_per_second'),
    rateOut: pick('records_out_per_sec', 'records_out_per_second'),
    backpressure: bp, busy: pick('busy'),
    watermark: pick('watermark'),
    states: m.states && typeof m.states === 'object' ? m.states : undefined,
  };
}

export function bpClass(bp) {
  if (bp === undefined) return '';
  return bp < 0.1 ? 'bp-ok' : bp < 0.5 ? 'bp-warn' : 'bp-bad';
}

// num formats a count or rate briefly: 950, 5.2k, 1.3M.
export function num(n) {
  if (n == null || Number.isNaN(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(Math.round(n * 10) / 10);
}

// throughput is what a vertex box says about its rate: a vertex with outgoing edges its output, a
// sink (no outgoing edge) its input. rates are the caller's own measurements, used when the
// scheduler reports counts without rates.
export function throughput(s, sink, rate = {}) {
  const out = s.rateOut ?? rate.out, inn = s.rateIn ?? rate.in;
  if (!sink && out !== undefined) return `${num(out)} rec/s out`;
  if (inn !== undefined) return `${num(inn)} rec/s in`;
  if (out !== undefined) return `${num(out)} rec/s out`;
  if (!sink && s.recordsOut !== undefined) return `${num(s.recordsOut)} records out`;
  if (s.recordsIn !== undefined) return `${num(s.recordsIn)} records in`;
  if (s.recordsOut !== undefined) return `${num(s.recordsOut)} records out`;
  return 'no metrics yet';
}

// statesLabel says how many subtasks are in which state: "2 running", "1 running, 1 deploying".
export function statesLabel(states) {
  if (!states) return '';
  const parts = Object.entries(states).filter(([, n]) => n > 0).sort(([a], [b]) => (a === 'RUNNING' ? -1 : b === 'RUNNING' ? 1 : a.localeCompare(b)));
  return parts.map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ');
}

export function watermarkLabel(ms) {
  if (ms === undefined || ms <= -9e15 || ms >= 9e15) return 'no watermark';
  return 'watermark ' + new Date(ms).toISOString().slice(11, 19);
}

// opLabel names an operator of the plan briefly: "source bids (datagen)", "group aggregate".
export function opLabel(o) {
  const kind = String(o.kind || '').replace(/^sql\./, '').replace(/_/g, ' ');
  if (!o.table) return kind;
  return `${kind} ${o.table}${o.connector ? ` (${o.connector})` : ''}`;
}

// vertexTitle is a vertex's display name: the planner's name, or failing that its id.
export function vertexTitle(v) { return v.name || v.id; }

// layout places vertices in layers (longest path from the sources), ordered within a layer by
// their parents' positions; box is {w, h, gx, gy, pad}.
export function layout(graph, box) {
  const { w: W, h: H, gx: GX, gy: GY, pad: PAD } = box;
  const vs = graph.vertices || [];
  const ids = new Set(vs.map((v) => v.id));
  const es = (graph.edges || []).filter((e) => ids.has(e.from) && ids.has(e.to));
  const layer = new Map(vs.map((v) => [v.id, 0]));
  for (let pass = 0; pass < vs.length; pass++) { // longest path; a cycle stops after |V| passes
    let changed = false;
    for (const e of es) if (layer.get(e.to) < layer.get(e.from) + 1) { layer.set(e.to, layer.get(e.from) + 1); changed = true; }
    if (!changed) break;
  }
  const layers = [];
  for (const v of vs) (layers[layer.get(v.id)] ||= []).push(v.id);
  for (let i = 0; i < layers.length; i++) layers[i] ||= [];
  const pos = new Map();
  layers.forEach((lids, li) => {
    if (li > 0) {
      const bary = (id) => {
        const ps = es.filter((e) => e.to === id).map((e) => pos.get(e.from)).filter(Boolean).map((p) => p.row);
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
      };
      lids.sort((a, b) => bary(a) - bary(b));
    }
    lids.forEach((id, row) => pos.set(id, { layer: li, row }));
  });
  const rows = Math.max(1, ...layers.map((l) => l.length));
  const height = PAD * 2 + rows * H + (rows - 1) * GY;
  for (const [id, p] of pos) {
    const n = layers[p.layer].length;
    const off = (height - PAD * 2 - (n * H + (n - 1) * GY)) / 2;
    pos.set(id, { ...p, x: PAD + p.layer * (W + GX), y: PAD + off + p.row * (H + GY) });
  }
  return { pos, edges: es, width: PAD * 2 + layers.length * W + Math.max(0, layers.length - 1) * GX, height };
}
