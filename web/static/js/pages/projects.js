// The caller's projects, and creating one.
import { html, useState } from '../lib.js';
import { post } from '../api.js';
import { navigate, links } from '../router.js';
import { ErrorBox, Empty, Table, Time, useAction } from '../ui.js';

export function Projects({ ctx }) {
  const { projects, me } = ctx;
  const roles = Object.fromEntries((me.memberships || []).map((m) => [m.project, m.role]));
  return html`<h1>Projects</h1>
    ${projects.length === 0
      ? html`<${Empty} title="You have no project yet.">
          ${me.user.platform_admin
            ? html`<p>A project holds services, members and API tokens. Create your first one below, then add a service to run applications on.</p>`
            : html`<p>Ask an admin of a project to add <b>${me.user.email}</b> as a member.</p>`}
        </${Empty}>`
      : html`<${Table} head=${['Project', 'Description', 'Your role', '.Created']} label="Projects">
          ${projects.map((p) => html`<tr><td><a href=${links.project(p.name)}>${p.name}</a></td><td>${p.description}</td>
            <td>${roles[p.name] || (me.user.platform_admin ? 'platform admin' : '')}</td><td class="hide-narrow"><${Time} at=${p.created_at} /></td></tr>`)}
        </${Table}>`}
    <${CreateProject} ctx=${ctx} />`;
}

function CreateProject({ ctx }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const act = useAction(async () => {
    const p = await post('/v1/projects', { name, ...(description ? { description } : {}) });
    await ctx.refreshProjects();
    navigate(links.project(p.name).slice(1));
  });
  return html`<form class="panel" onSubmit=${(e) => { e.preventDefault(); act.run(); }}>
    <h2>Create a project</h2>
    <div class="row">
      <label>Name<input required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="analytics" /></label>
      <label class="grow">Description<input value=${description} onInput=${(e) => setDescription(e.target.value)} /></label>
      <button class="primary" type="submit" disabled=${act.busy}>Create project</button>
    </div>
    <${ErrorBox} error=${act.error} />
  </form>`;
}
