// A service's integrations (postgres, kafka). Secrets are write-only: the form sends them, the list
// only says whether one is set.
import { html, useState } from '../lib.js';
import { post, del, listAll, paths } from '../api.js';
import { ErrorBox, Empty, Loading, Table, Time, Confirm, useLoad, useAction } from '../ui.js';

const blankPg = { host: '', port: 5432, database: '', user: '', password: '', sslmode: 'require' };
const blankKafka = { bootstrap_servers: '', security_protocol: 'PLAINTEXT', sasl_mechanism: '', sasl_username: '', sasl_password: '', ssl_ca_cert: '' };

export function Integrations({ project, service }) {
  const base = `${paths.service(project, service)}/integrations`;
  const list = useLoad(() => listAll(base), [base]);
  return html`
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="integrations" />`
      : list.data && list.data.length === 0
        ? html`<${Empty} title="No integrations yet."><p>An integration stores the connection to a PostgreSQL database or a Kafka cluster once, so tables of your applications can use it without repeating credentials.</p></${Empty}>`
        : list.data && html`<${Table} head=${['Name', 'Type', 'Settings', '.Created', '']} label="Integrations">
            ${list.data.map((i) => html`<tr><td>${i.name}<div class="small muted mono">${i.id}</div></td><td>${i.type}</td><td class="small">${settings(i)}</td>
              <td class="hide-narrow"><${Time} at=${i.created_at} /></td>
              <td><${Confirm} label="Delete" danger title=${`Delete integration ${i.name}?`} message="Tables that use it will fail to deploy." confirmLabel="Delete"
                onConfirm=${async () => { await del(`${base}/${encodeURIComponent(i.id)}`); list.reload(); }} /></td></tr>`)}
          </${Table}>`}
    <${CreateIntegration} base=${base} onCreated=${list.reload} />`;
}

function settings(i) {
  if (i.postgres) {
    const p = i.postgres;
    return html`<code>${p.user}@${p.host}:${p.port}/${p.database}</code> sslmode=${p.sslmode} · password ${p.password_set ? 'set' : 'not set'}`;
  }
  if (i.kafka) {
    const k = i.kafka;
    return html`<code>${(k.bootstrap_servers || []).join(', ')}</code> ${k.security_protocol}${k.sasl_mechanism ? ' ' + k.sasl_mechanism : ''}${k.sasl_username ? ' as ' + k.sasl_username : ''} · SASL password ${k.sasl_password_set ? 'set' : 'not set'}`;
  }
  return '';
}

function CreateIntegration({ base, onCreated }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('postgres');
  const [pg, setPg] = useState(blankPg);
  const [kafka, setKafka] = useState(blankKafka);
  const act = useAction(async () => {
    const body = { name, type };
    if (type === 'postgres') body.postgres = { ...pg, port: Number(pg.port) };
    else {
      const k = { bootstrap_servers: kafka.bootstrap_servers.split(',').map((s) => s.trim()).filter(Boolean), security_protocol: kafka.security_protocol };
      for (const f of ['sasl_mechanism', 'sasl_username', 'sasl_password', 'ssl_ca_cert']) if (kafka[f]) k[f] = kafka[f];
      body.kafka = k;
    }
    await post(base, body);
    setName(''); setPg(blankPg); setKafka(blankKafka);
    onCreated();
  });
  const pgField = (f, label, extra = {}) => html`<label>${label}<input ...${extra} value=${pg[f]} onInput=${(e) => setPg({ ...pg, [f]: e.target.value })} /></label>`;
  const kField = (f, label, extra = {}) => html`<label>${label}<input ...${extra} value=${kafka[f]} onInput=${(e) => setKafka({ ...kafka, [f]: e.target.value })} /></label>`;
  return html`<form class="panel stack" onSubmit=${(e) => { e.preventDefault(); act.run(); }}>
    <h2>Add an integration</h2>
    <div class="row">
      <label>Name<input required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="warehouse" /></label>
      <label>Type<select value=${type} onChange=${(e) => setType(e.target.value)}><option value="postgres">PostgreSQL</option><option value="kafka">Kafka</option></select></label>
    </div>
    ${type === 'postgres' ? html`<div class="row">
        ${pgField('host', 'Host', { required: true })}${pgField('port', 'Port', { type: 'number', min: 1, max: 65535 })}
        ${pgField('database', 'Database', { required: true })}${pgField('user', 'User', { required: true })}
        ${pgField('password', 'Password (write-only)', { type: 'password', autocomplete: 'new-password' })}
        <label>SSL mode<select value=${pg.sslmode} onChange=${(e) => setPg({ ...pg, sslmode: e.target.value })}>${['disable', 'require', 'verify-ca', 'verify-full'].map((m) => html`<option>${m}</option>`)}</select></label>
      </div>`
    : html`<div class="row">
        <label class="grow">Bootstrap servers (comma-separated)<input required value=${kafka.bootstrap_servers} onInput=${(e) => setKafka({ ...kafka, bootstrap_servers: e.target.value })} placeholder="kafka-1:9092, kafka-2:9092" /></label>
        <label>Security protocol<select value=${kafka.security_protocol} onChange=${(e) => setKafka({ ...kafka, security_protocol: e.target.value })}>${['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].map((m) => html`<option>${m}</option>`)}</select></label>
        <label>SASL mechanism<select value=${kafka.sasl_mechanism} onChange=${(e) => setKafka({ ...kafka, sasl_mechanism: e.target.value })}><option value="">none</option>${['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].map((m) => html`<option>${m}</option>`)}</select></label>
        ${kField('sasl_username', 'SASL user')}${kField('sasl_password', 'SASL password (write-only)', { type: 'password', autocomplete: 'new-password' })}
      </div>
      <label>CA certificate (PEM, optional)<textarea rows="3" class="code" value=${kafka.ssl_ca_cert} onInput=${(e) => setKafka({ ...kafka, ssl_ca_cert: e.target.value })}></textarea></label>`}
    <p class="small muted">Passwords are encrypted at rest and never shown again.</p>
    <div><button class="primary" type="submit" disabled=${act.busy}>Add integration</button></div>
    <${ErrorBox} error=${act.error} />
  </form>`;
}
