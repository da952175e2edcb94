// An application's deployments: create one (version, parallelism, restart strategy, starting
// savepoint) and the history with live status.
import { html, useState } from '../lib.js';
import { get, post, listAll, paths } from '../api.js';
import { navigate, links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Time, Badge, useLoad, useAction, usePoll } from '../ui.js';
import { DeploymentActions } from './deployment.js';

export const terminal = new Set(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);

const strategyFields = {
  'exponential-delay': [['initial_delay_ms', 'Initial delay (ms)', 1000], ['max_delay_ms', 'Max delay (ms)', 300000], ['backoff_multiplier', 'Backoff multiplier', 2]],
  'fixed-delay': [['attempts', 'Attempts', 3], ['delay_ms', 'Delay (ms)', 10000]],
  'failure-rate': [['max_failures_per_interval', 'Failures per interval', 3], ['failure_interval_ms', 'Interval (ms)', 300000], ['delay_ms', 'Delay (ms)', 10000]],
  none: [],
};

export function Deployments({ ctx, project, service, app, base, versions }) {
  const list = useLoad(() => listAll(`${base}/deployments`), [base]);
  usePoll(async () => {
    const items = await listAll(`${base}/deployments`);
    list.setData(items);
    return items.map((d) => d.id + d.status + d.updated_at).join();
  }, [base]);
  const deps = list.data || [];
  return html`
    <${CreateDeployment} ctx=${ctx} project=${project} service=${service} app=${app} base=${base} versions=${versions.data || []} deployments=${deps} onCreated=${list.reload} />
    <h2>History</h2>
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="deployments" />`
      : deps.length === 0 ? html`<${Empty} title="Not deployed yet."><p>Pick a version above and deploy it. Its status updates here live.</p></${Empty}>`
      : html`<${Table} head=${['Deployment', 'Status', 'Version', 'Parallelism', '.Restart strategy', '.Created', '']} label="Deployments">
          ${[...deps].reverse().map((d) => html`<tr data-deployment=${d.id}>
            <td><a href=${links.deployment(project, service, app, d.id)} class="mono small">${d.id}</a></td>
            <td><${Badge} status=${d.status} />${d.status_message && html`<div class="small muted">${d.status_message}</div>`}</td>
            <td>${d.version_number}</td><td>${d.parallelism}</td><td class="hide-narrow small">${d.restart_strategy.type}</td>
            <td class="hide-narrow small"><${Time} at=${d.created_at} /></td>
            <td>${!terminal.has(d.status) && html`<${DeploymentActions} base=${`${base}/deployments/${encodeURIComponent(d.id)}`} d=${d} onChange=${list.reload} />`}</td></tr>`)}
        </${Table}>`}`;
}

function CreateDeployment({ ctx, project, service, app, base, versions, deployments, onCreated }) {
  const latest = versions[versions.length - 1];
  const [versionId, setVersionId] = useState(latest ? latest.id : '');
  const [parallelism, setParallelism] = useState(1);
  const [type, setType] = useState('exponential-delay');
  const [params, setParams] = useState({});
  const [savepoint, setSavepoint] = useState(ctx.route.query.get('savepoint') || '');
  const [ckptInterval, setCkptInterval] = useState('');
  const limits = useLoad(async () => {
    const [svc, plans] = await Promise.all([get(paths.service(project, service)), get('/v1/plans')]);
    const plan = plans.items.find((p) => p.name === svc.plan);
    return { slots: svc.slots, max: plan ? plan.max_parallelism : svc.slots };
  }, [project, service]);
  const savepoints = useLoad(async () => {
    const lists = await Promise.all(deployments.slice(-20).map((d) => listAll(`${base}/deployments/${encodeURIComponent(d.id)}/savepoints`)));
    return lists.flat().filter((s) => s.status === 'COMPLETED');
  }, [base, deployments.length]);
  const act = useAction(async () => {
    const strategy = { type };
    for (const [f] of strategyFields[type]) if (params[f] !== undefined && params[f] !== '') strategy[f] = Number(params[f]);
    const b = { version_id: versionId || (latest && latest.id), parallelism: Number(parallelism), restart_strategy: strategy };
    if (savepoint) b.starting_savepoint_id = savepoint;
    if (ckptInterval !== '') b.checkpoint_interval_ms = Math.round(Number(ckptInterval) * 1000);
    const d = await post(`${base}/deployments`, b);
    onCreated();
    navigate(links.deployment(project, service, app, d.id).slice(1));
  });
  if (versions.length === 0) {
    return html`<${Empty} title="Nothing to deploy yet."><p>Create a version in the <a href=${links.app(project, service, app)}>SQL editor</a> first.</p></${Empty}>`;
  }
  return html`<form class="panel stack" onSubmit=${(e) => { e.preventDefault(); act.run(); }} aria-labelledby="deploy-title">
    <h2 id="deploy-title">Deploy</h2>
    <div class="row">
      <label>Version<select name="version" value=${versionId} onChange=${(e) => setVersionId(e.target.value)}>
        ${[...versions].reverse().map((v) => html`<option value=${v.id}>version ${v.number}</option>`)}</select></label>
      <label>Parallelism<input name="parallelism" type="number" min="1" max=${limits.data ? limits.data.max : undefined} required value=${parallelism} onInput=${(e) => setParallelism(e.target.value)} /></label>
      <label>Restart strategy<select value=${type} onChange=${(e) => { setType(e.target.value); setParams({}); }}>
        ${Object.keys(strategyFields).map((t) => html`<option>${t}</option>`)}</select></label>
      ${strategyFields[type].map(([f, label, ph]) => html`<label>${label}<input type="number" min="0" step="any" placeholder=${String(ph)} value=${params[f] || ''} onInput=${(e) => setParams({ ...params, [f]: e.target.value })} /></label>`)}
      <label>Checkpoint every (s)<input name="checkpoint_interval" type="number" min="0.1" max="86400" step="any" placeholder="10" value=${ckptInterval} onInput=${(e) => setCkptInterval(e.target.value)} /></label>
      <label>Start from savepoint<select value=${savepoint} onChange=${(e) => setSavepoint(e.target.value)}>
        <option value="">none (fresh state)</option>
        ${savepoint && !(savepoints.data || []).some((s) => s.id === savepoint) && html`<option value=${savepoint}>${savepoint}</option>`}
        ${(savepoints.data || []).map((s) => html`<option value=${s.id}>${s.id} (${new Date(s.completed_at || s.created_at).toLocaleString()})</option>`)}</select></label>
    </div>
    ${limits.data && html`<p class="small muted">The service has ${limits.data.slots} task slots; a deployment may use a parallelism up to ${limits.data.max}. Empty restart and checkpoint settings take the server's defaults.</p>`}
    <div><button class="primary" type="submit" disabled=${act.busy} data-testid="deploy">Deploy</button></div>
    <${ErrorBox} error=${act.error} />
  </form>`;
}
