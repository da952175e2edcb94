// A project's audit log, oldest first, a page at a time.
import { html, useState, useEffect } from '../lib.js';
import { get, paths } from '../api.js';
import { links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Time, Crumbs } from '../ui.js';

export function Audit({ project }) {
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState('');
  const [error, setError] = useState(null);
  const load = async (from, reset) => {
    setError(null);
    try {
      const page = await get(`${paths.project(project)}/audit?limit=100${from ? '&cursor=' + encodeURIComponent(from) : ''}`);
      setItems((prev) => (reset ? page.items : [...(prev || []), ...page.items]));
      setCursor(page.next_cursor || '');
    } catch (e) { setError(e); if (reset) setItems([]); }
  };
  useEffect(() => { setItems(null); load('', true); }, [project]);
  return html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project, href: links.project(project) }, { label: 'Audit log' }]} />
    <h1>Audit log of ${project}</h1>
    <${ErrorBox} error=${error} />
    ${items === null ? html`<${Loading} what="the audit log" />`
      : items.length === 0 ? !error && html`<${Empty} title="Nothing recorded yet."><p>Every change to the project (services, members, applications, deployments) is recorded here.</p></${Empty}>`
      : html`<${Table} head=${['When', 'Action', 'Target', '.Actor', '.Details']} label="Audit log">
          ${items.map((a) => html`<tr><td class="small"><${Time} at=${a.created_at} /></td><td><code>${a.action}</code></td>
            <td class="small">${a.target_type} <span class="mono">${a.target_id}</span></td>
            <td class="hide-narrow small mono">${a.actor_id || ''}${a.token_id ? html`<div class="muted">via ${a.token_id}</div>` : ''}</td>
            <td class="hide-narrow small mono wrap">${Object.keys(a.details || {}).length ? JSON.stringify(a.details) : ''}</td></tr>`)}
        </${Table}>`}
    ${cursor && html`<p><button type="button" onClick=${() => load(cursor, false)}>Load more</button></p>`}`;
}
