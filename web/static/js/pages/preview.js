// Preview of a query's sample rows.
//
// HOOK: the endpoint `POST …/applications/{application_id}/queries` is being added to the API by
// another change. This panel appears only when the served spec (/openapi.yaml) has that path, so
// the console lights it up by itself once the endpoint is merged. The request and response shapes
// below are an assumption until then — adjust `request` and `toTable` to the spec when it lands:
//   request:  the draft {statement, sources, sinks} plus {limit}
//   response: {columns: [{name, type}], rows: [[...]] | [{...}]}  (or {items: [...]})
import { html, useState, useEffect } from '../lib.js';
import { post } from '../api.js';
import { ErrorBox, Table, useAction } from '../ui.js';

let specHasQueries;
function queriesSupported() {
  if (!specHasQueries) {
    specHasQueries = fetch('/openapi.yaml', { credentials: 'omit' })
      .then((r) => (r.ok ? r.text() : ''))
      .then((t) => /\/applications\/\{application_id\}\/queries:/.test(t))
      .catch(() => false);
  }
  return specHasQueries;
}

function request(draft) { return { ...draft, limit: 20 }; }

function toTable(r) {
  const rows = r.rows || r.items || [];
  let cols = (r.columns || []).map((c) => (typeof c === 'string' ? c : c.name));
  if (!cols.length && rows.length && !Array.isArray(rows[0])) cols = Object.keys(rows[0]);
  return { cols, rows: rows.map((row) => (Array.isArray(row) ? row : cols.map((c) => row[c]))) };
}

export function Preview({ base, draft }) {
  const [supported, setSupported] = useState(false);
  const [result, setResult] = useState(null);
  useEffect(() => { queriesSupported().then(setSupported); }, []);
  const run = useAction(async () => setResult(toTable(await post(`${base}/queries`, request(draft)))));
  if (!supported) return null;
  return html`<section class="panel stack" aria-labelledby="preview-title">
    <h2 id="preview-title">Preview</h2>
    <p class="small muted">Runs the draft's query on a sample and shows the first rows; nothing is written to the sinks.</p>
    <div><button type="button" onClick=${() => run.run()} disabled=${run.busy}>Preview rows</button></div>
    <${ErrorBox} error=${run.error} />
    ${result && (result.rows.length === 0 ? html`<p class="muted">The query returned no rows.</p>`
      : html`<${Table} head=${result.cols} label="Preview rows">${result.rows.map((r) => html`<tr>${r.map((v) => html`<td class="mono small">${v === null ? 'NULL' : String(v)}</td>`)}</tr>`)}</${Table}>`)}
  </section>`;
}
