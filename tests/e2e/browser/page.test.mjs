/*
 * The page at / in a real browser: Debian's chromium, driven by
 * playwright-core, against the instance `tests/run --browser` started
 * (TASKAPI_TEST_URL; real nginx, programs and PostgreSQL). One person's
 * session, step by step, and after each step what the screen shows:
 * register, add three tasks, complete one, filter, edit, delete one, the
 * database going away (503), reload and log in again, "Load more" through
 * the list's Link: rel="next", search, the six sorts, changes made
 * elsewhere meanwhile (the 412 choice: Reload and Overwrite), a create,
 * a toggle and a delete whose answers are lost (each sent again with its
 * Idempotency-Key, and done once), log out, then the sessions and the
 * account on several devices (account.mjs: the refresh, the session list,
 * the logout scopes, the password change, a reset through the mailed
 * link, the account's deletion), and the rate limit (429). Any page error
 * or Content-Security-Policy violation fails it too. The changes "made
 * elsewhere" are the same user's, through the API with a token of their
 * own.
 *
 * Writes a screenshot of the signed-in page to TASKAPI_SCREENSHOT (the
 * README's docs/screenshot.png comes from here), and on a failure one of
 * the screen as it was next to it, failure.png.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';

import { accountSteps } from './account.mjs';

const BASE = required('TASKAPI_TEST_URL');
const STACK = required('TASKAPI_TEST_STACK');
const SCREENSHOT = required('TASKAPI_SCREENSHOT');
const SMTP_DIR = required('TASKAPI_TEST_SMTP_DIR');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/* The page's PAGE_SIZE (app.js). */
const PAGE_SIZE = 10;
/* How long one expectation may wait for the screen to show it. */
const WAIT_MS = 10000;
/* The rate limit is 20 a minute with a burst of 5 (tests/run --browser). */
const MAX_LOGIN_TRIES = 15;
const LOGIN_BURST = 5;
/* Chromium's flags for a container: no sandbox, nothing fetched on its own. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const run = promisify(execFile);
/* Each run has a database of its own (tests/run --browser). */
const email = 'ada@example.com';
let password = 'correct horse battery';
const problems = [];   /* page errors, CSP violations, console errors */
let page;
let steps = 0;

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`browser: ${name} is not set: run tests/run --browser BUILD_DIR`);
    process.exit(2);
  }
  return v;
}

async function step(name, fn) {
  const t0 = Date.now();
  steps++;
  await fn();
  assert.deepEqual(problems, [], `the page reported problems during "${name}"`);
  console.log(`ok ${steps} - ${name} (${((Date.now() - t0) / 1000).toFixed(2)} s)`);
}

/* ---- what the screen shows ---- */

const $ = (selector) => page.locator(selector);

/* Waits until fn (run in the page) returns true; fails with what it saw. */
async function until(what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    throw new Error(`the page never showed ${what}; it shows:\n${await screenText()}`);
  }
}

/* The visible text of the page, for failure messages. */
async function screenText() {
  return page.evaluate(() => document.body.innerText).catch(() => '(no page)');
}

async function visibleText(selector) {
  const loc = $(selector);
  assert.ok(await loc.isVisible(), `${selector} is not visible`);
  return (await loc.innerText()).trim();
}

async function expectText(selector, want) {
  await until(`${selector} = ${JSON.stringify(want)}`, ([s, w]) => {
    const e = document.querySelector(s);
    return e !== null && e.offsetParent !== null && e.textContent.trim() === w;
  }, [selector, want]);
}

async function expectHidden(selector) {
  await until(`${selector} hidden`, (s) => {
    const e = document.querySelector(s);
    return e === null || e.offsetParent === null;
  }, selector);
}

/* The error box shows exactly this (a string) or matches it (a RegExp). */
async function expectError(want) {
  const pattern = want instanceof RegExp ? want.source : null;
  await until(`the error ${want}`, ([w, p]) => {
    const e = document.getElementById('error');
    if (e.hidden) return false;
    return p !== null ? new RegExp(p).test(e.textContent) : e.textContent === w;
  }, [want instanceof RegExp ? null : want, pattern]);
  return visibleText('#error');
}

async function expectNoError() {
  assert.equal(await $('#error').isVisible(), false,
    `an error is shown: ${await $('#error').textContent()}`);
}

/* The tasks on screen, in order: title, description, ticked. */
async function listed() {
  return page.$$eval('#tasks > li', (items) => items.map((li) => ({
    title: li.querySelector('.title').textContent,
    description: li.querySelector('.description').hidden ? null
      : li.querySelector('.description').textContent,
    done: li.querySelector('.done').checked,
    struck: li.classList.contains('completed'),
  })));
}

/*
 * Waits for the list to show these titles (and the count line), once no
 * request of the list or its tasks is in flight (aria-busy).
 */
async function expectList(titles, count) {
  await until(`the tasks ${JSON.stringify(titles)}`, (want) => {
    if (document.querySelector('#app [aria-busy]') !== null) return false;
    const got = [...document.querySelectorAll('#tasks > li .title')].map((e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(want);
  }, titles);
  await expectText('#count', count);
  const tasks = await listed();
  for (const t of tasks) assert.equal(t.struck, t.done, `"${t.title}" struck through iff done`);
  return tasks;
}

/* The element that has the focus, as "#id" or "tag.class". */
async function focused() {
  return page.evaluate(() => {
    const e = document.activeElement;
    return e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.');
  });
}

/* The title of the task whose control has the focus, or null. */
async function focusedTask() {
  return page.evaluate(() => {
    const li = document.activeElement.closest('#tasks > li');
    return li ? li.querySelector('.title').textContent : null;
  });
}

/* Every visible control has an accessible name from a label or aria-label. */
async function expectLabelled() {
  const unnamed = await page.$$eval('input, textarea, button', (els) => els
    .filter((e) => e.offsetParent !== null)
    .filter((e) => {
      if (e.tagName === 'BUTTON') return !(e.getAttribute('aria-label') || e.textContent.trim());
      return e.labels.length === 0 && !e.getAttribute('aria-label');
    })
    .map((e) => e.outerHTML));
  assert.deepEqual(unnamed, [], 'controls without a label');
}

function item(title) {
  return $('#tasks > li').filter({ has: page.locator('.title', { hasText: title }) });
}

/* Clicks a submit button and waits for the form's request to finish. */
async function submit(form, button) {
  await $(button).click();
  await until(`${form} to finish`, (f) => !document.querySelector(f).hasAttribute('aria-busy'), form);
}

async function addTask(title, description, count) {
  await $('#new-title').fill(title);
  if (description) await $('#new-description').fill(description);
  await $('#new-title').press('Enter');
  await expectText('#notice', `Added “${title}”.`);
  await expectText('#count', count);
  assert.equal(await $('#new-title').inputValue(), '', 'the title field is cleared');
  assert.equal(await focused(), '#new-title', 'the focus stays on the title field');
}

async function login(pw) {
  await $('#email').fill(email);
  await $('#password').fill(pw);
  await submit('#auth-form', '#auth-form button[value="login"]');
}

async function stackCommand(what) {
  await run(STACK, [what], { timeout: 60000 });
}

/* ---- the same user elsewhere: the API without the page ---- */

let token = null;

/* One request to the API: { status, headers, data }; with `as` (a token,
 * or null for none) instead of the token of logInElsewhere(). */
async function call(method, path, body, headers, as) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  const bearer = as === undefined ? token : as;
  if (bearer !== null) init.headers.Authorization = 'Bearer ' + bearer;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, data: text === '' ? null : JSON.parse(text) };
}

/* A token of the user's own, as another device would log in; it is also
 * the one call() sends. */
async function logInElsewhere() {
  const r = await logInAnswer(email, password);
  assert.equal(r.status, 200, `login elsewhere: ${JSON.stringify(r.data)}`);
  token = r.data.access_token;
  return token;
}

/* A login's answer, waiting out the rate limit of the session's logins
 * as Retry-After says. */
async function logInAnswer(who, pw) {
  for (let i = 0; i < 5; i++) {
    const r = await call('POST', '/api/auth/login', { email: who, password: pw }, {}, null);
    if (r.status !== 429) return r;
    await new Promise((done) => setTimeout(done, 1000 * Number(r.headers.get('Retry-After'))));
  }
  return assert.fail('login elsewhere: still rate limited');
}

/* Page errors, CSP violations and console errors of page p fail the step. */
function watch(p) {
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('console', (m) => {
    /* A 4xx/5xx answer is logged as "Failed to load resource": those are
     * the errors this test provokes on purpose and checks on screen. */
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${m.text()}`);
    }
  });
}

/* Every task of the user, in the API's order for `query`. */
async function allTasks(query) {
  const r = await call('GET', `/api/tasks?limit=1000${query || ''}`);
  assert.equal(r.status, 200);
  return r.data;
}

/* The task with this title (there is exactly one). */
async function taskTitled(title) {
  const found = (await allTasks()).filter((t) => t.title === title);
  assert.equal(found.length, 1, `one task titled ${JSON.stringify(title)}`);
  return found[0];
}

/* An edit elsewhere: the task's version moves on, the page's ETag is old.
 * (`If-Match: *`, so that it passes under REQUIRE_IF_MATCH=on too.) */
async function editElsewhere(task, fields) {
  const r = await call('PATCH', `/api/tasks/${task.id}`, fields, { 'If-Match': '*' });
  assert.equal(r.status, 200, `edit elsewhere: ${JSON.stringify(r.data)}`);
  return r.data;
}

async function titlesOnScreen() {
  return page.$$eval('#tasks > li .title', (els) => els.map((e) => e.textContent));
}

/* Waits for the list to settle with these titles; the count line too. */
async function expectTitles(titles, count) {
  await expectList(titles, count);
  const shown = await titlesOnScreen();
  assert.equal(new Set(shown).size, shown.length, 'no task is shown twice');
}

/* The conflict's dialog: shown, modal, named, its buttons reachable. */
async function expectConflict() {
  const dialog = page.getByRole('alertdialog', { name: 'This task was changed elsewhere' });
  await dialog.waitFor({ timeout: WAIT_MS });
  assert.match(await dialog.locator('#conflict-text').innerText(), /was changed elsewhere since/);
  assert.equal(await focused(), '#conflict-reload', 'the focus is on Reload, which changes nothing');
  return dialog;
}

/* ---- the session ---- */

async function main() {
  const profile = mkdtempSync(join(tmpdir(), 'taskapi-chromium-'));
  const t0 = Date.now();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 960, height: 760 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  try {
    console.log(`browser: ${context.browser() ? context.browser().version() : 'chromium'} ` +
      `(${CHROMIUM}) on ${BASE}`);
    page = context.pages()[0] || await context.newPage();
    watch(page);
    await session(context);
  } catch (e) {
    const failure = join(dirname(SCREENSHOT), 'failure.png');
    if (page) {
      await page.screenshot({ path: failure, fullPage: true }).then(
        () => console.error(`browser: the screen at the failure: ${failure}`), () => {});
    }
    throw e;
  } finally {
    if (others !== null) await others.close();
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`browser: ${steps} steps passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/* The other devices: contexts of a second browser (the first one's
 * context is persistent, so it makes no other). */
let others = null;

async function device(userAgent) {
  if (others === null) {
    others = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }
  const context = await others.newContext({
    viewport: { width: 960, height: 760 }, locale: 'en-GB', timezoneId: 'UTC', userAgent,
  });
  const p = await context.newPage();
  watch(p);
  return p;
}

async function session(context) {
  await step('opens the page: the login form, under the CSP', async () => {
    const res = await page.goto(BASE + '/');
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^text\/html; charset=utf-8$/);
    assert.match(res.headers()['content-security-policy'], /default-src 'none'/);
    assert.equal(await page.title(), 'Task API');
    assert.equal(await visibleText('#auth-title'), 'Log in or register');
    await expectHidden('#app');
    await expectHidden('#who');
    await expectHidden('#error');
    assert.equal(await focused(), '#email');
    await expectLabelled();
  });

  await step('register with a short password: the API\'s 422, as sent', async () => {
    await $('#email').fill(email);
    await $('#password').fill('short');
    await submit('#auth-form', '#auth-form button[value="register"]');
    await expectError('422 Unprocessable Content: password must be a string of 8 to 128 characters');
    await expectHidden('#app');
  });

  await step('registers: signed in, an empty list', async () => {
    await $('#password').fill(password);
    await submit('#auth-form', '#auth-form button[value="register"]');
    await expectText('#who-email', email);
    await expectText('#notice', `Registered and signed in as ${email}.`);
    await expectHidden('#auth');
    await expectNoError();
    await expectText('#count', '0 tasks');
    await expectText('#empty', 'No tasks yet. Add one above.');
    assert.deepEqual(await listed(), []);
    assert.equal(await focused(), '#new-title');
    await expectLabelled();
  });

  await step('an empty title: the API\'s 422, nothing added', async () => {
    await $('#new-title').fill('   ');
    await submit('#add-form', '#add-form button[type="submit"]');
    await expectError(/^422 Unprocessable Content: .*title/);
    assert.deepEqual(await listed(), []);
    await $('#new-title').fill('');
  });

  await step('adds three tasks: newest first, counted', async () => {
    await addTask('Buy bread', null, 'Showing 1–1 of 1 tasks');
    await expectNoError();
    await addTask('Write the report', 'Two pages, with the figures', 'Showing 1–2 of 2 tasks');
    await addTask('Call <b>Ada</b> & "Bob"', null, 'Showing 1–3 of 3 tasks');
    const tasks = await expectList(['Call <b>Ada</b> & "Bob"', 'Write the report', 'Buy bread'],
      'Showing 1–3 of 3 tasks');
    assert.deepEqual(tasks.map((t) => [t.description, t.done]),
      [[null, false], ['Two pages, with the figures', false], [null, false]]);
    /* Text from the API is text: the markup in the title made no element. */
    assert.equal(await page.locator('#tasks b').count(), 0);
    await expectHidden('.pager');
  });

  await step('completes one: ticked, struck through, still counted', async () => {
    await item('Write the report').locator('.done').check();
    await expectText('#notice', 'Completed “Write the report”.');
    const tasks = await expectList(['Call <b>Ada</b> & "Bob"', 'Write the report', 'Buy bread'],
      'Showing 1–3 of 3 tasks');
    assert.deepEqual(tasks.map((t) => t.done), [false, true, false]);
    assert.equal(await focused(), `#${await item('Write the report').locator('.done').getAttribute('id')}`);
  });

  await step('filters: open, completed, all', async () => {
    await page.getByLabel('Open', { exact: true }).check();
    let tasks = await expectList(['Call <b>Ada</b> & "Bob"', 'Buy bread'], 'Showing 1–2 of 2 open tasks');
    assert.deepEqual(tasks.map((t) => t.done), [false, false]);
    await page.getByLabel('Completed', { exact: true }).check();
    tasks = await expectList(['Write the report'], 'Showing 1–1 of 1 completed tasks');
    assert.deepEqual(tasks.map((t) => t.done), [true]);
    /* Reopened under "Completed", it leaves the list. */
    await item('Write the report').locator('.done').uncheck();
    await expectText('#notice', 'Reopened “Write the report”.');
    await expectList([], '0 completed tasks');
    await expectText('#empty', 'No completed tasks.');
    await page.getByLabel('All', { exact: true }).check();
    await item('Write the report').locator('.done').check();
    tasks = await expectList(['Call <b>Ada</b> & "Bob"', 'Write the report', 'Buy bread'],
      'Showing 1–3 of 3 tasks');
    assert.deepEqual(tasks.map((t) => t.done), [false, true, false]);
  });

  await step('edits one: title and description', async () => {
    await item('Buy bread').getByRole('button', { name: 'Edit “Buy bread”' }).click();
    const form = $('#tasks .edit-form');
    await form.waitFor();
    assert.equal(await focused(), `#${await form.locator('.edit-title').getAttribute('id')}`);
    await expectLabelled();
    assert.equal(await form.getByLabel('Title').inputValue(), 'Buy bread');
    /* Escape leaves it as it was. */
    await form.getByLabel('Title').fill('Not this');
    await form.getByLabel('Title').press('Escape');
    await expectHidden('#tasks .edit-form');
    await expectList(['Call <b>Ada</b> & "Bob"', 'Write the report', 'Buy bread'],
      'Showing 1–3 of 3 tasks');
    await item('Buy bread').getByRole('button', { name: 'Edit “Buy bread”' }).click();
    /* A title of spaces: the API's 422, and the editor stays open. */
    await form.getByLabel('Title').fill('  ');
    await form.getByRole('button', { name: 'Save' }).click();
    await expectError(/^422 Unprocessable Content: .*title/);
    assert.equal(await form.isVisible(), true, 'the editor stays open');
    assert.equal(await focused(), `#${await form.locator('.edit-title').getAttribute('id')}`);
    await form.getByLabel('Title').fill('Buy bread and milk');
    await form.getByLabel('Description').fill('From the corner shop');
    await form.getByRole('button', { name: 'Save' }).click();
    await expectText('#notice', 'Saved “Buy bread and milk”.');
    const tasks = await expectList(['Call <b>Ada</b> & "Bob"', 'Write the report', 'Buy bread and milk'],
      'Showing 1–3 of 3 tasks');
    assert.equal(tasks[2].description, 'From the corner shop');
    assert.equal(await focused(), 'button.edit.secondary');
    assert.equal(await focusedTask(), 'Buy bread and milk');
  });

  await step('deletes one: gone, recounted', async () => {
    await item('Call <b>Ada</b>').getByRole('button', { name: /^Delete/ }).click();
    await expectText('#notice', 'Deleted “Call <b>Ada</b> & "Bob"”.');
    const tasks = await expectList(['Write the report', 'Buy bread and milk'], 'Showing 1–2 of 2 tasks');
    assert.deepEqual(tasks.map((t) => t.done), [true, false]);
    /* The focus moves to the task that took its place, not to the page's top. */
    assert.equal(await focusedTask(), 'Write the report');
    assert.match(await focused(), /^#done-/);
  });

  await step('the database goes away: 503 with Retry-After, then back', async () => {
    await stackCommand('db-stop');
    try {
      await page.getByLabel('Open', { exact: true }).check();
      await expectError(/^503 Service Unavailable: Database unavailable\. Try again in \d+ seconds? \(Retry-After: \d+\)\.$/);
      await expectList([], 'The list could not be loaded (the error is above).');
    } finally {
      await stackCommand('db-start');
    }
    await page.getByLabel('All', { exact: true }).check();
    await expectList(['Write the report', 'Buy bread and milk'], 'Showing 1–2 of 2 tasks');
    await expectNoError();
  });

  await step('reloads: signed out, the session ended at the API, nothing stored', async () => {
    await logInElsewhere();
    assert.equal((await call('GET', '/api/auth/sessions')).data.length, 2);
    await page.reload();
    await expectText('#auth-title', 'Log in or register');
    await expectText('#auth .fine', 'Reloading or leaving this page signs you out.');
    /* The page's session ended as it went; the one elsewhere stays. */
    for (let waited = 0; ; waited += 50) {
      const live = (await call('GET', '/api/auth/sessions')).data;
      if (live.length === 1 && live[0].current === true) break;
      assert.ok(waited < WAIT_MS, `the page's session is still live: ${JSON.stringify(live)}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    await expectHidden('#app');
    await expectHidden('#who');
    assert.equal(await page.locator('#tasks > li').count(), 0);
    const stored = await page.evaluate(() => sessionStorage.length + localStorage.length);
    assert.equal(stored, 0, 'nothing in web storage');
    assert.deepEqual(await context.cookies(), [], 'no cookies');
  });

  await step('a wrong password: the API\'s 401, as sent', async () => {
    await login('not the password');
    await expectError('401 Unauthorized: Invalid email or password');
    await expectHidden('#app');
  });

  await step('logs in again: the same two tasks', async () => {
    await login(password);
    await expectText('#who-email', email);
    await expectNoError();
    const tasks = await expectList(['Write the report', 'Buy bread and milk'], 'Showing 1–2 of 2 tasks');
    assert.deepEqual(tasks.map((t) => [t.done, t.description]),
      [[true, 'Two pages, with the figures'], [false, 'From the corner shop']]);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.locator('#new-title').blur();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`browser: screenshot ${SCREENSHOT}`);
  });

  await step(`Load more follows the list's Link, ${PAGE_SIZE} a page`, async () => {
    const total = PAGE_SIZE + 1;
    for (let i = 3; i <= total; i++) {
      await addTask(`Task ${i}`, null, `Showing 1–${Math.min(i, PAGE_SIZE)} of ${i} tasks`);
    }
    assert.equal(await $('#more').isVisible(), true, 'Load more is shown');
    const first = await titlesOnScreen();
    await $('#more').click();
    await expectTitles(first.concat(['Buy bread and milk']), `Showing 1–${total} of ${total} tasks`);
    await expectHidden('#more');
    /* The focus goes to the first task the page brought. */
    assert.equal(await focusedTask(), 'Buy bread and milk');
    /* The last task deleted: the rest stay, with no Load more. */
    await item('Buy bread and milk').getByRole('button', { name: /^Delete/ }).click();
    await expectTitles(first, `Showing 1–${PAGE_SIZE} of ${PAGE_SIZE} tasks`);
    await expectHidden('#more');
  });

  await step('search: the list narrows as one types, asked once the typing pauses', async () => {
    await logInElsewhere();
    /* 25 more tasks, made elsewhere; five of them hold "needle". */
    for (let i = 1; i <= 25; i++) {
      const n = String(i).padStart(2, '0');
      const body = { title: i % 5 === 0 ? `Batch ${n} with a Needle` : `Batch ${n}` };
      if (i === 7) body.description = 'the needle is in here';
      const r = await call('POST', '/api/tasks', body);
      assert.equal(r.status, 201);
    }
    const want = (await allTasks('&q=needle')).map((t) => t.title);
    assert.equal(want.length, 6, 'the API finds title and description matches, in any case');
    const asked = [];
    const onRequest = (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/tasks' && url.searchParams.has('q')) asked.push(url.searchParams.get('q'));
    };
    page.on('request', onRequest);
    await $('#search').pressSequentially('needle');
    await expectTitles(want, 'Showing 1–6 of 6 tasks matching “needle”');
    page.off('request', onRequest);
    assert.equal(asked[asked.length - 1], 'needle');
    assert.ok(asked.length < 'needle'.length, `one request per pause, not per key: ${asked}`);
    assert.equal(await focused(), '#search', 'the focus stays in the search box');
    await expectHidden('#more');
    await $('#search').fill('no such words');
    await $('#search').press('Enter');
    await expectTitles([], '0 tasks matching “no such words”');
    await expectText('#empty', 'No tasks matching “no such words”.');
    await $('#search').fill('');
    await $('#search').press('Enter');
    const newest = (await allTasks()).slice(0, PAGE_SIZE).map((t) => t.title);
    await expectTitles(newest, `Showing 1–${PAGE_SIZE} of ${PAGE_SIZE + 25} tasks`);
  });

  await step('the sort menu: each of the six orders, as the API gives it', async () => {
    /* The oldest task changed, then another: "Batch 01" leads "Recently
     * changed first", and the oldest is no longer first of "Least". */
    await editElsewhere(await taskTitled('Write the report'), { description: 'Three pages now' });
    await editElsewhere(await taskTitled('Batch 01'), { description: 'changed' });
    const menu = page.getByLabel('Sort', { exact: true });
    const orders = new Map();
    for (const [label, sort] of [['Oldest first', 'created_at'], ['Title A–Z', 'title'],
      ['Title Z–A', '-title'], ['Recently changed first', '-updated_at'],
      ['Least recently changed first', 'updated_at'], ['Newest first', '-created_at']]) {
      await menu.selectOption({ label });
      const want = (await allTasks(`&sort=${sort}`)).slice(0, PAGE_SIZE).map((t) => t.title);
      await expectTitles(want, `Showing 1–${PAGE_SIZE} of ${PAGE_SIZE + 25} tasks`);
      orders.set(sort, want.join('|'));
    }
    assert.equal(orders.get('-updated_at').split('|')[0], 'Batch 01');
    assert.equal(orders.get('created_at').split('|')[0], 'Write the report');
    assert.equal(new Set(orders.values()).size, 6, 'six different orders');
  });

  await step('Load more pages through all the tasks: none twice, none missing', async () => {
    const all = (await allTasks()).map((t) => t.title);
    assert.equal(all.length, PAGE_SIZE + 25);
    for (let shown = 2 * PAGE_SIZE; shown < all.length + PAGE_SIZE; shown += PAGE_SIZE) {
      const n = Math.min(shown, all.length);
      await $('#more').click();
      await expectTitles(all.slice(0, n), `Showing 1–${n} of ${all.length} tasks`);
    }
    await expectHidden('#more');
  });

  await step('a change elsewhere while editing: the 412 choice, Reload', async () => {
    const before = await taskTitled('Batch 03');
    await item('Batch 03').getByRole('button', { name: 'Edit “Batch 03”' }).click();
    const form = $('#tasks .edit-form');
    await form.waitFor();
    await editElsewhere(before, { title: 'Batch 03, changed elsewhere' });
    await form.getByLabel('Title').fill('Batch 03, mine');
    await form.getByRole('button', { name: 'Save' }).click();
    const dialog = await expectConflict();
    await expectNoError();
    await page.keyboard.press('Enter');
    await expectHidden('#conflict');
    await expectText('#notice', 'Reloaded “Batch 03, changed elsewhere” as it is now; your change was not made.');
    await expectHidden('#tasks .edit-form');
    assert.equal(await dialog.isVisible(), false);
    assert.equal((await call('GET', `/api/tasks/${before.id}`)).data.title, 'Batch 03, changed elsewhere');
    assert.equal(await focusedTask(), 'Batch 03, changed elsewhere');
    assert.equal(await titlesOnScreen().then((t) => t.length), PAGE_SIZE + 25, 'the pages loaded stay');
  });

  await step('a change elsewhere while editing: the 412 choice, Overwrite', async () => {
    const before = await taskTitled('Batch 03, changed elsewhere');
    await item('Batch 03, changed elsewhere').locator('.edit').click();
    const form = $('#tasks .edit-form');
    await form.waitFor();
    await editElsewhere(before, { description: 'changed elsewhere again' });
    await form.getByLabel('Title').fill('Batch 03, mine');
    await form.getByLabel('Description').fill('mine too');
    await form.getByRole('button', { name: 'Save' }).click();
    await expectConflict();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), '#conflict-overwrite');
    await page.keyboard.press('Enter');
    await expectText('#notice', 'Saved “Batch 03, mine”.');
    await expectHidden('#conflict');
    const after = (await call('GET', `/api/tasks/${before.id}`)).data;
    assert.deepEqual([after.title, after.description], ['Batch 03, mine', 'mine too']);
    await expectNoError();
  });

  await step('a toggle and a delete after a change elsewhere: the same choice', async () => {
    /* Completed elsewhere; the page still shows it open. Escape is Reload. */
    const toggled = await taskTitled('Batch 04');
    const done = await call('PATCH', `/api/tasks/${toggled.id}/complete`, undefined, { 'If-Match': '*' });
    assert.equal(done.status, 200);
    await item('Batch 04').locator('.done').check();
    await expectConflict();
    await page.keyboard.press('Escape');
    await expectText('#notice', 'Reloaded “Batch 04” as it is now; your change was not made.');
    assert.equal(await item('Batch 04').locator('.done').isChecked(), true, 'shown as it is now');
    assert.equal((await call('GET', `/api/tasks/${toggled.id}`)).data.is_completed, true);
    /* Renamed elsewhere, then deleted here anyway. */
    const doomed = await taskTitled('Batch 06');
    await editElsewhere(doomed, { title: 'Batch 06, renamed elsewhere' });
    await item('Batch 06').getByRole('button', { name: /^Delete/ }).click();
    await expectConflict();
    await page.getByRole('button', { name: 'Overwrite' }).click();
    await expectText('#notice', 'Deleted “Batch 06”.');
    assert.equal((await call('GET', `/api/tasks/${doomed.id}`)).status, 404);
    /* The list read again shows it no more. */
    await item('Batch 06').waitFor({ state: 'detached', timeout: WAIT_MS });
    await expectNoError();
  });

  await step('a create whose answer is lost: sent again with its key, one task', async () => {
    const seen = [];
    await page.route('**/api/tasks', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      /* The first reaches the API, and its answer never reaches the page. */
      const answer = await route.fetch();
      seen.push({ key: request.headers()['idempotency-key'], status: answer.status(),
        replayed: answer.headers()['idempotent-replayed'], body: await answer.json() });
      return seen.length === 1 ? route.abort('connectionreset') : route.fulfill({ response: answer });
    });
    try {
      await addTask('Lost answer', null, `Showing 1–${PAGE_SIZE + 25} of ${PAGE_SIZE + 25} tasks`);
    } finally {
      await page.unroute('**/api/tasks');
    }
    assert.equal(seen.length, 2, 'sent twice');
    assert.match(seen[0].key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(seen[1].key, seen[0].key, 'with the same Idempotency-Key');
    assert.deepEqual(seen.map((s) => s.status), [201, 201]);
    assert.equal(seen[1].replayed, 'true');
    assert.equal(seen[1].body.id, seen[0].body.id);
    assert.equal((await allTasks()).filter((t) => t.title === 'Lost answer').length, 1, 'one task made');
    assert.equal(await item('Lost answer').count(), 1);
    await expectNoError();
  });

  await step('a toggle and a delete whose answers are lost: sent again, done once', async () => {
    const seen = [];
    /* Each keyed write's first answer is lost after the API wrote. */
    const lose = async (route) => {
      const request = route.request();
      if (!['PATCH', 'DELETE'].includes(request.method())) return route.continue();
      const answer = await route.fetch();
      seen.push({ method: request.method(), key: request.headers()['idempotency-key'],
        status: answer.status(), replayed: answer.headers()['idempotent-replayed'] });
      return seen.length % 2 === 1 ? route.abort('connectionreset') : route.fulfill({ response: answer });
    };
    await page.route('**/api/tasks/*', lose);
    await page.route('**/api/tasks/*/complete', lose);
    const toggled = await taskTitled('Batch 05 with a Needle');
    const doomed = await taskTitled('Batch 08');
    try {
      await item('Batch 05 with a Needle').locator('.done').check();
      await expectText('#notice', 'Completed “Batch 05 with a Needle”.');
      await item('Batch 08').getByRole('button', { name: /^Delete/ }).click();
      await expectText('#notice', 'Deleted “Batch 08”.');
    } finally {
      await page.unroute('**/api/tasks/*', lose);
      await page.unroute('**/api/tasks/*/complete', lose);
    }
    await expectNoError();
    assert.deepEqual(seen.map((s) => [s.method, s.status, s.replayed]),
      [['PATCH', 200, undefined], ['PATCH', 200, 'true'], ['DELETE', 204, undefined], ['DELETE', 204, 'true']]);
    assert.equal(seen[1].key, seen[0].key, 'the toggle sent again with its key');
    assert.equal(seen[3].key, seen[2].key, 'the delete sent again with its key');
    assert.notEqual(seen[2].key, seen[0].key, 'a key for each write');
    /* Toggled once, not back again; deleted. */
    assert.equal((await call('GET', `/api/tasks/${toggled.id}`)).data.is_completed, true);
    assert.equal((await call('GET', `/api/tasks/${doomed.id}`)).status, 404);
    await item('Batch 08').waitFor({ state: 'detached', timeout: WAIT_MS });
    assert.equal(await item('Batch 05 with a Needle').locator('.done').isChecked(), true);
  });

  await step('logs out: the login form, no tasks', async () => {
    await $('#logout').click();
    await expectText('#notice', 'Logged out.');
    await expectHidden('#app');
    assert.equal(await page.locator('#tasks > li').count(), 0);
    assert.equal(await focused(), '#email');
  });

  await accountSteps({
    step, page, base: BASE, email, smtpDir: SMTP_DIR,
    password: () => password,
    setPassword: (pw) => { password = pw; },
    device, call, logInElsewhere, logInAnswer,
  });

  await step('the rate limit: 429 with Retry-After, as sent', async () => {
    /* Wrong logins from the same address, all at once, fill the bucket and
     * its burst: one at a time, on a busy machine, each login's scrypt can
     * take as long as the rate needs to refill, and the page's own tries
     * might never meet the limit. They name another email: the account's
     * own failures would soon be the API's 429 Too many failed logins,
     * docs/API.md "Failed logins", not the rate limit's. */
    const flood = [];
    let limited = false;
    for (let i = 0; i < 2 * LOGIN_BURST + 2; i++) {
      flood.push(fetch(BASE + '/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `elsewhere-${email}`, password: 'guessed elsewhere' }),
      }).then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 429) limited = true;
        return r.status;
      }));
    }
    for (let waited = 0; !limited && waited < WAIT_MS; waited += 50) {
      await new Promise((done) => setTimeout(done, 50));
    }
    assert.ok(limited, 'logins at once meet the limit');
    let text = '';
    for (let i = 0; i < MAX_LOGIN_TRIES && !text.startsWith('429'); i++) {
      await login('still not the password');
      text = await visibleText('#error');
      assert.match(text, /^(401 Unauthorized: Invalid email or password|429 .*)$/);
    }
    assert.match(text, /^429 Too Many Requests: Too many requests\. Try again in (\d+) seconds? \(Retry-After: \1\)\.$/);
    await expectHidden('#app');
    const statuses = await Promise.all(flood);
    assert.ok(statuses.every((st) => st === 401 || st === 429), `logins elsewhere: ${statuses}`);
  });
}

main().catch((e) => {
  console.error(`not ok ${steps} - ${e.stack || e}`);
  console.error('browser: FAILED');
  process.exit(1);
});
