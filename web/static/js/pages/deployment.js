// One deployment: live status, stop/cancel/restart, the job graph, exceptions, events,
// checkpoints and savepoints.
import { html, useRef, useState, useEffect, useMemo } from '../lib.js';
import { get, post, follower, listAll, paths } from '../api.js';
import { links } from '../router.js';
import { ErrorBox, Empty, Loading, Table, Time, Badge, Crumbs, Confirm, bytes, useAction, usePoll } from '../ui.js';
import { JobGraph } from '../dag.js';
import { jobGraph, jobEnded, vertexStats } from '../graph.js';
import { CheckpointChart, checkpointMs } from '../charts.js';

const terminal = new Set(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);

// DeploymentActions: stop with a savepoint, cancel, restart, each confirmed first.
export function DeploymentActions({ base, d, onChange }) {
  const act = (verb) => async () => { await post(`${base}/${verb}`); onChange(); };
  return html`<div class="actions">
    <${Confirm} label="Stop" title="Stop with a savepoint?" testid="stop" confirmLabel="Stop with savepoint"
      message="The job takes a savepoint, then stops. You can start a new deployment from that savepoint later." onConfirm=${act('stop')} />
    <${Confirm} label="Cancel" danger title="Cancel without a savepoint?" testid="cancel" confirmLabel="Cancel the job"
      message="The job stops at once; state since the last checkpoint is lost." onConfirm=${act('cancel')} />
    ${d.status !== 'CREATED' && html`<${Confirm} label="Restart" title="Restart the job?" testid="restart" confirmLabel="Restart"
      message="Every task restarts from the latest completed checkpoint." onConfirm=${act('restart')} />`}
  </div>`;
}

async function optional(p) {
  try { return await p; } catch (e) { if (e.status === 404) return null; throw e; }
}

export function DeploymentView({ project, service, app, deployment }) {
  const base = paths.deployment(project, service, app, deployment);
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const [rates, setRates] = useState({});
  const [appName, setAppName] = useState('application');
  useEffect(() => { get(paths.app(project, service, app)).then((a) => setAppName(a.name), () => {}); }, [project, service, app]);
  const prev = useRef(null);
  const lists = useMemo(() => ({ events: follower(`${base}/events`), checkpoints: follower(`${base}/checkpoints`) }), [base]);
  const load = async () => {
    try {
      const [d, job, events, checkpoints, savepoints] = await Promise.all([get(base), optional(get(`${base}/job`)),
        lists.events(), lists.checkpoints(), listAll(`${base}/savepoints`)]);
      checkpoints.sort((a, b) => a.checkpoint_id - b.checkpoint_id);
      setState({ d, job, events, checkpoints, savepoints });
      setError(null);
      if (job) measureRates(job, prev, setRates);
      return [d.status, d.updated_at, job && job.updated_at, events.length, checkpoints.length, savepoints.map((s) => s.status).join()].join('|');
    } catch (e) { setError(e); throw e; }
  };
  // While the scheduler reports live figures the page refreshes at least every 2 s; otherwise it
  // backs off to 10 s while nothing changes.
  const live = !!(state && state.job && state.job.vertices && state.job.vertices.length && !terminal.has(state.d.status));
  usePoll(load, [base, live], { min: 1000, max: live ? 2000 : 10000 });
  useEffect(() => { load().catch(() => {}); }, [base]);
  const trigger = useAction(async () => { await post(`${base}/savepoints`); await load(); });

  const crumbs = html`<${Crumbs} items=${[{ label: 'Projects', href: '#/' }, { label: project, href: links.project(project) },
    { label: service, href: links.service(project, service, 'applications') }, { label: appName, href: links.app(project, service, app, 'deployments') }, { label: deployment }]} />`;
  if (!state) return html`${crumbs}<${ErrorBox} error=${error} />${!error && html`<${Loading} what="the deployment" />`}`;
  const { d, job, events, checkpoints, savepoints } = state;
  const failures = events.filter((e) => /fail|exception|error/i.test(e.type) || e.status === 'FAILED' || e.status === 'FAILING');
  return html`${crumbs}
    <h1>Deployment <span class="mono">${d.id}</span></h1>
    <div class="cards">
      <div class="card"><div class="k">Status</div><div class="v" data-testid="deployment-status"><${Badge} status=${d.status} /></div>${d.status_message && html`<div class="small muted">${d.status_message}</div>`}</div>
      <div class="card"><div class="k">Version</div><div class="v">${d.version_number}</div></div>
      <div class="card"><div class="k">Parallelism</div><div class="v">${d.parallelism}</div></div>
      <div class="card"><div class="k">Restart strategy</div><div class="v small">${d.restart_strategy.type}</div></div>
      <div class="card"><div class="k">Checkpoints</div><div class="v small">${d.checkpoint_interval_ms ? `every ${d.checkpoint_interval_ms / 1000} s` : 'server default'}</div></div>
      <div class="card"><div class="k">Started from</div><div class="v small mono">${d.starting_savepoint_id || 'fresh state'}</div></div>
    </div>
    <${ErrorBox} error=${error} />
    ${!terminal.has(d.status) && html`<${DeploymentActions} base=${base} d=${d} onChange=${load} />`}
    <p class="small muted" aria-live="polite">Desired action: ${d.desired_action}. Created <${Time} at=${d.created_at} />, updated <${Time} at=${d.updated_at} />. This page refreshes by itself.</p>

    <h2>Job</h2>
    <${JobSection} job=${job} d=${d} rates=${rates} />

    <h2>Exceptions</h2>
    ${!(job && job.failure) && failures.length === 0 ? html`<p class="muted">No exception reported.</p>`
      : html`${job && job.failure && html`<pre class="error" data-testid="job-failure">${job.failure}</pre>`}
        <ul class="timeline">${failures.map((e) => html`<li class="failure"><${Time} at=${e.created_at} /> <b>${e.type}</b> ${e.message}</li>`)}</ul>`}

    <h2>Events</h2>
    ${events.length === 0 ? html`<p class="muted">Nothing happened yet.</p>`
      : html`<ol class="timeline" data-testid="events">${[...events].reverse().map((e) => html`<li class=${/fail/i.test(e.type) || e.status === 'FAILED' ? 'failure' : ''}>
          <${Time} at=${e.created_at} /> <b>${e.type}</b>${e.status && html` <${Badge} status=${e.status} />`}${e.attempt != null && html` <span class="small muted">attempt ${e.attempt}</span>`}<div>${e.message}</div></li>`)}</ol>`}

    <h2>Checkpoints</h2>
    ${checkpoints.length === 0 ? html`<p class="muted">No checkpoint yet. The running job checkpoints its state periodically; completed checkpoints appear here.</p>`
      : html`<${CheckpointChart} checkpoints=${checkpoints} />
        <${Table} head=${['Checkpoint', 'Status', 'Size', 'Duration', '.Completed']} label="Checkpoints">
          ${[...checkpoints].reverse().slice(0, 20).map((c) => html`<tr data-checkpoint=${c.checkpoint_id}><td>#${c.checkpoint_id}${c.is_savepoint && html` <span class="small muted">savepoint</span>`}</td>
            <td><${Badge} status=${c.status} />${c.failure_message && html`<div class="small">${c.failure_message}</div>`}</td><td>${bytes(c.size_bytes)}</td>
            <td>${checkpointMs(c) != null ? `${checkpointMs(c)} ms` : '—'}</td><td class="hide-narrow small"><${Time} at=${c.completed_at} /></td></tr>`)}
        </${Table}>`}

    <h2>Savepoints</h2>
    <div class="actions"><button type="button" onClick=${() => trigger.run()} disabled=${trigger.busy || terminal.has(d.status)} data-testid="trigger-savepoint">Trigger savepoint</button></div>
    <${ErrorBox} error=${trigger.error} />
    ${savepoints.length === 0 ? html`<p class="muted">No savepoint yet. Trigger one, or stop the deployment with a savepoint, to keep its state for a later deployment.</p>`
      : html`<${Table} head=${['Savepoint', 'Status', 'Reason', 'Size', '.Created', '']} label="Savepoints">
          ${[...savepoints].reverse().map((s) => html`<tr data-savepoint=${s.id}><td class="mono small">${s.id}${s.checkpoint_id != null && html`<div class="muted">checkpoint #${s.checkpoint_id}</div>`}</td><td><${Badge} status=${s.status} />${s.failure && html`<div class="small">${s.failure}</div>`}</td>
            <td>${s.reason}</td><td>${s.size_bytes != null ? bytes(s.size_bytes) : '—'}</td><td class="hide-narrow small"><${Time} at=${s.created_at} /></td>
            <td>${s.status === 'COMPLETED' && html`<a class="button" href=${links.app(project, service, app, 'deployments') + '?savepoint=' + encodeURIComponent(s.id)}>Start from it</a>`}</td></tr>`)}
        </${Table}>`}`;
}

const legend = html`<div class="legend small"><span>Backpressure:</span><span><span class="sw bp-ok"></span>under 10%</span><span><span class="sw bp-warn"></span>10–50%</span><span><span class="sw bp-bad"></span>over 50%</span><span><span class="sw planned"></span>no figures yet</span></div>`;

// JobSection: the current attempt and the job graph (the deployment's plan with the scheduler's
// live figures on its vertices); before the first attempt, the planned graph.
function JobSection({ job, d, rates }) {
  const g = jobGraph(job);
  const graph = g.vertices.length === 0 ? html`<p class="muted">The scheduler has not reported the job graph yet.</p>`
    : html`<${JobGraph} graph=${g} rates=${jobEnded(job) ? {} : rates}
        note=${!job || !job.id ? 'planned; no figures yet' : jobEnded(job) ? 'no figures kept' : 'waiting for figures'} />${!jobEnded(job) && g.vertices.some((v) => v.live || v.metrics) && legend}`;
  if (!job || !job.id) {
    return html`<${Empty} title="No job yet."><p>The scheduler starts a job once the service has free task slots. Until then the deployment stays ${d.status}.${g.vertices.length ? ' The planned job graph:' : ''}</p></${Empty}>
      ${g.vertices.length > 0 && graph}`;
  }
  const states = {};
  for (const v of job.vertices || []) for (const [k, n] of Object.entries(v.states || {})) states[k] = (states[k] || 0) + n;
  const subtasks = Object.entries(states).map(([k, n]) => `${n} ${k.toLowerCase()}`).join(', ');
  const placed = (job.graph && Array.isArray(job.graph.subtasks)) ? job.graph.subtasks : [];
  return html`<p>Attempt ${job.attempt} · <${Badge} status=${job.status} /> · started <${Time} at=${job.started_at} />${job.ended_at && html` · ended <${Time} at=${job.ended_at} />`}${subtasks && html` · <span data-testid="subtasks">subtasks: ${subtasks}</span>`}</p>
    ${graph}
    ${placed.length > 0 && html`<details class="placement" data-testid="placement"><summary>Where the ${placed.length} subtasks run</summary>
      <${Table} head=${['Vertex', 'Subtask', 'Worker', '.Slot', 'State when placed']} label="Subtask placement">
        ${placed.map((x) => html`<tr><td class="small">${x.vertex}</td><td>${x.index + 1}/${placed.filter((y) => y.vertex === x.vertex).length}</td>
          <td class="mono small">${x.worker || '—'}</td><td class="hide-narrow">${x.slot ?? '—'}</td><td>${x.state ? html`<${Badge} status=${x.state} />` : '—'}</td></tr>`)}
      </${Table}></details>`}`;
}

// measureRates turns two consecutive snapshots of cumulative record counts into records/s, for
// vertices whose figures come without rates.
function measureRates(job, prev, setRates) {
  const now = Date.now();
  const counts = {};
  for (const v of jobGraph(job).vertices) {
    const m = vertexStats(v);
    counts[v.id] = { in: m.recordsIn, out: m.recordsOut };
  }
  const p = prev.current;
  if (p && p.job === job.id && now > p.t) {
    const dt = (now - p.t) / 1000, r = {};
    for (const [id, c] of Object.entries(counts)) {
      const o = p.counts[id];
      if (!o) continue;
      r[id] = {
        in: c.in !== undefined && o.in !== undefined && c.in >= o.in ? (c.in - o.in) / dt : undefined,
        out: c.out !== undefined && o.out !== undefined && c.out >= o.out ? (c.out - o.out) / dt : undefined,
      };
    }
    setRates(r);
  }
  prev.current = { t: now, job: job.id, counts };
}
