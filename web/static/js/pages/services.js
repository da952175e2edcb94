// A project's services, and creating one with a plan picked from GET /v1/plans.
import { html, useState } from '../lib.js';
import { get, post, del, listAll, paths } from '../api.js';
import { navigate, links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Badge, Time, Crumbs, Confirm, useLoad, useAction } from '../ui.js';

export function Services({ ctx, project }) {
  const list = useLoad(() => listAll(`${paths.project(project)}/services`), [project]);
  return html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project }]} />
    <h1>Services in ${project}</h1>
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="services" />`
      : list.data && list.data.length === 0
        ? html`<${Empty} title="No services yet.">
            <p>A service is a cluster of task slots that runs your SQL applications. Create one below; the plan decides how many slots it has.</p></${Empty}>`
        : list.data && html`<${Table} head=${['Service', 'State', 'Plan', 'Slots', '.Created']} label="Services">
            ${list.data.map((s) => html`<tr><td><a href=${links.service(project, s.name)}>${s.name}</a></td><td><${Badge} status=${s.state} /></td>
              <td>${s.plan}</td><td>${s.slots}</td><td class="hide-narrow"><${Time} at=${s.created_at} /></td></tr>`)}
          </${Table}>`}
    <${CreateService} project=${project} />
    ${list.data && list.data.length === 0 && html`<section class="panel stack"><h2>Delete the project</h2>
      <p class="muted">An empty project can be deleted with its members and tokens narrowed to it.</p>
      <div><${Confirm} label="Delete project" danger title=${`Delete ${project}?`} confirmLabel="Delete for good" requireText=${project} message="This cannot be undone."
        onConfirm=${async () => { await del(paths.project(project)); await ctx.refreshProjects(); navigate('/'); }} /></div></section>`}`;
}

export function PlanPicker({ value, onChange, name = 'plan' }) {
  const plans = useLoad(() => get('/v1/plans').then((r) => r.items), []);
  if (plans.error) return html`<${ErrorBox} error=${plans.error} prefix="Plans" />`;
  if (!plans.data) return html`<${Loading} what="plans" />`;
  return html`<fieldset class="plans"><legend>Plan</legend>
    ${plans.data.map((p) => html`<label class="plan"><input type="radio" name=${name} value=${p.name} checked=${value === p.name} onChange=${() => onChange(p.name)} required />
      <span><b>${p.name}</b><br /><span class="small muted">${p.slots} task slots · parallelism up to ${p.max_parallelism}</span></span></label>`)}
  </fieldset>`;
}

function CreateService({ project }) {
  const [name, setName] = useState('');
  const [plan, setPlan] = useState('hobbyist');
  const act = useAction(async () => {
    const s = await post(`${paths.project(project)}/services`, { name, plan });
    navigate(links.service(project, s.name).slice(1));
  });
  return html`<form class="panel stack" onSubmit=${(e) => { e.preventDefault(); act.run(); }} aria-labelledby="new-svc">
    <h2 id="new-svc">Create a service</h2>
    <label>Name<input name="service-name" required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="streaming" /></label>
    <${PlanPicker} value=${plan} onChange=${setPlan} />
    <div><button class="primary" type="submit" disabled=${act.busy}>Create service</button></div>
    <${ErrorBox} error=${act.error} />
  </form>`;
}
