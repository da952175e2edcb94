// The console's shell: session, top bar with the project switcher, and the routes.
import { html, render, useState, useEffect, useCallback } from './lib.js';
import { get, del, getToken, clearToken, onUnauthorized, listAll } from './api.js';
import { useRoute, navigate, match, links } from './router.js';
import { Loading, ErrorBox } from './ui.js';
import { Login } from './pages/login.js';
import { Projects } from './pages/projects.js';
import { Services } from './pages/services.js';
import { Service } from './pages/service.js';
import { Members } from './pages/members.js';
import { Tokens } from './pages/tokens.js';
import { Audit } from './pages/audit.js';
import { Users } from './pages/users.js';
import { Application } from './pages/application.js';
import { DeploymentView } from './pages/deployment.js';

let lastProject = '';

function App() {
  const route = useRoute();
  const [session, setSession] = useState({ me: null, projects: [], loading: !!getToken(), refused: null });

  const loadSession = useCallback(async () => {
    if (!getToken()) { setSession({ me: null, projects: [], loading: false, refused: null }); return; }
    setSession((s) => ({ ...s, loading: true }));
    try {
      const me = await get('/v1/me');
      const projects = await listAll('/v1/projects');
      setSession({ me, projects, loading: false, refused: null });
    } catch (e) {
      setSession((s) => ({ ...s, me: null, loading: false, refused: s.refused || e }));
    }
  }, []);

  useEffect(() => { loadSession(); }, [loadSession]);
  useEffect(() => onUnauthorized((err) => {
    clearToken();
    setSession({ me: null, projects: [], loading: false, refused: err });
  }), []);

  // Signing out revokes a console login's session token; a pasted API token is only forgotten.
  const signOut = async () => {
    const t = session.me && session.me.token;
    if (t && t.kind === 'session') await del(`/v1/tokens/${encodeURIComponent(t.id)}`).catch(() => {});
    clearToken();
    setSession({ me: null, projects: [], loading: false, refused: null });
    navigate('/login');
  };
  const refreshProjects = async () => {
    const projects = await listAll('/v1/projects');
    setSession((s) => ({ ...s, projects }));
  };

  if (session.loading) return html`<main><${Loading} what="your session" /></main>`;
  if (!session.me) {
    return html`<${Login} refused=${session.refused} onSignedIn=${async () => { await loadSession(); if (/^\/login/.test(route.path)) navigate('/'); }} />`;
  }
  const ctx = { me: session.me, projects: session.projects, refreshProjects, route };
  // Pages outside a project (API tokens) keep the last project in the top bar.
  const inRoute = (match('/p/:project', route.path.split('/').slice(0, 3).join('/')) || {}).project || '';
  if (inRoute) lastProject = inRoute;
  else if (route.path === '/') lastProject = '';
  const project = inRoute || lastProject;
  document.title = `${route.path === '/' ? 'Projects' : route.path.split('/').filter(Boolean).map(decodeURIComponent).slice(-2).join(' ')} · Flowplane`;
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <${TopBar} ctx=${ctx} project=${project} onSignOut=${signOut} />
    <main id="main" tabindex="-1">${page(route, ctx)}</main>`;
}

function TopBar({ ctx, project, onSignOut }) {
  const { me, projects, route } = ctx;
  const cur = (href) => (('#' + route.path) === href ? 'page' : undefined);
  const known = projects.some((p) => p.name === project);
  return html`<header class="top">
    <a class="brand" href="#/">Flowplane</a>
    <select id="project-switch" aria-label="Project" value=${project} onChange=${(e) => navigate(e.target.value ? '/p/' + encodeURIComponent(e.target.value) : '/')}>
      <option value="">All projects</option>
      ${!known && project && html`<option value=${project}>${project}</option>`}
      ${projects.map((p) => html`<option value=${p.name}>${p.name}</option>`)}
    </select>
    <nav aria-label="Main">
      ${project && html`<a href=${links.project(project)} aria-current=${cur(links.project(project))}>Services</a>
      <a href=${links.members(project)} aria-current=${cur(links.members(project))}>Members</a>
      <a href=${links.audit(project)} aria-current=${cur(links.audit(project))}>Audit log</a>`}
      <a href="#/tokens" aria-current=${cur('#/tokens')}>API tokens</a>
      ${me.user.platform_admin && html`<a href="#/users" aria-current=${cur('#/users')}>Users</a>`}
    </nav>
    <span class="spacer"></span>
    <span class="who" data-testid="who">${me.user.email}</span>
    <button type="button" onClick=${onSignOut}>Sign out</button>
  </header>`;
}

function page(route, ctx) {
  const p = route.path;
  let m;
  if (p === '/' || p === '/login') return html`<${Projects} ctx=${ctx} />`;
  if (p === '/tokens') return html`<${Tokens} ctx=${ctx} />`;
  if (p === '/users') return html`<${Users} ctx=${ctx} />`;
  if ((m = match('/p/:project', p))) return html`<${Services} ctx=${ctx} ...${m} />`;
  if ((m = match('/p/:project/members', p))) return html`<${Members} ctx=${ctx} ...${m} />`;
  if ((m = match('/p/:project/audit', p))) return html`<${Audit} ctx=${ctx} ...${m} />`;
  if ((m = match('/p/:project/s/:service', p))) return html`<${Service} ctx=${ctx} tab="overview" ...${m} />`;
  if ((m = match('/p/:project/s/:service/:tab', p))) return html`<${Service} ctx=${ctx} ...${m} />`;
  if ((m = match('/p/:project/s/:service/a/:app', p))) return html`<${Application} ctx=${ctx} tab="editor" ...${m} />`;
  if ((m = match('/p/:project/s/:service/a/:app/:tab', p))) return html`<${Application} ctx=${ctx} ...${m} />`;
  if ((m = match('/p/:project/s/:service/a/:app/d/:deployment', p))) return html`<${DeploymentView} ctx=${ctx} ...${m} />`;
  return html`<${ErrorBox} error=${{ message: `There is no page at ${p}.` }} /><p><a href="#/">Go to your projects</a></p>`;
}

render(html`<${App} />`, document.getElementById('app'));
