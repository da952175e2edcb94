// A project's members and their roles.
import { html, useState } from '../lib.js';
import { post, patch, del, listAll, paths } from '../api.js';
import { links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Time, Crumbs, Confirm, useLoad, useAction } from '../ui.js';

const roles = ['admin', 'developer', 'viewer'];

export function Members({ project }) {
  const base = `${paths.project(project)}/members`;
  const list = useLoad(() => listAll(base), [base]);
  const [changed, setChanged] = useState('');
  const change = useAction(async (m, role) => {
    setChanged('');
    await patch(`${base}/${encodeURIComponent(m.user_id)}`, { role });
    setChanged(`${m.email} is now ${role === 'admin' ? 'an' : 'a'} ${role}.`);
    list.reload();
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('developer');
  const add = useAction(async () => { await post(base, { email, role }); setEmail(''); list.reload(); });
  return html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project, href: links.project(project) }, { label: 'Members' }]} />
    <h1>Members of ${project}</h1>
    <p class="muted small">Viewers read, developers write and deploy applications, admins also manage services, integrations and members.</p>
    <${ErrorBox} error=${list.error || change.error} />
    ${changed && html`<div class="success" role="status" data-testid="role-changed">${changed}</div>`}
    ${list.loading && !list.data ? html`<${Loading} what="members" />`
      : list.data && list.data.length === 0 ? html`<${Empty} title="No members."><p>Add a user by email below.</p></${Empty}>`
      : list.data && html`<${Table} head=${['Name', 'Email', 'Role', '.Since', '']} label="Members">
          ${list.data.map((m) => html`<tr><td>${m.name}</td><td>${m.email}</td>
            <td><select aria-label=${`Role of ${m.email}`} value=${m.role} onChange=${(e) => change.run(m, e.target.value)}>${roles.map((r) => html`<option>${r}</option>`)}</select></td>
            <td class="hide-narrow"><${Time} at=${m.created_at} /></td>
            <td><${Confirm} label="Remove" danger title=${`Remove ${m.email}?`} message=${`${m.email} loses access to ${project}.`} confirmLabel="Remove"
              onConfirm=${async () => { await del(`${base}/${encodeURIComponent(m.user_id)}`); list.reload(); }} /></td></tr>`)}
        </${Table}>`}
    <form class="panel" onSubmit=${(e) => { e.preventDefault(); add.run(); }}>
      <h2>Add a member</h2>
      <div class="row">
        <label class="grow">Email of an existing user<input type="email" required value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
        <label>Role<select value=${role} onChange=${(e) => setRole(e.target.value)}>${roles.map((r) => html`<option>${r}</option>`)}</select></label>
        <button class="primary" type="submit" disabled=${add.busy}>Add member</button>
      </div>
      <${ErrorBox} error=${add.error} />
    </form>`;
}
