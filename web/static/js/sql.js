// SQL tokenizing for highlighting, and mapping API diagnostics (1-based line and column) to
// character ranges of the text.

const KEYWORDS = new Set(`ADD ALL ALTER AND ANY AS ASC BETWEEN BY CASE CAST CREATE CROSS CUBE CURRENT DAY DESC DESCRIPTOR
DISTINCT DROP ELSE END ENFORCED EXISTS FALSE FETCH FIRST FOR FROM FULL FUNCTION GROUP GROUPING HAVING HOUR IF IN INNER INSERT
INTERVAL INTO IS JOIN KEY LATERAL LEFT LIKE LIMIT MINUTE MONTH NATURAL NOT NULL OFFSET ON OR ORDER OUTER OVER PARTITION
PRIMARY RANGE RIGHT ROWS SECOND SELECT SET SETS SYSTEM_TIME TABLE TEMPORARY THEN TO TRUE UNION UNNEST USING VALUES VIEW
WATERMARK WHEN WHERE WINDOW WITH YEAR PRECEDING FOLLOWING UNBOUNDED ROW METADATA VIRTUAL ENFORCED NOT`.split(/\s+/));
const TYPES = new Set(`BIGINT BOOLEAN BYTES CHAR DATE DECIMAL DOUBLE FLOAT INT INTEGER MAP ARRAY MULTISET NUMERIC REAL
SMALLINT STRING TIME TIMESTAMP TIMESTAMP_LTZ TINYINT VARCHAR VARBINARY BINARY ZONE LOCAL`.split(/\s+/));

// tokenize returns [start, end, class] triples covering the highlighted parts of text.
export function tokenize(text) {
  const out = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      let j = text.indexOf('\n', i);
      if (j < 0) j = n;
      out.push([i, j, 'tok-com']); i = j; continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      let j = text.indexOf('*/', i + 2);
      j = j < 0 ? n : j + 2;
      out.push([i, j, 'tok-com']); i = j; continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < n) {
        if (text[j] === "'") { if (text[j + 1] === "'") { j += 2; continue; } j++; break; }
        j++;
      }
      out.push([i, j, 'tok-str']); i = j; continue;
    }
    if (c === '`' || c === '"') {
      let j = text.indexOf(c, i + 1);
      j = j < 0 ? n : j + 1;
      out.push([i, j, '']); i = j; continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9.eE]/.test(text[j])) j++;
      out.push([i, j, 'tok-num']); i = j; continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(text[j])) j++;
      const w = text.slice(i, j).toUpperCase();
      let k = j;
      while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
      const cls = TYPES.has(w) ? 'tok-type' : KEYWORDS.has(w) ? 'tok-kw' : text[k] === '(' ? 'tok-fn' : '';
      out.push([i, j, cls]); i = j; continue;
    }
    i++;
  }
  return out;
}

// lineStarts returns the offset where each line begins.
export function lineStarts(text) {
  const s = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') s.push(i + 1);
  return s;
}

// offsetOf turns a 1-based (line, column) into an offset, clamped to the text.
export function offsetOf(starts, text, line, column) {
  if (!line || line < 1) return 0;
  if (line > starts.length) return text.length;
  const ls = starts[line - 1];
  const le = line < starts.length ? starts[line] - 1 : text.length;
  return Math.min(ls + Math.max((column || 1) - 1, 0), le);
}

// errorRanges maps diagnostics to [start, end) offsets, at least one character wide.
export function errorRanges(text, diags) {
  const starts = lineStarts(text);
  return diags.map((d) => {
    const a = offsetOf(starts, text, d.line, d.column);
    let b = d.end_line ? offsetOf(starts, text, d.end_line, d.end_column) : a;
    if (b <= a) {
      b = a;
      while (b < text.length && !/\s/.test(text[b])) b++;
      if (b === a) b = a + 1;
    }
    return [a, b];
  });
}

// segments splits text into [start, end, class, inError] pieces for rendering.
export function segments(text, ranges) {
  const toks = tokenize(text);
  const cuts = new Set([0, text.length]);
  for (const [a, b] of toks) { cuts.add(a); cuts.add(b); }
  for (const [a, b] of ranges) { cuts.add(Math.min(a, text.length)); cuts.add(Math.min(b, text.length)); }
  const points = [...cuts].sort((x, y) => x - y);
  const out = [];
  let t = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k], b = points[k + 1];
    while (t < toks.length && toks[t][1] <= a) t++;
    const cls = t < toks.length && toks[t][0] <= a && a < toks[t][1] ? toks[t][2] : '';
    const err = ranges.some(([x, y]) => a < y && b > x);
    out.push([a, b, cls, err]);
  }
  return out;
}

// selectOf is the query of a statement's first INSERT INTO … SELECT (what the preview runs by
// default), or the first statement when there is no INSERT. Leading line comments are skipped.
export function selectOf(statement) {
  const parts = statement.split(';').map((x) => x.replace(/^(\s*--[^\n]*(\n|$))*/, '').trim()).filter(Boolean);
  const insert = parts.find((x) => /^INSERT\s+INTO\s/i.test(x));
  const m = insert && insert.match(/^INSERT\s+INTO\s+[^\s(]+(?:\s*\([^)]*\))?\s+([\s\S]*)$/i);
  return m ? m[1].trim() : parts[0] || '';
}
