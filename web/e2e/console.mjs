// Browser scenarios of the Flowplane console, run by e2e_test.go:
//   node console.mjs <console|jobview|running|checkpoints>
// Environment: FP_URL (server), FP_EMAIL and FP_PASSWORD (a platform admin), FP_SCREENSHOTS (folder),
// FP_CHROMIUM (browser binary, default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const env = (k, d) => process.env[k] || d;
const URL = env('FP_URL');
const EMAIL = env('FP_EMAIL');
const PASSWORD = env('FP_PASSWORD');
const SHOTS = env('FP_SCREENSHOTS', 'screenshots');
const scenario = process.argv[2] || 'console';
assert.ok(URL && EMAIL && PASSWORD, 'FP_URL, FP_EMAIL and FP_PASSWORD are required');

const browser = await chromium.launch({
  executablePath: env('FP_CHROMIUM', '/usr/bin/chromium'),
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await context.newPage();
page.setDefaultTimeout(30000); // generous for a loaded CI machine; waits end as soon as their condition holds

// The console must never reach another origin.
const origin = new globalThis.URL(URL).origin;
const foreign = [];
page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url()); });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of [45]/.test(m.text())) pageErrors.push(m.text()); });

const t0 = Date.now();
const step = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const shot = async (name, opts = {}) => page.screenshot({ path: path.join(SHOTS, `${scenario}-${name}.png`), fullPage: true, ...opts });
const field = (name) => page.getByLabel(name, { exact: true });
const link = (name) => page.getByRole('link', { name, exact: true });
const tab = (name) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
const byText = (sel, text) => page.locator(sel, { hasText: text });

async function signIn() {
  await page.goto(URL + '/');
  await field('Email').waitFor();
  // Keyboard only: type, Tab to the password, Enter submits.
  await field('Email').focus();
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByTestId('who').filter({ hasText: EMAIL }).waitFor();
}

async function createProjectServiceApp(project, service, app) {
  await field('Name').fill(project);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: `Services in ${project}` }).waitFor();
  await field('Name').fill(service);
  await page.locator('label.plan', { hasText: 'startup' }).click();
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByTestId('overview').waitFor();
  await tab('Applications').click();
  await field('Name').fill(app);
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: app }).waitFor();
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
}

async function deploy(parallelism, checkpointSeconds) {
  await tab('Deployments').click();
  await field('Parallelism').fill(String(parallelism));
  if (checkpointSeconds) await field('Checkpoint every (s)').fill(String(checkpointSeconds));
  await page.getByTestId('deploy').click();
  await page.getByRole('heading', { name: /^Deployment / }).waitFor();
}

async function statusIs(status, timeout = 30000) {
  await page.locator(`[data-testid="deployment-status"] [data-status="${status}"]`).waitFor({ timeout });
}

// ---------------------------------------------------------------------------------------------
async function consoleScenario() {
  await page.goto(URL + '/');
  await page.getByRole('heading', { name: 'Sign in to Flowplane' }).waitFor();
  await shot('01-login');

  step('a wrong password shows the API problem');
  await field('Email').fill(EMAIL);
  await field('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('error').waitFor();
  assert.match(await page.getByTestId('error').innerText(), /Sign-in failed/);

  step('sign in with email and password, by keyboard');
  await signIn();
  await page.getByTestId('empty').filter({ hasText: 'You have no project yet.' }).waitFor();
  await shot('02-projects-empty');

  step('an invalid name shows the API error message');
  await field('Name').fill('Bad Name');
  await page.getByRole('button', { name: 'Create project' }).click();
  const err = await page.getByTestId('error').innerText();
  assert.match(err, /name/i, err);

  step('create a project, a service (plan picker) and an application');
  await field('Name').fill('acme');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByTestId('empty').filter({ hasText: 'No services yet.' }).waitFor();
  await shot('03-services-empty');
  await field('Name').fill('stream');
  await page.locator('label.plan', { hasText: 'startup' }).click();
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByTestId('overview').waitFor();
  await page.getByTestId('overview').filter({ hasText: 'startup' }).waitFor();
  await shot('04-service-overview');
  step('power the service off and on');
  await page.getByTestId('power').click();
  await page.locator('.card', { hasText: 'Power' }).filter({ hasText: 'off' }).waitFor();
  await page.locator('h1 [data-status="POWEROFF"]').waitFor();
  await page.getByTestId('power').click();
  await page.locator('.card', { hasText: 'Power' }).filter({ hasText: 'on' }).waitFor();
  await tab('Integrations').click();
  await page.getByTestId('empty').filter({ hasText: 'No integrations yet.' }).waitFor();
  await field('Name').fill('warehouse');
  await field('Host').fill('db.internal');
  await field('Database').fill('analytics');
  await field('User').fill('flow');
  await field('Password (write-only)').fill('s3cret-password');
  await page.getByRole('button', { name: 'Add integration' }).click();
  await byText('td', 'flow@db.internal:5432/analytics').waitFor();
  assert.ok(!(await page.content()).includes('s3cret-password') || (await field('Password (write-only)').inputValue()) === '', 'the secret is not shown');
  await shot('05-integrations');
  await tab('Applications').click();
  await page.getByTestId('empty').filter({ hasText: 'No applications yet.' }).waitFor();
  await field('Name').fill('bids');
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: 'bids' }).waitFor();

  step('the example SQL validates');
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();

  step('a deliberate error is marked at its line and column');
  await page.locator('#statement').fill('INSERT INTO expensive_bids\nSELECT auction, prize\nFROM bids');
  await page.getByTestId('validity').and(page.locator('[data-state="invalid"]')).waitFor();
  const gutterErr = page.locator('[data-editor="statement"] .gutter .err');
  assert.deepEqual(await gutterErr.evaluateAll((els) => els.map((e) => e.dataset.line)), ['2']);
  const diag = await page.getByTestId('diagnostics-statement').innerText();
  assert.match(diag, /Line 2, column 17: unknown column prize/, diag);
  assert.equal(await page.locator('[data-editor="statement"] .tok-err').first().innerText(), 'prize');
  assert.equal(await page.locator('#statement').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByTestId('plan').count(), 0, 'no plan while the SQL is invalid');
  await shot('06-editor-error');
  // The diagnostic moves the caret to the error.
  await page.getByTestId('diagnostics-statement').getByRole('button').first().click();
  assert.equal(await page.locator('#statement').evaluate((t) => t.selectionStart), 'INSERT INTO expensive_bids\nSELECT auction, '.length);
  // Creating the version anyway is refused with the same position.
  await page.getByTestId('create-version').click();
  assert.match(await page.getByTestId('error').first().innerText(), /not valid/);

  step('an error in a source table is marked in that table\'s editor');
  const source = await page.locator('#sources-0').inputValue();
  await page.locator('#sources-0').fill('CREATE TABEL bids (auction BIGINT)');
  await page.getByTestId('diagnostics-sources-0').getByText('Line 1, column 8').waitFor();
  assert.deepEqual(await page.locator('[data-editor="sources-0"] .gutter .err').evaluateAll((els) => els.map((e) => e.dataset.line)), ['1']);
  await page.locator('#sources-0').fill(source);
  await page.locator('[data-editor="sources-0"] .gutter .err').waitFor({ state: 'detached' });

  step('fix it and create versions 1 and 2');
  await page.locator('#statement').fill('INSERT INTO expensive_bids\nSELECT auction, price\nFROM bids\nWHERE price > 100');
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
  assert.equal(await gutterErr.count(), 0);
  step('the valid SQL shows its compiled plan');
  await page.getByTestId('plan-graph').waitFor();
  assert.ok(await page.locator('[data-plan-vertex]').count() >= 1);
  assert.match(await page.getByTestId('plan-graph').getAttribute('aria-label'), /source bids \(datagen\)/);

  step('the preview starts from the statement\'s SELECT');
  assert.equal(await page.locator('#preview-query').inputValue(), 'SELECT auction, price\nFROM bids\nWHERE price > 100');
  step('a long text grows the editor to 30 lines, then scrolls with its line numbers');
  await page.locator('#preview-query').fill(Array.from({ length: 60 }, (_, i) => `-- line ${i + 1}`).join('\n'));
  assert.equal(await page.locator('#preview-query').getAttribute('rows'), '30');
  await page.locator('#preview-query').evaluate((t) => { t.scrollTop = t.scrollHeight; t.dispatchEvent(new Event('scroll')); });
  const scrolled = await page.locator('[data-editor="preview-query"]').evaluate((e) => [e.querySelector('textarea').scrollTop, e.querySelector('.gutter').scrollTop, e.querySelector('pre').scrollTop]);
  assert.ok(scrolled[0] > 0 && scrolled.every((x) => x === scrolled[0]), `textarea, gutter and highlight scroll together: ${scrolled}`);

  step('preview rows: the server answers 202, the console polls the query until it is done');
  await page.locator('#preview-query').fill('SELECT auction, price FROM bidz');
  await page.getByTestId('run-preview').click();
  await page.getByTestId('diagnostics-preview-query').getByText('Line 1, column 28').waitFor();
  assert.match(await page.getByTestId('preview').getByTestId('error').innerText(), /unknown table bidz/);
  await page.locator('#preview-query').fill('SELECT auction, price FROM bids');
  await field('Rows at most').fill('5');
  await page.getByTestId('run-preview').click();
  await page.locator('[data-testid="preview-result"][data-status="COMPLETED"]').waitFor();
  assert.equal(await page.getByRole('table', { name: 'Preview rows' }).locator('tbody tr').count(), 5);
  assert.match(await page.getByTestId('preview-result').innerText(), /5 rows \(stopped at the row limit\)/);
  assert.deepEqual(await page.getByRole('table', { name: 'Preview rows' }).locator('th').allInnerTexts(), ['auction BIGINT', 'price DOUBLE']);
  await shot('06-editor-preview');
  await page.getByTestId('create-version').click();
  await page.getByTestId('saved').filter({ hasText: 'Version 1 created' }).waitFor();
  await page.locator('#statement').fill('INSERT INTO expensive_bids\nSELECT auction, price\nFROM bids\nWHERE price > 250');
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
  await page.getByTestId('create-version').click();
  await page.getByTestId('saved').filter({ hasText: 'Version 2 created' }).waitFor();
  await shot('07-editor-valid');

  step('version history shows the line diff');
  await tab('Versions').click();
  await page.getByTestId('diff').waitFor();
  assert.equal(await page.locator('[data-testid="diff"] .del').innerText(), '- WHERE price > 100');
  assert.equal(await page.locator('[data-testid="diff"] .add').innerText(), '+ WHERE price > 250');
  await shot('08-versions-diff');
  step('open version 1 in the editor');
  await page.locator('tr', { hasText: 'INSERT INTO' }).last().getByRole('link', { name: 'Open in editor' }).click();
  await page.getByText('Editing a draft based on version 1.').waitFor();
  assert.match(await page.locator('#statement').inputValue(), /price > 100/);

  step('deploy version 2 and see it listed with its status and its planned graph');
  await deploy(2);
  await statusIs('CREATED');
  await page.getByTestId('empty').filter({ hasText: 'No job yet.' }).waitFor();
  await page.locator('.vertex.planned[data-vertex]').first().waitFor();
  assert.match(await page.locator('[data-vertex]').first().getAttribute('aria-label'), /parallelism 2, planned; no figures yet/);
  await shot('09-deployment-created');
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'bids' }).click();
  const row = page.locator('tr[data-deployment]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.first().innerText(), /CREATED/);
  await shot('10-deployments');
  step('a second active deployment is refused with the API message');
  await page.getByTestId('deploy').click();
  assert.match(await page.getByTestId('error').innerText(), /already has an active deployment/);
  step('cancel it (confirmed in a dialog)');
  await row.first().getByTestId('cancel').click();
  await page.getByRole('button', { name: 'Cancel the job' }).click();
  await row.first().filter({ hasText: 'CANCELLING' }).waitFor();

  step('members and audit log');
  await link('Members').click();
  await page.getByRole('cell', { name: EMAIL, exact: true }).waitFor();
  await shot('11-members-before');
  step('create a user, add them as a viewer, make them a developer');
  await link('Users').click();
  await field('Email').fill('dev@example.com');
  await field('Name').fill('Dev One');
  await field('Initial password (10+ characters)').fill('dev-password-1');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('cell', { name: 'dev@example.com', exact: true }).waitFor();
  await shot('11-users');
  await link('Members').click();
  await field('Email of an existing user').fill('dev@example.com');
  await page.locator('form', { hasText: 'Add a member' }).getByRole('combobox').selectOption('viewer');
  await page.getByRole('button', { name: 'Add member' }).click();
  const role = page.getByRole('combobox', { name: 'Role of dev@example.com' });
  await role.waitFor();
  assert.equal(await role.inputValue(), 'viewer');
  await role.selectOption('developer');
  await page.getByTestId('role-changed').filter({ hasText: 'dev@example.com is now a developer.' }).waitFor();
  await page.reload();
  await role.waitFor();
  assert.equal(await role.inputValue(), 'developer');
  await shot('11-members');
  await link('Audit log').click();
  await byText('code', 'service.create').first().waitFor();
  await shot('12-audit');

  step('delete a service after typing its name; Escape closes the dialog');
  await link('Services').click();
  await field('Name').fill('scratch');
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByTestId('overview').waitFor();
  await page.getByTestId('delete-service').click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.getByTestId('delete-service').click();
  const confirm = dialog.getByRole('button', { name: 'Delete for good' });
  assert.equal(await confirm.isDisabled(), true, 'delete is disabled until the name is typed');
  await dialog.getByRole('textbox').fill('scratch');
  await confirm.click();
  await page.getByRole('heading', { name: 'Services in acme' }).waitFor();
  await link('stream').waitFor();
  assert.equal(await link('scratch').count(), 0);

  step('narrow screen');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(URL + '/#/p/acme/s/stream/applications');
  await byText('a', 'bids').waitFor();
  await shot('13-narrow-applications');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px on a narrow screen`);
  await link('bids').click();
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
  await page.getByTestId('plan-graph').waitFor();
  await shot('14-narrow-editor');
  const editorOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(editorOverflow <= 1, `the editor scrolls sideways by ${editorOverflow}px on a narrow screen`);
  await page.setViewportSize({ width: 1280, height: 860 });

  step('create an API token (shown once), sign in with it, revoke it: the session is refused');
  await link('API tokens').click();
  await field('Description').fill('e2e token');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('token-secret').innerText();
  assert.ok(secret.length > 40, 'token shown');
  await shot('15-tokens');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Flowplane' }).waitFor();
  await field('Token').fill(secret);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.getByTestId('who').waitFor();
  assert.ok(!page.url().includes(secret), 'the token is never in the URL');
  await link('API tokens').click();
  const mine = page.locator('tr', { hasText: 'this session' });
  await mine.waitFor();
  // Signing out revoked the password login's session token.
  await page.locator('tr', { hasText: 'console login' }).locator('[data-status="REVOKED"]').waitFor();
  assert.match(await mine.innerText(), /e2e token/);
  await mine.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('button', { name: 'Revoke', exact: true }).last().click();
  await page.getByTestId('refused').waitFor();
  assert.match(await page.getByTestId('refused').innerText(), /revoked|token/i);
  await shot('16-session-refused');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to Flowplane' }).waitFor();
}

// ---------------------------------------------------------------------------------------------
// jobview: a stand-in scheduler (fakescheduler_test.go) reports live figures for the vertices of the
// compiled plan of a join, checkpoints and savepoints.
async function jobViewScenario() {
  await signIn();
  await createProjectServiceApp('acme', 'stream', 'bids');
  step('write a join of two sources; the editor shows its 4-vertex plan');
  await page.getByRole('button', { name: 'Add source table' }).click();
  await page.locator('#sources-1').fill("CREATE TABLE auctions (\n  id BIGINT,\n  seller BIGINT\n) WITH ('connector' = 'datagen')");
  await page.locator('#statement').fill('INSERT INTO expensive_bids\nSELECT b.auction, MAX(b.price) AS price\nFROM bids b JOIN auctions a ON b.auction = a.id\nGROUP BY b.auction');
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
  await page.locator('[data-plan-vertex]').nth(3).waitFor();
  assert.equal(await page.locator('[data-plan-vertex]').count(), 4);
  await shot('00-editor-plan');
  await page.getByTestId('create-version').click();
  await page.getByTestId('saved').waitFor();

  step('deploy; the (stand-in) scheduler moves it to RUNNING and the page follows live');
  await deploy(2);
  await statusIs('RUNNING', 30000);
  await page.getByTestId('job-graph').waitFor();
  await page.locator('[data-vertex="join-3"].bp-bad').waitFor();
  assert.equal(await page.locator('[data-vertex]').count(), 4);
  assert.equal(await page.locator('.edge').count(), 3);
  assert.match(await page.locator('[data-vertex="source-bids-1"]').getAttribute('class'), /bp-ok/);
  assert.match(await page.locator('[data-vertex="source-auctions-2"]').getAttribute('class'), /bp-warn/);
  assert.match(await page.locator('[data-vertex="source-bids-1"]').getAttribute('aria-label'),
    /^source-bids-1: parallelism 2, 5\.2k rec\/s out, backpressure 2%, busy 40%, 2 running, watermark \d\d:\d\d:\d\d$/);
  assert.match(await page.locator('[data-vertex="group-aggregate-4"]').getAttribute('aria-label'), /150 rec\/s in/);
  assert.match(await page.locator('[data-edge="join-3->group-aggregate-4"]').textContent(), /hash\(auction\)/);
  assert.match(await page.getByTestId('subtasks').innerText(), /8 running/);
  await page.getByTestId('checkpoint-chart').waitFor();
  assert.ok(await page.locator('[data-testid="checkpoint-chart"] rect.bar').count() >= 6);
  await page.getByTestId('job-failure').or(page.locator('.timeline li.failure').first()).first().waitFor();
  // Keyboard: vertices are focusable.
  await page.locator('[data-vertex="source-bids-1"]').focus();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.vertex), 'source-bids-1');
  await shot('01-job-running');
  step('narrow screen: the graph scrolls inside its box, the page does not');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('01-job-running-narrow');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the job view scrolls sideways by ${overflow}px on a narrow screen`);
  await page.setViewportSize({ width: 1280, height: 860 });

  step('restart (confirmed): the page shows the new event and RUNNING again');
  await page.getByTestId('restart').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Restart' }).click();
  await page.getByTestId('events').getByText('job_restarted').waitFor();
  await statusIs('RUNNING');

  step('trigger a savepoint');
  await page.getByTestId('trigger-savepoint').click();
  await page.locator('tr[data-savepoint]', { hasText: 'COMPLETED' }).first().waitFor();

  step('stop with a savepoint');
  await page.getByTestId('stop').click();
  await page.getByRole('button', { name: 'Stop with savepoint' }).click();
  await statusIs('FINISHED', 30000);
  await page.locator('tr[data-savepoint]', { hasText: 'stop' }).filter({ hasText: 'COMPLETED' }).waitFor();
  await page.locator('[data-vertex="join-3"][aria-label$="no figures kept"]').waitFor();
  await shot('02-job-stopped');

  step('start a new deployment from the savepoint');
  await startFromStopSavepoint();
  await statusIs('RUNNING', 30000);
  assert.match(await page.locator('.card', { hasText: 'Started from' }).innerText(), /sp/);
  await shot('03-job-from-savepoint');
}

async function startFromStopSavepoint(parallelism) {
  await page.locator('tr[data-savepoint]', { hasText: 'stop' }).getByRole('link', { name: 'Start from it' }).click();
  const sp = page.locator('label', { hasText: 'Start from savepoint' }).locator('select');
  await sp.waitFor();
  assert.match(await sp.inputValue(), /^sp/);
  if (parallelism) await field('Parallelism').fill(String(parallelism));
  await page.getByTestId('deploy').click();
  await page.getByRole('heading', { name: /^Deployment / }).waitFor();
}

// writeAggregate writes datagen -> GROUP BY -> blackhole, first with a deliberate error (seen
// marked), then fixed (seen valid with its plan), and creates a version of it.
async function writeAggregate() {
  await page.locator('#sinks-0').fill("CREATE TABLE per_auction (\n  auction BIGINT,\n  bids BIGINT,\n  top DOUBLE\n) WITH ('connector' = 'blackhole')");
  await page.locator('#statement').fill('INSERT INTO per_auction\nSELECT auction, COUNT(*) AS bids, MAX(prize) AS top\nFROM bids\nGROUP BY auction');
  // Wait for this error itself: the draft passed through other invalid states while it was typed.
  await page.getByTestId('diagnostics-statement').filter({ hasText: /Line 2, column 39: unknown column prize/ }).waitFor();
  assert.equal(await page.getByTestId('validity').getAttribute('data-state'), 'invalid');
  assert.equal(await page.locator('[data-editor="statement"] .tok-err').first().innerText(), 'prize');
  await page.locator('#statement').fill('INSERT INTO per_auction\nSELECT auction, COUNT(*) AS bids, MAX(price) AS top\nFROM bids\nGROUP BY auction');
  await page.getByTestId('validity').and(page.locator('[data-state="valid"]')).waitFor();
  await page.locator('[data-plan-vertex]').nth(1).waitFor();
  assert.equal(await page.locator('[data-plan-vertex]').count(), 2);
}

// ---------------------------------------------------------------------------------------------
// running: against `flowplane dev` with the real scheduler and workers.
async function runningScenario() {
  await signIn();
  await createProjectServiceApp('acme', 'stream', 'bids');
  step('SQL with an error, marked; fixed: datagen -> GROUP BY -> blackhole with its plan');
  await writeAggregate();
  step('preview the aggregate: changelog rows with their kinds');
  await page.getByTestId('run-preview').click();
  await page.locator('[data-testid="preview-result"][data-status="COMPLETED"]').waitFor({ timeout: 30000 });
  const kinds = await page.getByRole('table', { name: 'Preview rows' }).locator('td.op').allInnerTexts();
  assert.ok(kinds.length > 0 && kinds.every((k) => ['+I', '-U', '+U', '-D'].includes(k)), `changelog kinds: ${kinds}`);
  assert.equal(kinds[0], '+I');
  await shot('00-editor-preview');
  await page.getByTestId('create-version').click();
  await page.getByTestId('saved').waitFor();

  step('deploy at parallelism 2 and wait for RUNNING (real scheduler and workers)');
  await deploy(2);
  await statusIs('RUNNING', 60000);
  step('the job graph shows live throughput and subtask states on its vertices');
  await page.locator('[data-vertex="source-bids-1"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('[data-vertex]').count(), 2);
  await page.waitForFunction(() => {
    const label = (id) => (document.querySelector(`[data-vertex="${id}"]`) || { getAttribute: () => '' }).getAttribute('aria-label') || '';
    return /, [1-9][\d.]*[kMG]? rec\/s out, .*2 running/.test(label('source-bids-1'))
      && /, [1-9][\d.]*[kMG]? rec\/s in, .*2 running/.test(label('group-aggregate-2'));
  }, null, { timeout: 30000, polling: 250 });
  assert.match(await page.locator('[data-edge="source-bids-1->group-aggregate-2"]').textContent(), /hash\(auction\)/);
  await page.getByTestId('subtasks').filter({ hasText: '4 running' }).waitFor();
  step('the subtasks are spread over both workers');
  await page.getByTestId('placement').locator('summary').click();
  const workers = new Set(await page.getByRole('table', { name: 'Subtask placement' }).locator('tbody tr td:nth-child(3)').allInnerTexts());
  assert.equal(workers.size, 2, `workers: ${[...workers]}`);
  await shot('01-running');

  step('cancel (confirmed): the real scheduler stops the job');
  await page.getByTestId('cancel').click();
  await page.getByRole('button', { name: 'Cancel the job' }).click();
  await statusIs('CANCELED', 60000);
  // An ended job keeps its totals; its rates and backpressure are no longer shown.
  await page.locator('[data-vertex="source-bids-1"][aria-label*="records out, the job has ended"]').waitFor({ timeout: 30000 });
  await shot('02-canceled');
}

// ---------------------------------------------------------------------------------------------
// checkpoints: against `flowplane dev` once the runtime takes checkpoints and savepoints.
async function checkpointsScenario() {
  await signIn();
  await createProjectServiceApp('acme', 'stream', 'bids');
  await writeAggregate();
  await page.getByTestId('create-version').click();
  await page.getByTestId('saved').waitFor();
  await deploy(2, 1);
  await statusIs('RUNNING', 60000);
  assert.match(await page.locator('.card', { hasText: 'Checkpoints' }).first().innerText(), /every 1 s/);
  step('wait for a completed checkpoint');
  await page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr', { hasText: 'COMPLETED' }).first().waitFor({ timeout: 60000 });
  await page.getByTestId('checkpoint-chart').waitFor();
  await shot('01-checkpointed');
  step('trigger a savepoint');
  await page.getByTestId('trigger-savepoint').click();
  await page.locator('tr[data-savepoint]', { hasText: 'manual' }).filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 60000 });
  step('stop with a savepoint');
  await page.getByTestId('stop').click();
  await page.getByRole('button', { name: 'Stop with savepoint' }).click();
  await statusIs('FINISHED', 60000);
  await page.locator('tr[data-savepoint]', { hasText: 'stop' }).filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30000 });
  await shot('02-stopped');
  step('start a new deployment from the savepoint, at the same parallelism');
  await startFromStopSavepoint(2);
  await statusIs('RUNNING', 60000);
  assert.match(await page.locator('.card', { hasText: 'Started from' }).innerText(), /sp/);
  await shot('03-from-savepoint');
}

const scenarios = { console: consoleScenario, jobview: jobViewScenario, running: runningScenario, checkpoints: checkpointsScenario };
let failed = false;
try {
  assert.ok(scenarios[scenario], `unknown scenario ${scenario}`);
  await scenarios[scenario]();
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.deepEqual(pageErrors, [], 'errors in the page');
  step(`scenario ${scenario} passed`);
} catch (e) {
  failed = true;
  console.error(`scenario ${scenario} FAILED at ${page.url()}: ${e.stack || e}`);
  if (pageErrors.length) console.error('page errors:', pageErrors.join('\n'));
  await shot('FAILED').catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
