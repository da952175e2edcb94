// Users of the installation (platform admins): list and create. Members are added to projects by
// the email of an existing user.
import { html, useState } from '../lib.js';
import { post, listAll } from '../api.js';
import { ErrorBox, Empty, Loading, Table, Time, useLoad, useAction } from '../ui.js';

export function Users({ ctx }) {
  if (!ctx.me.user.platform_admin) {
    return html`<h1>Users</h1><${Empty} title="Only platform admins manage users."><p>Ask one to create an account for a colleague.</p></${Empty}>`;
  }
  return html`<${UserAdmin} />`;
}

function UserAdmin() {
  const list = useLoad(() => listAll('/v1/users'), []);
  const [form, setForm] = useState({ email: '', name: '', password: '', platform_admin: false });
  const create = useAction(async () => {
    await post('/v1/users', form);
    setForm({ email: '', name: '', password: '', platform_admin: false });
    list.reload();
  });
  const input = (f, label, extra = {}) => html`<label>${label}<input ...${extra} value=${form[f]} onInput=${(e) => setForm({ ...form, [f]: e.target.value })} /></label>`;
  return html`<h1>Users</h1>
    <p class="muted">Create an account here, then add it to a project on the project's Members page.</p>
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="users" />`
      : list.data && html`<${Table} head=${['Name', 'Email', 'Platform admin', '.Created']} label="Users">
          ${list.data.map((u) => html`<tr><td>${u.name}</td><td>${u.email}</td><td>${u.platform_admin ? 'yes' : 'no'}</td><td class="hide-narrow"><${Time} at=${u.created_at} /></td></tr>`)}
        </${Table}>`}
    <form class="panel" onSubmit=${(e) => { e.preventDefault(); create.run(); }}>
      <h2>Create a user</h2>
      <div class="row">
        ${input('email', 'Email', { type: 'email', required: true, autocomplete: 'off' })}
        ${input('name', 'Name', { required: true })}
        ${input('password', 'Initial password (10+ characters)', { type: 'password', required: true, minLength: 10, autocomplete: 'new-password' })}
        <label class="inline"><input type="checkbox" checked=${form.platform_admin} onChange=${(e) => setForm({ ...form, platform_admin: e.target.checked })} /> Platform admin</label>
        <button class="primary" type="submit" disabled=${create.busy}>Create user</button>
      </div>
      <${ErrorBox} error=${create.error} />
    </form>`;
}
