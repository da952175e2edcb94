// A hash router: #/p/<project>/s/<service>/... Routes are matched segment by segment.
import { useState, useEffect } from './lib.js';

export function currentPath() {
  const h = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = h.split('?');
  return { path, query: new URLSearchParams(query) };
}

export function useRoute() {
  const [r, setR] = useState(currentPath());
  useEffect(() => {
    const on = () => setR(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

export function navigate(to) {
  if (location.hash === '#' + to) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = to;
}

// match returns the named parameters of pattern (e.g. '/p/:project') in path, or null.
export function match(pattern, path) {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const out = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
    else if (ps[i] !== xs[i]) return null;
  }
  return out;
}

const e = encodeURIComponent;
export const links = {
  project: (p) => `#/p/${e(p)}`,
  members: (p) => `#/p/${e(p)}/members`,
  audit: (p) => `#/p/${e(p)}/audit`,
  service: (p, s, tab = '') => `#/p/${e(p)}/s/${e(s)}${tab ? '/' + tab : ''}`,
  app: (p, s, a, tab = '') => `#/p/${e(p)}/s/${e(s)}/a/${e(a)}${tab ? '/' + tab : ''}`,
  deployment: (p, s, a, d) => `#/p/${e(p)}/s/${e(s)}/a/${e(a)}/d/${e(d)}`,
};
