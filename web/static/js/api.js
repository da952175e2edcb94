// The REST client. The bearer token lives in memory and, so that a reload keeps the session, in a
// SameSite=Strict session cookie (never in a URL or in web storage). Requests send it only in the
// Authorization header; the cookie itself is never sent to the server (credentials: 'omit').

const COOKIE = 'fp_token';
let token = readCookie();
const unauthorized = new Set();

function readCookie() {
  const m = document.cookie.split('; ').find((c) => c.startsWith(COOKIE + '='));
  return m ? decodeURIComponent(m.slice(COOKIE.length + 1)) : '';
}

export function getToken() { return token; }

export function setToken(t) {
  token = t;
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${COOKIE}=${encodeURIComponent(t)}; Path=/; SameSite=Strict${secure}`;
}

export function clearToken() {
  token = '';
  document.cookie = `${COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`;
}

// onUnauthorized registers fn(error), called when the server refuses the session's token.
export function onUnauthorized(fn) { unauthorized.add(fn); return () => unauthorized.delete(fn); }

// ApiError carries an RFC 9457 problem document: its message is detail, else title.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || '';
    this.title = this.problem.title || '';
    this.errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
    this.requestId = this.problem.request_id || '';
  }
}

export async function api(method, path, body, { headers = {}, auth = true } = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (auth && token) h.Authorization = 'Bearer ' + token;
  const init = { method, headers: h, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { title: 'Network error', detail: `The server could not be reached (${e.message}).` });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { title: text.slice(0, 300) }; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && auth && token) unauthorized.forEach((fn) => fn(err));
    throw err;
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

// listPage fetches one page of a list: up to 200 items from cursor ('' for the first page).
function listPage(path, cursor) {
  const sep = path.includes('?') ? '&' : '?';
  return get(`${path}${sep}limit=200${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
}

// listAll follows next_cursor (up to max pages) and returns every item.
export async function listAll(path, max = 20) {
  const items = [];
  let cursor = '';
  for (let i = 0; i < max; i++) {
    const page = await listPage(path, cursor);
    items.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

// Paths of the API, built from names and ids with every segment escaped.
const e = encodeURIComponent;
export const paths = {
  project: (p) => `/v1/projects/${e(p)}`,
  service: (p, s) => `/v1/projects/${e(p)}/services/${e(s)}`,
  app: (p, s, a) => `/v1/projects/${e(p)}/services/${e(s)}/applications/${e(a)}`,
  deployment: (p, s, a, d) => `/v1/projects/${e(p)}/services/${e(s)}/applications/${e(a)}/deployments/${e(d)}`,
};

// follower returns a function that lists every item of an append-only, oldest-first list (events,
// checkpoints, savepoints) and, called again, fetches only from the last page on: full pages
// before the last next_cursor never change, so polling a long history stays cheap.
export function follower(path) {
  let fixed = [], from = '';
  return async () => {
    let cursor = from;
    const items = fixed.slice();
    for (;;) {
      const page = await listPage(path, cursor);
      items.push(...(page.items || []));
      if (!page.next_cursor) return items;
      fixed = items.slice();
      from = cursor = page.next_cursor;
    }
  };
}
