/*
 * The page at / in a real browser: Debian's chromium, driven by
 * playwright-core, against the instance `tests/run --browser` started
 * (TASKAPI_TEST_URL; real nginx, programs and PostgreSQL). One person's
 * session, step by step, and after each step what the screen shows:
 * register, add three tasks, complete one, filter, edit, delete one, the
 * database going away (503), reload and log in again, page through
 * X-Total-Count, log out, and the rate limit (429). Any page error or
 * Content-Security-Policy violation fails it too.
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

const BASE = required('TASKAPI_TEST_URL');
const STACK = required('TASKAPI_TEST_STACK');
const SCREENSHOT = required('TASKAPI_SCREENSHOT');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/* The page's PAGE_SIZE (app.js). */
const PAGE_SIZE = 10;
/* How long one expectation may wait for the screen to show it. */
const WAIT_MS = 10000;
/* The rate limit is 20 a minute with a burst of 5 (tests/run --browser). */
const MAX_LOGIN_TRIES = 15;
/* Chromium's flags for a container: no sandbox, nothing fetched on its own. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const run = promisify(execFile);
/* Each run has a database of its own (tests/run --browser). */
const email = 'ada@example.com';
const password = 'correct horse battery';
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
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      /* A 4xx/5xx answer is logged as "Failed to load resource": those are
       * the errors this test provokes on purpose and checks on screen. */
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${m.text()}`);
      }
    });
    await session(context);
  } catch (e) {
    const failure = join(dirname(SCREENSHOT), 'failure.png');
    if (page) {
      await page.screenshot({ path: failure, fullPage: true }).then(
        () => console.error(`browser: the screen at the failure: ${failure}`), () => {});
    }
    throw e;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`browser: ${steps} steps passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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

  await step('reloads: the token is gone, nothing stored', async () => {
    await page.reload();
    await expectText('#auth-title', 'Log in or register');
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

  await step(`pages through X-Total-Count, ${PAGE_SIZE} a page`, async () => {
    const total = PAGE_SIZE + 1;
    for (let i = 3; i <= total; i++) {
      await addTask(`Task ${i}`, null, `Showing 1–${Math.min(i, PAGE_SIZE)} of ${i} tasks`);
    }
    await expectText('#page', 'Page 1 of 2');
    assert.equal(await $('#prev').isDisabled(), true);
    await $('#next').click();
    await expectList(['Buy bread and milk'], `Showing ${total}–${total} of ${total} tasks`);
    await expectText('#page', 'Page 2 of 2');
    assert.equal(await $('#next').isDisabled(), true);
    /* The last task of the last page deleted: back to the page before. */
    await item('Buy bread and milk').getByRole('button', { name: /^Delete/ }).click();
    const tasks = await expectList([...Array(PAGE_SIZE - 1).keys()].map((k) => `Task ${total - k}`)
      .concat(['Write the report']), `Showing 1–${PAGE_SIZE} of ${PAGE_SIZE} tasks`);
    assert.equal(tasks.length, PAGE_SIZE);
    await expectHidden('.pager');
  });

  await step('logs out: the login form, no tasks', async () => {
    await $('#logout').click();
    await expectText('#notice', 'Logged out.');
    await expectHidden('#app');
    assert.equal(await page.locator('#tasks > li').count(), 0);
    assert.equal(await focused(), '#email');
  });

  await step('the rate limit: 429 with Retry-After, as sent', async () => {
    let text = '';
    for (let i = 0; i < MAX_LOGIN_TRIES && !text.startsWith('429'); i++) {
      await login('still not the password');
      text = await visibleText('#error');
      assert.match(text, /^(401 Unauthorized: Invalid email or password|429 .*)$/);
    }
    assert.match(text, /^429 Too Many Requests: Too many requests\. Try again in (\d+) seconds? \(Retry-After: \1\)\.$/);
    await expectHidden('#app');
  });
}

main().catch((e) => {
  console.error(`not ok ${steps} - ${e.stack || e}`);
  console.error('browser: FAILED');
  process.exit(1);
});
