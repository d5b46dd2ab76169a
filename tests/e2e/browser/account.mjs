/*
 * The page's sessions and account (docs/API.md "The page", "Sessions"), in
 * a real browser, for page.test.mjs: the person's page (`t.page`) and other
 * "devices", each a browser context of its own with its own user agent.
 * The scheduled refresh is waited for as it comes (JWT_EXPIRES_IN is 20 s
 * in tests/run --browser); one device's clock is stopped (Playwright's
 * clock: its timers do not run) so that its access token really expires
 * at the API, which then answers `Token has expired`. The reset link is
 * read from the mail the real SMTP server of the run received
 * (TASKAPI_TEST_SMTP_DIR).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/* How long one expectation may wait for the screen to show it: most
 * steps wait for a password's scrypt (login, password change, deletion),
 * which takes seconds on a busy machine. */
const WAIT_MS = 60000;
/* tests/run --browser's JWT_EXPIRES_IN, and the API's leeway past `exp`
 * (docs/API.md "Tokens issued here"). */
const EXPIRES_IN_S = 20;
const LEEWAY_S = 30;
const TOO_COMMON = 'password1';

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/* Waits until fn (run in page p) returns true; fails with what p shows. */
async function until(p, what, fn, arg) {
  try {
    await p.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    const shown = await p.evaluate(() => document.body.innerText).catch(() => '(no page)');
    throw new Error(`the page never showed ${what}; it shows:\n${shown}`);
  }
}

async function expectText(p, selector, want) {
  await until(p, `${selector} = ${JSON.stringify(want)}`, ([s, w]) => {
    const e = document.querySelector(s);
    return e !== null && e.offsetParent !== null && e.textContent.trim() === w;
  }, [selector, want]);
}

async function expectShown(p, selector) {
  await until(p, `${selector} shown`, (s) => {
    const e = document.querySelector(s);
    return e !== null && e.offsetParent !== null;
  }, selector);
}

async function expectError(p, want) {
  await until(p, `the error ${want}`, (w) => {
    const e = document.getElementById('error');
    return !e.hidden && e.textContent === w;
  }, want);
}

async function expectNoError(p) {
  assert.equal(await p.locator('#error').isVisible(), false,
    `an error is shown: ${await p.locator('#error').textContent()}`);
}

/* Nothing of the session outside the page's memory. */
async function expectNothingStored(p) {
  const stored = await p.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
  }));
  assert.deepEqual(stored, { local: 0, session: 0, cookie: '' }, 'nothing in storage or cookies');
  assert.deepEqual(await p.context().cookies(), [], 'no cookies');
}

/* The session list on screen: [{ current, agent }], newest first. */
async function sessionsShown(p) {
  return p.$$eval('#sessions > li', (items) => items.map((li) => ({
    current: li.dataset.current === 'true',
    agent: li.querySelector('.agent').textContent,
  })));
}

async function expectSessions(p, want) {
  await until(p, `the sessions ${JSON.stringify(want)}`, (w) => {
    if (document.querySelector('#account[aria-busy]') !== null) return false;
    const got = [...document.querySelectorAll('#sessions > li')].map((li) => ({
      current: li.dataset.current === 'true', agent: li.querySelector('.agent').textContent,
    }));
    return JSON.stringify(got) === JSON.stringify(w);
  }, want);
}

/* Clicks and waits for the form's (or panel's) request to finish. */
async function press(p, button, busy) {
  await p.locator(button).click();
  await until(p, `${busy} to finish`, (b) => !document.querySelector(b).hasAttribute('aria-busy'), busy);
}

/*
 * Sends a form of the routes that share the rate limit of logins (every
 * device of the run is one address), and again, as many times as it
 * takes, after the wait that the page's 429 shows.
 */
async function pressLimited(p, button, busy) {
  for (let i = 0; i < 6; i++) {
    await press(p, button, busy);
    const shown = await p.locator('#error').isVisible();
    const m = shown && /^429 Too Many Requests: Too many requests\. .*\(Retry-After: (\d+)\)\.$/
      .exec(await p.locator('#error').innerText());
    if (!m) return;
    await sleep(1000 * Number(m[1]));
  }
  assert.fail(`${button}: still rate limited`);
}

async function signIn(p, email, pw) {
  await p.locator('#email').fill(email);
  await p.locator('#password').fill(pw);
  await pressLimited(p, '#auth-form button[value="login"]', '#auth-form');
  assert.ok(await p.locator('#who').isVisible(),
    `sign in: ${await p.locator('#error').innerText()}`);
}

/* The answers page p gets from the API, as [method path status]; but
 * the refreshes its timer makes, when `timed` (they come when they will). */
function recordAnswers(p, timed) {
  const seen = [];
  p.on('response', (r) => {
    const url = new URL(r.url());
    if (timed && url.pathname === '/api/auth/refresh') return;
    if (url.pathname.startsWith('/api/')) {
      seen.push(`${r.request().method()} ${url.pathname}${url.search} ${r.status()}`);
    }
  });
  return seen;
}

async function openAccount(p) {
  if (!(await p.locator('#account').isVisible())) await p.locator('#account-toggle').click();
  await expectShown(p, '#sessions > li');
}

async function reloadSessions(p) {
  await press(p, '#sessions-reload', '#account');
}

/* The device's next request (the session list) meets its ended session:
 * the sign-in form. */
async function expectSignedOut(p, why) {
  const shown = await p.locator('#account').isVisible();
  await p.locator(shown ? '#sessions-reload' : '#account-toggle').click();
  await expectError(p, why);
  await expectShown(p, '#auth');
  assert.equal(await p.locator('#app').isVisible(), false);
  assert.equal(await p.locator('#account').isVisible(), false);
}

/* The mails the run's SMTP server kept (tests/support/smtp-sink.py: one
 * JSON file each, {mail_from, rcpt_tos, data}), oldest first. */
function mails(dir) {
  return readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

/* The reset link of the first mail to `to` after the first `since`
 * mails, waited for: the API sends it after its answer. */
async function resetLink(dir, since, to) {
  for (let waited = 0; waited < WAIT_MS; waited += 100) {
    const mail = mails(dir).slice(since).find((m) => m.rcpt_tos.includes(to));
    if (mail !== undefined) {
      const m = /https?:\/\/\S*#reset=[A-Za-z0-9_-]+/.exec(mail.data);
      assert.ok(m, `a reset link in the mail:\n${mail.data}`);
      return m[0];
    }
    await sleep(100);
  }
  return assert.fail(`no mail to ${to} in ${dir}`);
}

/*
 * The steps. `t`: step(name, fn), page (the person's, signed out), base,
 * device(userAgent) (a new page in a browser context of its own, watched
 * for page errors as the first), email, password() and setPassword(pw),
 * smtpDir, and the API without the page: call(method, path, body,
 * headers, token), logInElsewhere() (a new session's access token) and
 * logInAnswer(email, password) (a login's answer, past any 429).
 */
export async function accountSteps(t) {
  const { step, page: a, email } = t;
  const answersA = recordAnswers(a, true);
  let b;
  let answersB;
  let bSignedInAt;

  await t.step('two devices: the list shows both, "This device" for each one\'s own', async () => {
    /* The sessions the steps before opened through the API end first. */
    const ended = await t.call('POST', '/api/auth/logout?scope=global');
    assert.equal(ended.status, 204);
    await signIn(a, email, t.password());
    b = await t.device('Second device (browser test)');
    answersB = recordAnswers(b, false);
    /* The second device's timers never run: its token is not refreshed
     * before it expires. */
    await b.clock.install();
    await b.goto(t.base + '/');
    await b.clock.pauseAt(Date.now() + 1000);
    await signIn(b, email, t.password());
    bSignedInAt = Date.now();
    await expectNothingStored(b);
    await openAccount(a);
    const agentA = await a.evaluate(() => navigator.userAgent);
    await expectSessions(a, [{ current: false, agent: 'Second device (browser test)' },
      { current: true, agent: 'This device ' + agentA }]);
    assert.equal(await a.locator('#sessions > li .this').count(), 1);
    await expectText(a, '#sessions > li:first-child .end', 'End this one');
    await expectNoError(a);
    await openAccount(b);
    await expectSessions(b, [{ current: true, agent: 'This device Second device (browser test)' },
      { current: false, agent: agentA }]);
  });

  await step('the access token is refreshed at 80% of its life, in memory only', async () => {
    const refreshed = await a.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'),
      { timeout: (EXPIRES_IN_S + 5) * 1000 });
    assert.equal(refreshed.status(), 200);
    const sent = refreshed.request();
    assert.equal(sent.headers().authorization, undefined, 'a refresh sends no access token');
    const tokens = await refreshed.json();
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.notEqual(tokens.refresh_token, JSON.parse(sent.postData()).refresh_token, 'rotated');
    /* The next request carries the new access token. */
    const [listed] = await Promise.all([
      a.waitForRequest((r) => r.url().endsWith('/api/auth/sessions')),
      reloadSessions(a),
    ]);
    assert.equal(listed.headers().authorization, 'Bearer ' + tokens.access_token);
    await expectNoError(a);
    await expectNothingStored(a);
    const text = await a.evaluate(() => document.documentElement.outerHTML);
    assert.ok(!text.includes(tokens.refresh_token) && !text.includes(tokens.access_token),
      'no token in the document');
  });

  await step('an expired access token: one refresh on its 401, the request sent again', async () => {
    const expired = bSignedInAt + (EXPIRES_IN_S + LEEWAY_S + 2) * 1000;
    if (Date.now() < expired) await sleep(expired - Date.now());
    answersB.length = 0;
    await reloadSessions(b);
    await expectNoError(b);
    assert.deepEqual(answersB, ['GET /api/auth/sessions 401', 'POST /api/auth/refresh 200',
      'GET /api/auth/sessions 200']);
    await expectSessions(b, [{ current: true, agent: 'This device Second device (browser test)' },
      { current: false, agent: await a.evaluate(() => navigator.userAgent) }]);
  });

  await step('ends the other device\'s session: it lands on the sign-in form', async () => {
    await reloadSessions(a);
    await press(a, '#sessions > li[data-current="false"] .end', '#account');
    await expectText(a, '#notice', 'Ended that session: the device is logged out.');
    await expectSessions(a, [{ current: true, agent: 'This device ' + await a.evaluate(() => navigator.userAgent) }]);
    await expectSignedOut(b, '401 Unauthorized: Session has ended. Log in again.');
    await expectNothingStored(b);
  });

  await step('log out of other devices: theirs end, a refresh of theirs fails', async () => {
    await signIn(b, email, t.password());
    const c = await t.device('Third device (browser test)');
    await c.goto(t.base + '/');
    await signIn(c, email, t.password());
    await reloadSessions(a);
    assert.equal((await sessionsShown(a)).length, 3);
    answersA.length = 0;
    await press(a, '#logout-others', '#account');
    assert.deepEqual(answersA, ['POST /api/auth/logout?scope=others 204', 'GET /api/auth/sessions 200']);
    await expectText(a, '#notice', 'Logged out of every other device.');
    await expectSessions(a, [{ current: true, agent: 'This device ' + await a.evaluate(() => navigator.userAgent) }]);
    await expectSignedOut(c, '401 Unauthorized: Session has ended. Log in again.');
    /* The second device's refresh, when its time comes, is refused: the
     * sign-in form, with the API's words. */
    answersB.length = 0;
    await b.clock.fastForward(EXPIRES_IN_S * 1000);
    await expectError(b, '401 Unauthorized: Invalid refresh token. The session has ended: log in again.');
    await expectShown(b, '#auth');
    assert.deepEqual(answersB, ['POST /api/auth/refresh 401']);
    await c.context().close();
  });

  await step('log out everywhere, and log out: this device\'s session ends at the API', async () => {
    await signIn(b, email, t.password());
    await press(a, '#logout-global', '#account');
    await expectText(a, '#notice', 'Logged out everywhere, this device included.');
    await expectShown(a, '#auth');
    await expectSignedOut(b, '401 Unauthorized: Session has ended. Log in again.');
    /* Log out (local): the other device's session stays. */
    await signIn(b, email, t.password());
    await signIn(a, email, t.password());
    answersB.length = 0;
    await b.locator('#logout').click();
    await expectText(b, '#notice', 'Logged out.');
    assert.deepEqual(answersB, ['POST /api/auth/logout?scope=local 204']);
    await expectShown(b, '#auth');
    await openAccount(a);
    await expectSessions(a, [{ current: true, agent: 'This device ' + await a.evaluate(() => navigator.userAgent) }]);
    await expectNoError(a);
  });

  await step('changes the password: the API\'s 403 and 422 as sent, then other devices end', async () => {
    await signIn(b, email, t.password());
    const elsewhere = await t.logInElsewhere();
    const next = 'quartz-lantern-orbit-42';
    await a.locator('#current-password').fill('not the password at all');
    await a.locator('#new-password').fill(next);
    await press(a, '#password-form button[type="submit"]', '#password-form');
    await expectError(a, '403 Forbidden: Incorrect password');
    await a.locator('#current-password').fill(t.password());
    await a.locator('#new-password').fill(TOO_COMMON);
    await press(a, '#password-form button[type="submit"]', '#password-form');
    await expectError(a, '422 Unprocessable Content: Password is too common');
    await a.locator('#new-password').fill(next);
    await press(a, '#password-form button[type="submit"]', '#password-form');
    await expectText(a, '#notice', 'Password changed. Every other device is logged out; this one stays.');
    await expectNoError(a);
    assert.equal(await a.locator('#current-password').inputValue(), '');
    assert.equal(await a.locator('#new-password').inputValue(), '');
    await expectSessions(a, [{ current: true, agent: 'This device ' + await a.evaluate(() => navigator.userAgent) }]);
    const me = await t.call('GET', '/api/auth/me', undefined, {}, elsewhere);
    assert.deepEqual([me.status, me.data.detail], [401, 'Session has ended']);
    await expectSignedOut(b, '401 Unauthorized: Session has ended. Log in again.');
    t.setPassword(next);
  });

  await step('forgot the password: the mail\'s link opens the reset form, once', async () => {
    const dir = t.smtpDir;
    const before = mails(dir).length;
    const elsewhere = await t.logInElsewhere();
    await b.locator('#forgot-open').click();
    await expectShown(b, '#forgot-form');
    assert.equal(await b.locator('#forgot-email').inputValue(), email, 'the email typed to log in');
    await pressLimited(b, '#forgot-form button[type="submit"]', '#forgot-form');
    await expectText(b, '#notice', 'If the account exists, an email is on its way');
    await expectNoError(b);
    const link = await resetLink(dir, before, email);
    assert.ok(link.startsWith(t.base + '/#reset='), link);
    /* The link, as a mail reader opens it: a new tab. */
    const r = await t.device('Mail reader (browser test)');
    await r.goto(link);
    await expectShown(r, '#reset');
    assert.equal(r.url(), t.base + '/', 'the token is out of the address bar');
    assert.equal(await r.evaluate(() => location.hash), '');
    assert.equal(await r.locator('#auth').isVisible(), false);
    const next = 'saffron-kettle-meadow-77';
    await r.locator('#reset-password').fill(TOO_COMMON);
    await pressLimited(r, '#reset-form button[type="submit"]', '#reset-form');
    await expectError(r, '422 Unprocessable Content: Password is too common');
    await r.locator('#reset-password').fill(next);
    await pressLimited(r, '#reset-form button[type="submit"]', '#reset-form');
    await expectText(r, '#notice', 'Password changed. Log in with the new one.');
    await expectShown(r, '#auth');
    assert.equal(await r.locator('#reset').isVisible(), false);
    /* Every session ended: the other devices' and this person's page. */
    const me = await t.call('GET', '/api/auth/me', undefined, {}, elsewhere);
    assert.deepEqual([me.status, me.data.detail], [401, 'Session has ended']);
    await expectSignedOut(a, '401 Unauthorized: Session has ended. Log in again.');
    t.setPassword(next);
    await signIn(a, email, next);
    await expectNothingStored(r);
    /* The link a second time (the same page: only its fragment changes),
     * the API's 400, as sent. */
    await r.goto(link);
    await expectShown(r, '#reset');
    await r.locator('#reset-password').fill('another-fresh-phrase-91');
    await pressLimited(r, '#reset-form button[type="submit"]', '#reset-form');
    await expectError(r, '400 Bad Request: Invalid or expired reset token');
    await r.locator('#reset-cancel').click();
    await expectShown(r, '#auth');
    await r.context().close();
  });

  await step('deletes the account: the password, then a confirm step', async () => {
    await openAccount(a);
    /* Keep it (Escape): nothing is sent. */
    answersA.length = 0;
    await a.locator('#delete-password').fill(t.password());
    await a.locator('#delete-form button[type="submit"]').click();
    const dialog = a.getByRole('alertdialog', { name: 'Delete the account?' });
    await dialog.waitFor({ timeout: WAIT_MS });
    assert.match(await dialog.locator('#delete-confirm-text').innerText(), new RegExp(`^The account ${email}, `));
    assert.equal(await a.evaluate(() => document.activeElement.id), 'delete-keep');
    await a.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: WAIT_MS });
    assert.deepEqual(answersA, []);
    /* A wrong password: the API's 403. */
    await a.locator('#delete-password').fill('not the password at all');
    await a.locator('#delete-form button[type="submit"]').click();
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await expectError(a, '403 Forbidden: Incorrect password');
    await expectShown(a, '#account');
    /* The password, confirmed: gone. */
    await a.locator('#delete-password').fill(t.password());
    await a.locator('#delete-form button[type="submit"]').click();
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await expectText(a, '#notice', `Deleted the account ${email}.`);
    await expectShown(a, '#auth');
    await expectNoError(a);
    const login = await t.logInAnswer(email, t.password());
    assert.deepEqual([login.status, login.data.detail], [401, 'Invalid email or password']);
    await b.context().close();
  });
}
