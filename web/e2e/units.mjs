// Unit tests of the console's pure modules (no browser): the SQL tokenizer and diagnostic ranges,
// the line diff, the job-graph layout and metrics reading, and the API client's follower. Run by
// TestConsoleModules with node.
import assert from 'node:assert/strict';

// api.js reads document.cookie and uses fetch; give it a stand-in of both.
globalThis.document = { cookie: '' };
globalThis.location = { protocol: 'http:' };
const requests = [];
let total = 450;
globalThis.fetch = async (url) => {
  requests.push(url);
  const u = new URL(url, 'http://x');
  const from = Number(u.searchParams.get('cursor') || 0), limit = Number(u.searchParams.get('limit'));
  const items = Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, i) => ({ n: from + i }));
  const body = { items, ...(from + limit < total ? { next_cursor: String(from + limit) } : {}) };
  return { ok: true, status: 200, text: async () => JSON.stringify(body) };
};

const { tokenize, errorRanges, segments, selectOf } = await import('../static/js/sql.js');
const { jobGraph, jobEnded, vertexStats, throughput, statesLabel, bpClass, layout, opLabel } = await import('../static/js/graph.js');
const { lineDiff } = await import('../static/js/diff.js');
const { follower, ApiError } = await import('../static/js/api.js');

const tests = {
  'tokenize classifies keywords, types, strings, numbers, comments, functions'() {
    const src = "SELECT COUNT(*), 'it''s' -- note\nFROM t WHERE x > 1.5 /* c */ AND CAST(y AS BIGINT)";
    const kinds = Object.fromEntries(tokenize(src).filter(([, , c]) => c).map(([a, b, c]) => [src.slice(a, b), c]));
    assert.equal(kinds.SELECT, 'tok-kw');
    assert.equal(kinds.COUNT, 'tok-fn');
    assert.equal(kinds["'it''s'"], 'tok-str');
    assert.equal(kinds['-- note'], 'tok-com');
    assert.equal(kinds['1.5'], 'tok-num');
    assert.equal(kinds['/* c */'], 'tok-com');
    assert.equal(kinds.BIGINT, 'tok-type');
    assert.equal(kinds.t, undefined);
  },
  'diagnostics map to character ranges, at least one character wide'() {
    const src = 'INSERT INTO o\nSELECT (a FROM t';
    assert.deepEqual(errorRanges(src, [{ line: 2, column: 8, end_line: 2, end_column: 9 }]), [[21, 22]]);
    // No end: the word at the position.
    assert.deepEqual(errorRanges(src, [{ line: 1, column: 1 }]), [[0, 6]]);
    // Past the end of the text: one character at the end.
    assert.deepEqual(errorRanges(src, [{ line: 9, column: 1 }]), [[src.length, src.length + 1]]);
    // Segments cover the text exactly once and flag the error.
    const segs = segments(src, [[21, 22]]);
    assert.equal(segs.map(([a, b]) => src.slice(a, b)).join(''), src);
    assert.deepEqual(segs.filter((s) => s[3]).map(([a, b]) => src.slice(a, b)), ['(']);
  },
  'selectOf takes the query of the first INSERT'() {
    assert.equal(selectOf('INSERT INTO o\nSELECT a, b\nFROM t'), 'SELECT a, b\nFROM t');
    assert.equal(selectOf('-- note\nCREATE VIEW v AS SELECT 1;\ninsert into o (a, b) SELECT a, b FROM v; INSERT INTO p SELECT 2'), 'SELECT a, b FROM v');
    assert.equal(selectOf('SELECT 1'), 'SELECT 1');
    assert.equal(selectOf('  '), '');
  },
  'jobGraph overlays live vertices on the plan by id'() {
    const plan = { vertices: [{ id: 's', name: 'src', parallelism: 2, operators: [{ id: 'o', kind: 'sql.source', table: 'bids', connector: 'datagen' }] }, { id: 'k', name: 'sink', parallelism: 2, operators: [] }],
      edges: [{ id: 'e', from: 's', to: 'k', partitioning: 'hash', keys: ['a'] }] };
    const live = [{ id: 'k', parallelism: 2, states: { RUNNING: 1, DEPLOYING: 1 }, records_in: 900, records_out: 0, records_in_per_sec: 150, records_out_per_sec: 0, backpressure: 0.72, busy: 0.9, watermark: 0 },
      { id: 'extra', name: 'not planned', parallelism: 1, states: {}, records_in: 0, records_out: 0, records_in_per_sec: 0, records_out_per_sec: 0, backpressure: 0, busy: 0 }];
    const g = jobGraph({ status: 'RUNNING', plan, vertices: live });
    assert.deepEqual(g.vertices.map((v) => [v.id, !!v.live]), [['s', false], ['k', true], ['extra', true]]);
    const s = vertexStats(g.vertices[1]);
    assert.equal(s.rateIn, 150);
    assert.equal(bpClass(s.backpressure), 'bp-bad');
    assert.equal(throughput(s, true), '150 rec/s in');
    assert.equal(statesLabel(s.states), '1 running, 1 deploying');
    assert.equal(opLabel(plan.vertices[0].operators[0]), 'source bids (datagen)');
    // Before the first attempt: the plan alone. Without a plan: the reported execution graph.
    assert.equal(jobGraph({ status: 'PLANNED', plan }).vertices.length, 2);
    assert.deepEqual(jobGraph({ status: 'RUNNING', plan: { vertices: [], edges: [] }, graph: { graph: plan, subtasks: [] } }).edges, plan.edges);
    // An ended job keeps totals only.
    const ended = jobGraph({ status: 'CANCELED', plan, vertices: live });
    assert.ok(jobEnded({ status: 'CANCELED' }));
    const es = vertexStats(ended.vertices[1]);
    assert.equal(es.rateIn, undefined);
    assert.equal(es.backpressure, undefined);
    assert.equal(throughput(es, true), '900 records in');
  },
  'layout puts each vertex one layer after its inputs'() {
    const g = { vertices: [{ id: 'a' }, { id: 'b' }, { id: 'j' }, { id: 'k' }], edges: [{ from: 'a', to: 'j' }, { from: 'b', to: 'j' }, { from: 'j', to: 'k' }, { from: 'a', to: 'missing' }] };
    const { pos, edges, width, height } = layout(g, { w: 100, h: 50, gx: 20, gy: 10, pad: 5 });
    assert.deepEqual(['a', 'b', 'j', 'k'].map((id) => pos.get(id).layer), [0, 0, 1, 2]);
    assert.equal(edges.length, 3);
    assert.equal(width, 5 * 2 + 3 * 100 + 2 * 20);
    assert.equal(height, 5 * 2 + 2 * 50 + 10);
    assert.equal(pos.get('j').y, (pos.get('a').y + pos.get('b').y) / 2);
  },
  'line diff keeps common lines and marks changes'() {
    const d = lineDiff('a\nb\nc\nd', 'a\nc\nd\ne');
    assert.deepEqual(d.map((x) => x.op + x.text), [' a', '-b', ' c', ' d', '+e']);
    assert.deepEqual(lineDiff('same', 'same').map((x) => x.op), [' ']);
  },
  async 'follower refetches only from the last page'() {
    const list = follower('/v1/x/events');
    assert.equal((await list()).length, 450);
    assert.equal(requests.length, 3);
    total = 470;
    requests.length = 0;
    const again = await list();
    assert.deepEqual(again.map((x) => x.n), Array.from({ length: 470 }, (_, i) => i));
    assert.equal(requests.length, 1);
    assert.match(requests[0], /cursor=400/);
  },
  'ApiError takes the problem detail, else the title'() {
    assert.equal(new ApiError(409, { title: 'Conflict', detail: 'name taken', code: 'conflict' }).message, 'name taken');
    assert.equal(new ApiError(500, { title: 'Internal' }).message, 'Internal');
    assert.equal(new ApiError(502, null).message, 'HTTP 502');
  },
};

let failed = 0;
for (const [name, fn] of Object.entries(tests)) {
  try { await fn(); console.log('ok  ', name); } catch (e) { failed++; console.log('FAIL', name, '\n', e.stack); }
}
process.exit(failed ? 1 : 0);
