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

const { tokenize, errorRanges, segments } = await import('../static/js/sql.js');
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
