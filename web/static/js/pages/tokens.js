// The caller's API tokens: create (the secret is shown once), list, revoke.
import { html, useState } from '../lib.js';
import { post, del, listAll } from '../api.js';
import { ErrorBox, Empty, Loading, Table, Time, Badge, Confirm, useLoad, useAction } from '../ui.js';

const lifetimes = [[3600, '1 hour'], [86400, '1 day'], [2592000, '30 days'], [7776000, '90 days'], [31536000, '1 year']];

export function Tokens({ ctx }) {
  const list = useLoad(() => listAll('/v1/tokens'), []);
  const current = ctx.me.token && ctx.me.token.id;
  const [created, setCreated] = useState(null);
  return html`<h1>API tokens</h1>
    <p class="muted">Tokens let scripts and the <code>flowplane</code> CLI call the API (<code>Authorization: Bearer …</code>). A token can be narrowed to one project and a lower role. Revoking takes effect on the next request.</p>
    ${created && html`<div class="success" role="status" data-testid="new-token">
      <b>Token created. Copy it now: it is not shown again.</b>
      <div class="secret"><code data-testid="token-secret">${created.token}</code>
        <button type="button" onClick=${() => navigator.clipboard && navigator.clipboard.writeText(created.token)}>Copy</button>
        <button type="button" onClick=${() => setCreated(null)}>Done</button></div></div>`}
    <${CreateToken} ctx=${ctx} onCreated=${(t) => { setCreated(t); list.reload(); }} />
    <h2>Your tokens</h2>
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="tokens" />`
      : list.data && list.data.length === 0 ? html`<${Empty} title="No tokens."><p>Create one above.</p></${Empty}>`
      : list.data && html`<${Table} head=${['Description', 'Kind', 'Scope', 'Expires', '.Last used', '']} label="Tokens">
          ${list.data.map((t) => html`<tr data-token-id=${t.id}><td>${t.description || html`<span class="muted">(no description)</span>`}${t.id === current && html` <span class="badge info">this session</span>`}<div class="small muted mono">${t.id}</div></td>
            <td>${t.kind}</td><td>${t.project || 'all projects'}${t.role ? ` · ${t.role}` : ''}</td><td><${Time} at=${t.expires_at} /></td>
            <td class="hide-narrow"><${Time} at=${t.last_used_at} /></td>
            <td>${t.revoked_at ? html`<${Badge} status="REVOKED" />` : html`<${Confirm} label="Revoke" danger testid=${`revoke-${t.id}`} title=${`Revoke ${t.description || t.id}?`}
              message=${t.id === current ? 'This is the token of your current session: you will be signed out.' : 'Requests with this token are refused from now on.'}
              confirmLabel="Revoke" onConfirm=${async () => { await del(`/v1/tokens/${encodeURIComponent(t.id)}`); list.reload(); }} />`}</td></tr>`)}
        </${Table}>`}`;
}

function CreateToken({ ctx, onCreated }) {
  const [description, setDescription] = useState('');
  const [expires, setExpires] = useState(2592000);
  const [project, setProject] = useState('');
  const [role, setRole] = useState('');
  const act = useAction(async () => {
    const body = { description, expires_in: Number(expires) };
    if (project) body.project = project;
    if (role) body.role = role;
    onCreated(await post('/v1/tokens', body));
    setDescription('');
  });
  return html`<form class="panel" onSubmit=${(e) => { e.preventDefault(); act.run(); }}>
    <h2>Create a token</h2>
    <div class="row">
      <label class="grow">Description<input name="token-description" value=${description} onInput=${(e) => setDescription(e.target.value)} placeholder="CI deploys" /></label>
      <label>Expires in<select value=${expires} onChange=${(e) => setExpires(e.target.value)}>${lifetimes.map(([s, l]) => html`<option value=${s}>${l}</option>`)}</select></label>
      <label>Project<select value=${project} onChange=${(e) => setProject(e.target.value)}><option value="">all my projects</option>${ctx.projects.map((p) => html`<option>${p.name}</option>`)}</select></label>
      <label>Role<select value=${role} onChange=${(e) => setRole(e.target.value)}><option value="">my role</option><option>admin</option><option>developer</option><option>viewer</option></select></label>
      <button class="primary" type="submit" disabled=${act.busy}>Create token</button>
    </div>
    <${ErrorBox} error=${act.error} />
  </form>`;
}
