/*
 * account.js: the account's side of the page (index.html's #account,
 * #forgot-form and #reset), as docs/API.md "The page" describes it: the
 * signed-in devices (docs/API.md "Session list" and "Logout"), the
 * password change (docs/API.md "Password change"), the account's deletion
 * (docs/API.md "Account deletion"), and a forgotten password
 * (docs/API.md "Password reset"), whose mailed link opens this page at
 * /#reset=<token>. A
 * fragment, not a query: the browser never sends it, so the token reaches
 * no server's log nor a Referer; the page takes it out of the address bar
 * at once and keeps it in memory only.
 *
 * app.js owns the tokens and the requests: it hands over, in `ctx`, api(),
 * act(), ApiError, notify(), showError(), clearError(), sentence(),
 * signedIn(), email(), endSession() and showSession(). As there, server
 * data goes into the page as text only.
 */
'use strict';

/* The link's fragment: #reset= and the token, as PASSWORD_RESET_URL makes it. */
const RESET_LINK = /^#reset=([^&#]+)$/;

export function setupAccount(ctx) {
  const el = {};
  for (const id of ['account', 'account-toggle', 'account-title', 'sessions',
    'sessions-reload', 'logout-others', 'logout-global', 'password-form',
    'current-password', 'new-password', 'delete-form', 'delete-password',
    'delete-confirm', 'delete-confirm-text', 'delete-keep', 'delete-confirmed',
    'auth', 'email', 'forgot-open', 'forgot-form', 'forgot-email', 'forgot-cancel',
    'reset', 'reset-title', 'reset-form', 'reset-password', 'reset-cancel']) {
    el[id] = document.getElementById(id);
  }
  /* The token of the reset link this page was opened with, until used. */
  let resetToken = null;

  el['account-toggle'].addEventListener('click', toggle);
  el['sessions-reload'].addEventListener('click', () => ctx.act(el.account, loadSessions));
  el['logout-others'].addEventListener('click', logOutOthers);
  el['logout-global'].addEventListener('click', logOutEverywhere);
  el.sessions.addEventListener('click', onSessionClick);
  el['password-form'].addEventListener('submit', changePassword);
  el['delete-form'].addEventListener('submit', deleteAccount);
  el['forgot-open'].addEventListener('click', openForgot);
  el['forgot-cancel'].addEventListener('click', closeForgot);
  el['forgot-form'].addEventListener('submit', requestReset);
  el['reset-form'].addEventListener('submit', confirmReset);
  el['reset-cancel'].addEventListener('click', () => closeReset(null));
  window.addEventListener('hashchange', readResetLink);
  readResetLink();

  /* ---- the panel ---- */

  async function toggle() {
    if (!el.account.hidden) {
      forget();
      el['account-toggle'].focus();
      return;
    }
    el.account.hidden = false;
    el['account-toggle'].setAttribute('aria-expanded', 'true');
    el['account-title'].focus();
    await ctx.act(el.account, loadSessions);
  }

  /* Signed out: nothing of the account stays on the page. */
  function forget() {
    el.account.hidden = true;
    el['account-toggle'].setAttribute('aria-expanded', 'false');
    el.sessions.replaceChildren();
    for (const f of ['current-password', 'new-password', 'delete-password']) el[f].value = '';
    if (el['delete-confirm'].open) el['delete-confirm'].close();
  }

  /* ---- the signed-in devices ---- */

  async function loadSessions() {
    const r = await ctx.api('GET', '/api/auth/sessions');
    if (!Array.isArray(r.data)) {
      throw new ctx.ApiError(`${r.status}: the session list is not a JSON array.`, r.status);
    }
    el.sessions.replaceChildren(...r.data.map(sessionItem));
  }

  function sessionItem(s) {
    const li = document.getElementById('session-template').content.firstElementChild.cloneNode(true);
    li.dataset.id = String(s.id);
    li.dataset.current = s.current === true ? 'true' : 'false';
    const agent = li.querySelector('.agent');
    const name = typeof s.user_agent === 'string' && s.user_agent !== ''
      ? s.user_agent : 'A browser that did not say which';
    if (s.current === true) {
      const mark = document.createElement('strong');
      mark.className = 'this';
      mark.textContent = 'This device';
      agent.append(mark, ' ');
    }
    agent.append(name);
    const created = when(li.querySelector('.created'), s.created_at);
    when(li.querySelector('.used'), s.last_used_at);
    li.querySelector('.end').setAttribute('aria-label', s.current === true
      ? 'End this one: this device' : `End this one: ${name}, signed in ${created}`);
    return li;
  }

  /* Fills a <time> with an API timestamp; answers the text shown. */
  function when(time, value) {
    time.dateTime = String(value);
    const d = new Date(value);
    time.textContent = Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
    return time.textContent;
  }

  /* "End this one": that session ends; this device's is logging out. */
  async function onSessionClick(event) {
    const button = event.target.closest('button.end');
    if (!button) return;
    const li = button.closest('li.session');
    const current = li.dataset.current === 'true';
    const ok = await ctx.act(li, () =>
      ctx.api('DELETE', '/api/auth/sessions/' + encodeURIComponent(li.dataset.id)));
    if (ok && current) {
      ctx.endSession('Ended the session of this device: logged out.');
      return;
    }
    if (ok) ctx.notify('Ended that session: the device is logged out.');
    /* After a 404 too: the list as it is now. */
    if (ctx.signedIn()) {
      await ctx.act(el.account, loadSessions);
      el['sessions-reload'].focus();
    }
  }

  async function logOutOthers() {
    const ok = await ctx.act(el.account, async () => {
      await ctx.api('POST', '/api/auth/logout?scope=others');
      await loadSessions();
    });
    if (ok) ctx.notify('Logged out of every other device.');
  }

  async function logOutEverywhere() {
    const ok = await ctx.act(el.account, () => ctx.api('POST', '/api/auth/logout?scope=global'));
    if (ok) ctx.endSession('Logged out everywhere, this device included.');
  }

  /* ---- the password, the account ---- */

  async function changePassword(event) {
    event.preventDefault();
    const body = {
      current_password: el['current-password'].value,
      new_password: el['new-password'].value,
    };
    const ok = await ctx.act(el['password-form'], () => ctx.api('PUT', '/api/auth/password', body));
    if (!ok) return;
    el['current-password'].value = '';
    el['new-password'].value = '';
    ctx.notify('Password changed. Every other device is logged out; this one stays.');
    await ctx.act(el.account, loadSessions);
  }

  /* Deletes the account after its confirm step (a modal dialog). */
  async function deleteAccount(event) {
    event.preventDefault();
    const email = ctx.email();
    el['delete-confirm-text'].textContent = `The account ${email}, every one of its ` +
      'tasks and every session are deleted, for good: this cannot be undone.';
    if (await confirmDelete() !== 'delete' || !ctx.signedIn()) {
      el['delete-password'].focus();
      return;
    }
    const body = { password: el['delete-password'].value };
    const ok = await ctx.act(el['delete-form'], () => ctx.api('DELETE', '/api/auth/me', body));
    if (ok) {
      ctx.endSession(`Deleted the account ${email}.`);
    } else if (ctx.signedIn()) {
      el['delete-password'].focus();
    }
  }

  /* Resolves to 'delete' or 'keep'; Escape is Keep it. */
  function confirmDelete() {
    return new Promise((resolve) => {
      let choice = 'keep';
      const keep = () => el['delete-confirm'].close();
      const go = () => {
        choice = 'delete';
        el['delete-confirm'].close();
      };
      el['delete-keep'].addEventListener('click', keep);
      el['delete-confirmed'].addEventListener('click', go);
      el['delete-confirm'].addEventListener('close', () => {
        el['delete-keep'].removeEventListener('click', keep);
        el['delete-confirmed'].removeEventListener('click', go);
        resolve(choice);
      }, { once: true });
      el['delete-confirm'].showModal();
      el['delete-keep'].focus();
    });
  }

  /* ---- a forgotten password ---- */

  function openForgot() {
    el['forgot-form'].hidden = false;
    if (el['forgot-email'].value === '') el['forgot-email'].value = el.email.value;
    el['forgot-email'].focus();
  }

  function closeForgot() {
    el['forgot-form'].hidden = true;
    el['forgot-open'].focus();
  }

  /* The API answers 202 whether or not the account exists: its detail says so. */
  async function requestReset(event) {
    event.preventDefault();
    const body = { email: el['forgot-email'].value };
    let detail = '';
    const ok = await ctx.act(el['forgot-form'], async () => {
      const r = await ctx.api('POST', '/api/auth/password-reset', body, { anonymous: true });
      detail = r.data && typeof r.data.detail === 'string' ? r.data.detail : `${r.status}`;
    });
    if (!ok) return;
    ctx.notify(detail);
    closeForgot();
  }

  /* Opens the reset form for the link in the address bar, and takes the
   * token out of it (and so out of the history). */
  function readResetLink() {
    const m = RESET_LINK.exec(location.hash);
    if (m === null) return;
    history.replaceState(history.state, '', location.pathname + location.search);
    try {
      resetToken = decodeURIComponent(m[1]);
    } catch (e) {
      resetToken = m[1];
    }
    ctx.clearError();
    el['forgot-form'].hidden = true;
    el.reset.hidden = false;
    ctx.showSession();
    el['reset-password'].focus();
  }

  async function confirmReset(event) {
    event.preventDefault();
    const body = { token: resetToken, new_password: el['reset-password'].value };
    const ok = await ctx.act(el['reset-form'], () =>
      ctx.api('POST', '/api/auth/password-reset/confirm', body, { anonymous: true }));
    if (!ok) return;
    /* Every session of the account has ended, this page's too if it had one. */
    if (ctx.signedIn()) ctx.endSession(null);
    closeReset('Password changed. Log in with the new one.');
  }

  function closeReset(message) {
    resetToken = null;
    el['reset-password'].value = '';
    el.reset.hidden = true;
    ctx.showSession();
    if (message) ctx.notify(message);
    if (!el.auth.hidden) el.email.focus();
  }

  return { forget, resetting: () => !el.reset.hidden };
}
