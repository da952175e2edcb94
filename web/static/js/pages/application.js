// One application: the SQL editor (validate as you type, create versions), version history with a
// diff between versions, and deployments.
import { html, useState, useEffect, useRef } from '../lib.js';
import { get, post, patch, del, listAll, paths } from '../api.js';
import { navigate, links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Time, Crumbs, Tabs, Confirm, useLoad, useAction } from '../ui.js';
import { SqlEditor, Diagnostics } from '../editor.js';
import { PlanPreview } from '../dag.js';
import { lineDiff } from '../diff.js';
import { Deployments } from './deployments.js';
import { Preview } from './preview.js';

export function Application({ ctx, project, service, app, tab }) {
  const base = paths.app(project, service, app);
  const application = useLoad(() => get(base), [base]);
  const versions = useLoad(() => listAll(`${base}/versions`), [base]);
  const tabs = [
    { id: 'editor', label: 'SQL editor', href: links.app(project, service, app) },
    { id: 'versions', label: 'Versions', href: links.app(project, service, app, 'versions') },
    { id: 'deployments', label: 'Deployments', href: links.app(project, service, app, 'deployments') },
    { id: 'settings', label: 'Settings', href: links.app(project, service, app, 'settings') },
  ];
  const name = application.data ? application.data.name : app;
  const props = { ctx, project, service, app, base, versions };
  return html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project, href: links.project(project) },
    { label: service, href: links.service(project, service, 'applications') }, { label: name }]} />
    <h1>${name}</h1>
    ${application.data && application.data.description && html`<p class="muted">${application.data.description}</p>`}
    <${ErrorBox} error=${application.error || versions.error} />
    <${Tabs} items=${tabs} current=${tab} />
    ${versions.loading && !versions.data ? html`<${Loading} what="versions" />`
      : tab === 'editor' ? html`<${Editor} ...${props} />`
      : tab === 'versions' ? html`<${Versions} ...${props} />`
      : tab === 'deployments' ? html`<${Deployments} ...${props} />`
      : tab === 'settings' ? application.data && html`<${Settings} ...${props} application=${application} />`
      : html`<${ErrorBox} error=${{ message: `No section ${tab}.` }} />`}`;
}

const template = {
  sources: [{ create_table: `CREATE TABLE bids (
  auction BIGINT,
  bidder BIGINT,
  price DOUBLE,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '1000',
  'fields.auction.max' = '1000',
  'fields.price.max' = '500'
)`, integration_id: '' }],
  sinks: [{ create_table: `CREATE TABLE expensive_bids (
  auction BIGINT,
  price DOUBLE
) WITH ('connector' = 'print')`, integration_id: '' }],
  statement: `INSERT INTO expensive_bids
SELECT auction, price
FROM bids
WHERE price > 100`,
};

function fromVersion(v) {
  const refs = (xs) => (xs || []).map((r) => ({ create_table: r.create_table, integration_id: r.integration_id || '' }));
  return { statement: v.statement, sources: refs(v.sources), sinks: refs(v.sinks) };
}

function body(d) {
  const refs = (xs) => xs.map((r) => (r.integration_id ? { create_table: r.create_table, integration_id: r.integration_id } : { create_table: r.create_table }));
  return { statement: d.statement, sources: refs(d.sources), sinks: refs(d.sinks) };
}

function Editor({ ctx, project, service, app, base, versions }) {
  const all = versions.data || [];
  const fromId = ctx.route.query.get('from');
  const start = all.find((v) => v.id === fromId) || all[all.length - 1];
  const [draft, setDraft] = useState(start ? fromVersion(start) : template);
  const [check, setCheck] = useState({ state: 'idle', errors: [], error: null, graph: null });
  const [saved, setSaved] = useState(null);
  const refs = useRef({});
  const integrations = useLoad(() => listAll(`${paths.service(project, service)}/integrations`), [project, service]);
  const seq = useRef(0);

  useEffect(() => { if (start) setDraft(fromVersion(start)); }, [fromId]);
  // Validate as you type: 400 ms after the last keystroke; answers to older drafts are dropped.
  useEffect(() => {
    if (!draft.statement.trim()) { setCheck({ state: 'empty', errors: [], error: null, graph: null }); return undefined; }
    const n = ++seq.current;
    save.setError(null); // a refused save is about an older draft
    setCheck((c) => ({ ...c, state: 'checking' }));
    const t = setTimeout(async () => {
      try {
        const r = await post(`${base}/versions/validate`, body(draft));
        if (n === seq.current) setCheck({ state: r.valid ? 'valid' : 'invalid', errors: r.errors || [], error: null, graph: r.valid ? r.graph || null : null });
      } catch (e) {
        if (n === seq.current) setCheck({ state: 'failed', errors: e.errors.filter((x) => x.line), error: e, graph: null });
      }
    }, 400);
    return () => clearTimeout(t);
  }, [draft, base]);

  const save = useAction(async () => {
    try {
      const v = await post(`${base}/versions`, body(draft));
      setSaved(v);
      versions.reload();
    } catch (e) {
      if (e.errors.some((x) => x.line)) setCheck({ state: 'invalid', errors: e.errors, error: null, graph: null });
      throw e;
    }
  });

  const errorsOf = (field) => check.errors.filter((e) => (e.field || 'statement') === field);
  const ref = (field) => (refs.current[field] = refs.current[field] || { current: null });
  const setTable = (kind, i, patch) => setDraft((d) => ({ ...d, [kind]: d[kind].map((t, j) => (j === i ? { ...t, ...patch } : t)) }));
  const addTable = (kind) => setDraft((d) => ({ ...d, [kind]: [...d[kind], { create_table: 'CREATE TABLE name (\n  id BIGINT\n) WITH (\'connector\' = \'datagen\')', integration_id: '' }] }));
  const removeTable = (kind, i) => setDraft((d) => ({ ...d, [kind]: d[kind].filter((_, j) => j !== i) }));

  const tables = (kind, title, hint) => html`<section class="panel stack" aria-labelledby=${kind + '-title'}>
    <h2 id=${kind + '-title'}>${title}</h2>
    <p class="small muted">${hint}</p>
    ${draft[kind].length === 0 && html`<p class="small muted">None.</p>`}
    ${draft[kind].map((t, i) => {
      const field = `${kind}[${i}]`;
      return html`<div class="stack" data-table=${field}>
        <${SqlEditor} id=${`${kind}-${i}`} label=${`${title} ${i + 1}: CREATE TABLE statement`} rows=${6} value=${t.create_table}
          onInput=${(v) => setTable(kind, i, { create_table: v })} diagnostics=${errorsOf(field)} editorRef=${ref(field)} />
        <${Diagnostics} id=${`${kind}-${i}`} diagnostics=${errorsOf(field)} editorRef=${ref(field)} />
        <div class="row">
          <label>Connection<select value=${t.integration_id} onChange=${(e) => setTable(kind, i, { integration_id: e.target.value })}>
            <option value="">none (options in WITH)</option>
            ${(integrations.data || []).map((x) => html`<option value=${x.id}>${x.name} (${x.type})</option>`)}
          </select></label>
          <button type="button" class="danger" onClick=${() => removeTable(kind, i)}>Remove table</button>
        </div>
      </div>`;
    })}
    <div><button type="button" onClick=${() => addTable(kind)}>Add ${kind === 'sources' ? 'source' : 'sink'} table</button></div>
  </section>`;

  const status = { idle: '', empty: 'Write a statement to check it.', checking: 'Checking…', valid: '✓ The SQL is valid.',
    invalid: `✗ ${check.errors.length} problem${check.errors.length === 1 ? '' : 's'} found.`, failed: 'Could not check the SQL.' }[check.state];
  return html`
    ${all.length === 0 && html`<div class="notice">This application has no version yet. The editor starts from an example (random bids into a print sink): edit it, then <b>Create version</b>.</div>`}
    ${start && html`<p class="small muted">Editing a draft based on version ${start.number}. Versions are immutable: saving creates version ${all.length ? all[all.length - 1].number + 1 : 1}.</p>`}
    <section class="panel stack" aria-labelledby="stmt-title">
      <h2 id="stmt-title">Statement</h2>
      <p class="small muted">One or more <code>INSERT INTO … SELECT</code> statements (views with <code>CREATE VIEW</code> too), separated by semicolons.</p>
      <${SqlEditor} id="statement" label="SQL statement" rows=${10} value=${draft.statement} onInput=${(v) => setDraft((d) => ({ ...d, statement: v }))}
        diagnostics=${errorsOf('statement')} editorRef=${ref('statement')} />
      <div class="validity ${check.state === 'valid' ? 'muted' : ''}" role="status" data-testid="validity" data-state=${check.state}>${status}</div>
      <${Diagnostics} id="statement" diagnostics=${errorsOf('statement')} editorRef=${ref('statement')} />
      <${ErrorBox} error=${check.error} prefix="Validation" />
      ${check.graph && (check.graph.vertices || []).length > 0 && html`<details class="plan-preview" open data-testid="plan">
        <summary>Compiled plan: ${check.graph.vertices.length} vert${check.graph.vertices.length === 1 ? 'ex' : 'ices'}, ${check.graph.edges.length} edge${check.graph.edges.length === 1 ? '' : 's'} <span class="small muted">(at parallelism 1; deployments set their own)</span></summary>
        <${PlanPreview} plan=${check.graph} />
      </details>`}
      <div class="actions">
        <button class="primary" type="button" onClick=${() => save.run()} disabled=${save.busy} data-testid="create-version">Create version</button>
      </div>
      <${ErrorBox} error=${save.error} />
      ${saved && html`<div class="success" role="status" data-testid="saved">Version ${saved.number} created. <a href=${links.app(project, service, app, 'deployments')}>Deploy it</a> or <a href=${links.app(project, service, app, 'versions')}>compare versions</a>.</div>`}
    </section>
    <div class="grid2">
      ${tables('sources', 'Source tables', 'CREATE TABLE statements the application reads from.')}
      ${tables('sinks', 'Sink tables', 'CREATE TABLE statements the application writes to.')}
    </div>
    <${Preview} base=${base} draft=${body(draft)} />`;
}

// versionText is a version as one document, for the diff.
function versionText(v) {
  const parts = [];
  (v.sources || []).forEach((s, i) => parts.push(`-- source ${i + 1}${s.integration_id ? ' (connection ' + s.integration_id + ')' : ''}`, s.create_table, ''));
  (v.sinks || []).forEach((s, i) => parts.push(`-- sink ${i + 1}${s.integration_id ? ' (connection ' + s.integration_id + ')' : ''}`, s.create_table, ''));
  parts.push('-- statement', v.statement);
  return parts.join('\n');
}

function Versions({ project, service, app, base, versions }) {
  const all = versions.data || [];
  const [a, setA] = useState(all.length > 1 ? all[all.length - 2].id : '');
  const [b, setB] = useState(all.length ? all[all.length - 1].id : '');
  if (all.length === 0) {
    return html`<${Empty} title="No versions yet."><p>Write the application's SQL in the <a href=${links.app(project, service, app)}>SQL editor</a> and create its first version.</p></${Empty}>`;
  }
  const va = all.find((v) => v.id === a), vb = all.find((v) => v.id === b);
  const diff = va && vb ? lineDiff(versionText(va), versionText(vb)) : null;
  const changes = diff ? diff.filter((d) => d.op !== ' ').length : 0;
  return html`<${Table} head=${['Version', 'Created', '.By', 'Statement', 'Compare', '']} label="Versions">
      ${[...all].reverse().map((v) => html`<tr class=${v.id === a || v.id === b ? 'selected' : ''}>
        <td><b>${v.number}</b></td><td class="small"><${Time} at=${v.created_at} /></td><td class="hide-narrow small">${v.created_by}</td>
        <td class="small mono">${v.statement.split('\n')[0].slice(0, 60)}</td>
        <td class="small"><label class="inline"><input type="radio" name="diff-a" checked=${v.id === a} onChange=${() => setA(v.id)} />from</label>
          <label class="inline"><input type="radio" name="diff-b" checked=${v.id === b} onChange=${() => setB(v.id)} />to</label></td>
        <td><div class="actions"><a class="button" href=${links.app(project, service, app) + '?from=' + encodeURIComponent(v.id)}>Open in editor</a>
          <${Confirm} label="Delete" danger title=${`Delete version ${v.number}?`} message="A version used by a deployment cannot be deleted." confirmLabel="Delete"
            onConfirm=${async () => { await del(`${base}/versions/${encodeURIComponent(v.id)}`); versions.reload(); }} /></div></td></tr>`)}
    </${Table}>
    <h2>Changes ${va && vb && html`from version ${va.number} to version ${vb.number}`}</h2>
    ${!diff ? html`<p class="muted">Pick two versions (from, to) to compare.</p>`
      : changes === 0 ? html`<p class="muted">The two versions are identical.</p>`
      : html`<div class="diff" data-testid="diff" role="region" aria-label="Line diff">${diff.map((d) => html`<div class=${d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same'}>${d.op} ${d.text}</div>`)}</div>`}`;
}

function Settings({ project, service, base, application }) {
  const a = application.data;
  const [name, setName] = useState(a.name);
  const [description, setDescription] = useState(a.description);
  const save = useAction(async () => application.setData(await patch(base, { name, description })));
  return html`<form class="panel stack" onSubmit=${(e) => { e.preventDefault(); save.run(); }}>
      <h2>Name and description</h2>
      <div class="row">
        <label>Name<input required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
        <label class="grow">Description<input value=${description} onInput=${(e) => setDescription(e.target.value)} /></label>
        <button type="submit" disabled=${save.busy || (name === a.name && description === a.description)}>Save</button>
      </div>
      <${ErrorBox} error=${save.error} />
    </form>
    <section class="panel stack">
      <h2>Delete</h2>
      <p class="muted">Deletes the application with its versions and deployment history. Refused while a deployment is active.</p>
      <div><${Confirm} label="Delete application" danger title=${`Delete ${a.name}?`} confirmLabel="Delete for good" requireText=${a.name}
        message="This cannot be undone." onConfirm=${async () => { await del(base); navigate(links.service(project, service, 'applications').slice(1)); }} /></div>
    </section>`;
}
