// One service: overview (task managers, slots, jobs by state), power, plan, delete; its
// applications and integrations.
import { html, useState } from '../lib.js';
import { get, post, patch, del, listAll, paths } from '../api.js';
import { navigate, links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Badge, Time, Crumbs, Tabs, Confirm, useLoad, useAction } from '../ui.js';
import { PlanPicker } from './services.js';
import { Integrations } from './integrations.js';

export function Service({ project, service, tab }) {
  const svc = useLoad(() => get(paths.service(project, service)), [project, service]);
  const tabs = [
    { id: 'overview', label: 'Overview', href: links.service(project, service) },
    { id: 'applications', label: 'Applications', href: links.service(project, service, 'applications') },
    { id: 'integrations', label: 'Integrations', href: links.service(project, service, 'integrations') },
  ];
  return html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project, href: links.project(project) }, { label: service }]} />
    <h1>${service} ${svc.data && html`<${Badge} status=${svc.data.state} />`}</h1>
    <${ErrorBox} error=${svc.error} />
    <${Tabs} items=${tabs} current=${tab} />
    ${tab === 'overview' && (svc.data ? html`<${Overview} project=${project} svc=${svc.data} onChange=${svc.setData} />` : !svc.error && html`<${Loading} />`)}
    ${tab === 'applications' && html`<${Applications} project=${project} service=${service} />`}
    ${tab === 'integrations' && html`<${Integrations} project=${project} service=${service} />`}
    ${!['overview', 'applications', 'integrations'].includes(tab) && html`<${ErrorBox} error=${{ message: `No section ${tab}.` }} />`}`;
}

function Overview({ project, svc, onChange }) {
  const ov = useLoad(() => get(`${paths.service(project, svc.name)}/overview`), [project, svc.name, svc.updated_at]);
  const [plan, setPlan] = useState(svc.plan);
  const power = useAction(async () => onChange(await patch(paths.service(project, svc.name), { powered: !svc.powered })));
  const change = useAction(async () => onChange(await patch(paths.service(project, svc.name), { plan })));
  const o = ov.data;
  const jobs = o ? Object.entries(o.jobs_by_state || {}) : [];
  return html`
    <div class="cards" data-testid="overview">
      <div class="card"><div class="k">Plan</div><div class="v">${svc.plan}</div></div>
      <div class="card"><div class="k">Task managers</div><div class="v">${o ? o.task_managers : '…'}</div></div>
      <div class="card"><div class="k">Slots used</div><div class="v">${o ? o.slots_total - o.slots_available : '…'}</div></div>
      <div class="card"><div class="k">Slots free</div><div class="v">${o ? `${o.slots_available} / ${o.slots_total}` : '…'}</div></div>
      <div class="card"><div class="k">Power</div><div class="v">${svc.powered ? 'on' : 'off'}</div></div>
    </div>
    <${ErrorBox} error=${ov.error} />
    <section class="panel">
      <h2>Jobs by state</h2>
      ${o && jobs.length === 0 ? html`<${Empty} title="Nothing deployed yet.">
          <p>Create an application on the <a href=${links.service(project, svc.name, 'applications')}>Applications</a> tab, write its SQL and deploy a version.</p></${Empty}>`
        : html`<div class="actions">${jobs.map(([k, v]) => html`<span><${Badge} status=${k} /> ${v}</span>`)}</div>`}
      ${o && o.task_managers === 0 && !(o.jobs_by_state || {}).RUNNING && html`<p class="small muted">No task manager reports to this service yet; deployments stay CREATED until workers join.</p>`}
    </section>
    <section class="panel stack">
      <h2>Power</h2>
      <p class="muted">${svc.powered ? 'Powering off suspends every deployment of the service and frees its slots.' : 'The service is off; power it on to run its deployments again.'}</p>
      <div><button type="button" onClick=${() => power.run()} disabled=${power.busy} data-testid="power">${svc.powered ? 'Power off' : 'Power on'}</button></div>
      <${ErrorBox} error=${power.error} />
    </section>
    <form class="panel stack" onSubmit=${(e) => { e.preventDefault(); change.run(); }}>
      <h2>Plan</h2>
      <${PlanPicker} value=${plan} onChange=${setPlan} name="change-plan" />
      <div><button type="submit" disabled=${change.busy || plan === svc.plan}>Change plan</button></div>
      <${ErrorBox} error=${change.error} />
    </form>
    <${DeleteService} project=${project} svc=${svc} />`;
}

function DeleteService({ project, svc }) {
  const [force, setForce] = useState(false);
  return html`<section class="panel stack">
    <h2>Delete</h2>
    <p class="muted">Deleting removes the service with its integrations and applications. It is refused while deployments are active unless forced.</p>
    <div><${Confirm} label="Delete service" danger title=${`Delete ${svc.name}?`} confirmLabel="Delete for good" requireText=${svc.name}
      message="This cannot be undone." testid="delete-service"
      onConfirm=${async () => { await del(`${paths.service(project, svc.name)}${force ? '?force=true' : ''}`); navigate(links.project(project).slice(1)); }}>
      <label class="inline"><input type="checkbox" checked=${force} onChange=${(e) => setForce(e.target.checked)} /> Also stop its active deployments (force)</label>
    </${Confirm}></div>
  </section>`;
}

function Applications({ project, service }) {
  const list = useLoad(() => listAll(`${paths.service(project, service)}/applications`), [project, service]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useAction(async () => {
    const a = await post(`${paths.service(project, service)}/applications`, { name, ...(description ? { description } : {}) });
    navigate(links.app(project, service, a.id).slice(1));
  });
  return html`
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="applications" />`
      : list.data && list.data.length === 0
        ? html`<${Empty} title="No applications yet."><p>An application is a set of SQL statements (sources, sinks and INSERT INTO … SELECT) you version and deploy. Create one below.</p></${Empty}>`
        : list.data && html`<${Table} head=${['Application', 'Description', '.Created', '.By']} label="Applications">
            ${list.data.map((a) => html`<tr><td><a href=${links.app(project, service, a.id)}>${a.name}</a></td><td>${a.description}</td>
              <td class="hide-narrow"><${Time} at=${a.created_at} /></td><td class="hide-narrow small">${a.created_by}</td></tr>`)}
          </${Table}>`}
    <form class="panel" onSubmit=${(e) => { e.preventDefault(); create.run(); }}>
      <h2>Create an application</h2>
      <div class="row">
        <label>Name<input name="app-name" required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="top-bidders" /></label>
        <label class="grow">Description<input value=${description} onInput=${(e) => setDescription(e.target.value)} /></label>
        <button class="primary" type="submit" disabled=${create.busy}>Create application</button>
      </div>
      <${ErrorBox} error=${create.error} />
    </form>`;
}
