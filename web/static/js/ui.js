// Shared pieces: loading hooks, error and empty states, badges, confirmation dialogs, formatting.
import { html, useState, useEffect, useRef, useCallback } from './lib.js';

// useLoad runs the async fn when deps change; reload() runs it again.
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(async (quiet) => {
    const n = ++seq.current;
    if (!quiet) setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fn();
      if (n === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (n === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => { run(false); }, [run]);
  return { ...state, reload: () => run(true), setData: (data) => setState((s) => ({ ...s, data })) };
}

// usePoll calls fn now and then again and again, backing off from 1 s to max while nothing
// changes (fn returns a fingerprint) and starting over at 1 s when it does. It pauses while the
// page is hidden.
export function usePoll(fn, deps, { min = 1000, max = 15000, enabled = true } = {}) {
  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false, timer = 0, delay = min, last;
    const tick = async () => {
      if (stopped) return;
      if (document.hidden) { timer = setTimeout(tick, min); return; }
      let fp;
      try { fp = await fn(); } catch { fp = last; delay = Math.min(delay * 2, max); }
      if (stopped) return;
      delay = fp !== last ? min : Math.min(delay * 2, max);
      last = fp;
      timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, min);
    return () => { stopped = true; clearTimeout(timer); };
  }, [...deps, enabled]);
}

export function ErrorBox({ error, prefix }) {
  if (!error) return null;
  const errs = error.errors || [];
  return html`<div class="error" role="alert" data-testid="error">
    ${prefix ? html`<b>${prefix}: </b>` : ''}${error.title && error.message !== error.title ? html`<b>${error.title}: </b>` : ''}${error.message}
    ${errs.length > 0 && html`<ul>${errs.map((e) => html`<li>${e.field ? html`<code>${e.field}</code> ` : ''}${e.line ? `line ${e.line}, column ${e.column}: ` : ''}${e.message}</li>`)}</ul>`}
    ${error.requestId && html`<div class="small muted">request id ${error.requestId}</div>`}
  </div>`;
}

export function Empty({ title, children }) {
  return html`<div class="empty" data-testid="empty"><strong>${title}</strong>${children}</div>`;
}

export function Loading({ what = '' }) {
  return html`<p class="muted" aria-live="polite">Loading${what ? ' ' + what : ''}…</p>`;
}

const statusClass = {
  RUNNING: 'ok', FINISHED: 'ok', COMPLETED: 'ok', POWEROFF: '', CANCELED: '', SUSPENDED: '',
  CREATED: 'info', INITIALIZING: 'info', REBUILDING: 'info', PENDING: 'info', RESTARTING: 'warn',
  SAVING_AND_STOP: 'warn', CANCELLING: 'warn', FAILING: 'bad', FAILED: 'bad',
};
export function Badge({ status }) {
  return html`<span class="badge ${statusClass[status] || ''}" data-status=${status}>${status}</span>`;
}

export function Time({ at }) {
  if (!at) return html`<span class="muted">—</span>`;
  const d = new Date(at);
  return html`<time datetime=${at} title=${d.toISOString()}>${d.toLocaleString()}</time>`;
}

export function bytes(n) {
  if (n == null) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, x = Number(n);
  while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
  return `${i ? x.toFixed(1) : x} ${u[i]}`;
}

export { num } from './graph.js';

export function Crumbs({ items }) {
  return html`<nav class="crumbs" aria-label="Breadcrumb">${items.map((it, i) => html`${i > 0 ? ' / ' : ''}${it.href ? html`<a href=${it.href}>${it.label}</a>` : html`<span aria-current="page">${it.label}</span>`}`)}</nav>`;
}

export function Tabs({ items, current }) {
  return html`<nav class="tabs" aria-label="Sections">${items.map((t) => html`<a href=${t.href} aria-current=${t.id === current ? 'page' : undefined}>${t.label}</a>`)}</nav>`;
}

// Confirm renders a button that opens a modal dialog; onConfirm runs when the user confirms. With
// requireText the user must type it first (e.g. the service's name before deleting it).
let dialogSeq = 0;

export function Confirm({ label, title, message, confirmLabel = 'Confirm', danger = false, requireText = '', onConfirm, children, disabled, testid }) {
  const ref = useRef(null);
  const titleId = useRef('dlg-' + ++dialogSeq).current;
  const [typed, setTyped] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const open = () => { setTyped(''); setError(null); ref.current.showModal(); };
  const submit = async (ev) => {
    ev.preventDefault();
    setBusy(true); setError(null);
    try { await onConfirm(); ref.current && ref.current.close(); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return html`<button type="button" class=${danger ? 'danger' : ''} onClick=${open} disabled=${disabled} data-testid=${testid}>${label}</button>
  <dialog ref=${ref} aria-labelledby=${titleId}>
    <form onSubmit=${submit} class="stack">
      <h2 id=${titleId}>${title || label}</h2>
      <div>${message}</div>
      ${children}
      ${requireText && html`<label>Type <code>${requireText}</code> to confirm<input value=${typed} onInput=${(e) => setTyped(e.target.value)} autocomplete="off" /></label>`}
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="submit" class=${danger ? 'danger solid' : 'primary'} disabled=${busy || (requireText && typed !== requireText)}>${confirmLabel}</button>
        <button type="button" onClick=${() => ref.current.close()}>Keep it</button>
      </div>
    </form>
  </dialog>`;
}

// useAction wraps an async handler with busy and error state.
export function useAction(fn) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (...args) => {
    setBusy(true); setError(null);
    try { return await fn(...args); } catch (e) { setError(e); return undefined; } finally { setBusy(false); }
  };
  return { run, busy, error, setError };
}

export function Table({ head, children, label }) {
  return html`<div class="table-wrap"><table aria-label=${label}><thead><tr>${head.map((h) => html`<th scope="col" class=${h.startsWith('.') ? 'hide-narrow' : ''}>${h.replace(/^\./, '')}</th>`)}</tr></thead><tbody>${children}</tbody></table></div>`;
}
