// Sign in with email and password (a short-lived console token) or with a pasted API token.
import { html, useState } from '../lib.js';
import { api, setToken, clearToken } from '../api.js';
import { ErrorBox } from '../ui.js';

// sentence ends s with a full stop.
const sentence = (s) => (/[.!?]$/.test(s) ? s : s + '.');

export function Login({ refused, onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setTok] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const withPassword = async (ev) => {
    ev.preventDefault();
    setBusy(true); setError(null);
    try {
      const s = await api('POST', '/v1/auth/login', { email, password }, { auth: false });
      setToken(s.token);
      await onSignedIn();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const withToken = async (ev) => {
    ev.preventDefault();
    setBusy(true); setError(null);
    const t = token.trim().replace(/^Bearer\s+/i, '');
    try {
      setToken(t);
      await api('GET', '/v1/me', undefined, { auth: true });
      await onSignedIn();
    } catch (e) { clearToken(); setError(e); } finally { setBusy(false); }
  };

  return html`<main class="login" id="main">
    <h1>Sign in to Flowplane</h1>
    ${refused && !error && html`<div class="error" role="alert" data-testid="refused"><b>Your session was refused.</b> ${sentence(refused.message)} Sign in again.</div>`}
    <form class="panel stack" onSubmit=${withPassword} aria-labelledby="pw-title">
      <h2 id="pw-title">Email and password</h2>
      <label>Email<input type="email" name="email" autocomplete="username" required value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
      <label>Password<input type="password" name="password" autocomplete="current-password" required value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
      <button class="primary" type="submit" disabled=${busy}>Sign in</button>
    </form>
    <form class="panel stack" onSubmit=${withToken} aria-labelledby="tok-title">
      <h2 id="tok-title">API token</h2>
      <p class="small muted">Paste a token from <code>flowplane dev</code>, <code>flowplane bootstrap</code> or the API tokens page. It is kept in memory and a same-site session cookie only.</p>
      <label>Token<input type="password" name="token" autocomplete="off" required value=${token} onInput=${(e) => setTok(e.target.value)} /></label>
      <button type="submit" disabled=${busy}>Use token</button>
    </form>
    <${ErrorBox} error=${error} prefix="Sign-in failed" />
  </main>`;
}
