// Preview of a query's sample rows: `POST …/applications/{id}/queries` runs one SELECT on the API
// server over the draft's source tables (datagen and nexmark) or, without any, the latest
// version's. A run that finished within the server's short wait is answered at once (201) with its
// rows; a longer one (202, status RUNNING) is polled by id until it is COMPLETED or FAILED.
import { html, useState, useEffect, useRef } from '../lib.js';
import { get, post } from '../api.js';
import { ErrorBox, useAction } from '../ui.js';
import { SqlEditor, Diagnostics } from '../editor.js';
import { selectOf } from '../sql.js';

const kindTitle = { '+I': 'insert', '-U': 'retract (update before)', '+U': 'update after', '-D': 'delete' };

// poll fetches the query until it is no longer RUNNING, waiting 0.5 s, then longer, between reads.
async function poll(path, q, onUpdate, alive) {
  let delay = 500;
  while (q.status === 'RUNNING' && alive()) {
    await new Promise((r) => setTimeout(r, delay));
    if (!alive()) break;
    q = await get(path + '/' + encodeURIComponent(q.id));
    onUpdate(q);
    delay = Math.min(delay * 1.5, 3000);
  }
  return q;
}

export function Preview({ base, draft }) {
  const [query, setQuery] = useState(() => selectOf(draft.statement));
  const [touched, setTouched] = useState(false);
  const [maxRows, setMaxRows] = useState(20);
  const [result, setResult] = useState(null);
  const [diags, setDiags] = useState([]);
  const editor = useRef(null);
  const run = useRef(0);
  useEffect(() => { if (!touched) setQuery(selectOf(draft.statement)); }, [draft.statement]);
  useEffect(() => () => { run.current++; }, []); // stop polling when the page goes away

  const preview = useAction(async () => {
    const n = ++run.current;
    setDiags([]);
    setResult(null);
    const sources = (draft.sources || []).filter((s) => s.create_table.trim());
    const body = { statement: query, max_rows: Math.max(1, Math.min(1000, Number(maxRows) || 20)), ttl: 600 };
    if (sources.length) body.sources = sources;
    try {
      const q = await post(`${base}/queries`, body);
      setResult(q);
      await poll(`${base}/queries`, q, (x) => n === run.current && setResult(x), () => n === run.current);
    } catch (e) {
      setDiags(e.errors.filter((x) => x.line && (x.field || 'statement') === 'statement'));
      throw e;
    }
  });

  return html`<section class="panel stack" aria-labelledby="preview-title" data-testid="preview">
    <h2 id="preview-title">Preview</h2>
    <p class="small muted">Runs one <code>SELECT</code> over a sample of the draft's source tables (datagen and nexmark; with none, the latest version's) and shows the first rows. Nothing is written to the sinks.</p>
    <${SqlEditor} id="preview-query" label="Preview query (one SELECT)" rows=${4} value=${query} diagnostics=${diags} editorRef=${editor}
      onInput=${(v) => { setQuery(v); setTouched(true); }} />
    <${Diagnostics} id="preview-query" diagnostics=${diags} editorRef=${editor} />
    <div class="row">
      <label>Rows at most<input type="number" min="1" max="1000" value=${maxRows} onInput=${(e) => setMaxRows(e.target.value)} class="num-input" /></label>
      <button type="button" onClick=${() => preview.run()} disabled=${preview.busy || !query.trim()} data-testid="run-preview">${preview.busy ? 'Running…' : 'Preview rows'}</button>
      ${touched && html`<button type="button" class="link" onClick=${() => { setQuery(selectOf(draft.statement)); setTouched(false); }}>Use the statement's SELECT</button>`}
    </div>
    <${ErrorBox} error=${preview.error} />
    ${result && html`<${Rows} q=${result} />`}
  </section>`;
}

function Rows({ q }) {
  const cols = q.columns || [];
  const rows = q.rows || [];
  const note = q.status === 'RUNNING' ? `Running… ${rows.length} row${rows.length === 1 ? '' : 's'} so far.`
    : q.status === 'FAILED' ? '' : rows.length === 0 ? (q.timed_out ? 'No row arrived before the server\'s time limit.' : 'The query returned no rows.')
    : `${rows.length} row${rows.length === 1 ? '' : 's'}${q.ended ? ' (the input ended: this is the whole result)' : q.timed_out ? ' (the server\'s time limit stopped the run)' : rows.length >= q.max_rows ? ' (stopped at the row limit)' : ''}.`
      + (q.changelog ? ' The result is a changelog: each row inserts (+I), retracts (-U), updates (+U) or deletes (-D) a result row.' : '');
  return html`<div class="stack" data-testid="preview-result" data-status=${q.status}>
    ${q.status === 'FAILED' && html`<div class="error" role="alert">The preview failed: ${q.error || 'no reason given'}</div>`}
    ${note && html`<p class="small muted" role="status">${note}</p>`}
    ${rows.length > 0 && html`<div class="table-wrap"><table aria-label="Preview rows" class="rows"><thead><tr>
        ${q.changelog && html`<th scope="col" title="changelog kind">Op</th>`}
        ${cols.map((c) => html`<th scope="col">${c.name} <span class="type">${c.type}${c.nullable ? '' : ' NOT NULL'}</span></th>`)}
      </tr></thead><tbody>
      ${rows.map((r) => html`<tr>${q.changelog && html`<td class="mono small op" title=${kindTitle[r.kind] || r.kind} data-kind=${r.kind}>${r.kind}</td>`}
        ${(r.values || []).map((v) => html`<td class="mono small">${v === null ? html`<span class="muted">NULL</span>` : String(v)}</td>`)}</tr>`)}
    </tbody></table></div>`}
  </div>`;
}
