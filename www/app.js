/*
 * app.js: the behaviour of the page to try the Task API (index.html): the
 * session and the tasks; account.js adds the account's forms.
 * It calls the API on its own origin with fetch, keeps the tokens in this
 * page's memory only (never in storage or a cookie), builds every element
 * with textContent (nothing from the API is ever parsed as HTML), and shows
 * every error as the API sent it: the status, the JSON `detail`, and
 * Retry-After when there is one.
 *
 * The session (docs/API.md "Session tokens", "Refresh"): the access token
 * is traded for a new one, with the refresh token, at 80% of its
 * lifetime, and once more when the API answers `Token has expired`; when
 * that fails for good, the page is back at the sign-in form. Logging out
 * ends the session at the API; so does leaving or reloading the page.
 *
 * Writes are conditional, as
 * docs/API.md "Conditional requests, retries and paging"
 * describes: each edit, toggle and delete sends If-Match with the task's
 * ETag, so a change made elsewhere meanwhile is never overwritten unseen;
 * a create carries an Idempotency-Key, so retrying one whose answer was
 * lost cannot make a second task. The list follows the API's Link: rel="next"
 * for "Load more" (cursor paging) instead of counting offsets.
 */
'use strict';

import { setupAccount } from './account.js';

(function () {
  /* Tasks a page; the API allows up to 1000, a person reads about this many. */
  const PAGE_SIZE = 10;
  /* The API's default order: the page leaves `sort` out for it. */
  const DEFAULT_SORT = '-created_at';
  /* How long the search box waits after a keystroke before it asks. */
  const SEARCH_DELAY_MS = 300;
  /* The list's filter, as the `completed` query value ('' for none). */
  const FILTERS = { all: '', open: 'false', completed: 'true' };
  const EMPTY = {
    all: 'No tasks yet. Add one above.',
    open: 'No open tasks.',
    completed: 'No completed tasks.',
  };
  const NOUN = { all: 'tasks', open: 'open tasks', completed: 'completed tasks' };
  /* setTimeout's longest wait (2^31 - 1 ms); longer expiries wait in steps. */
  const MAX_TIMER_MS = 2147483647;
  /* The share of the access token's lifetime after which it is refreshed:
   * early enough that a slow or refused refresh can be tried again before
   * the token expires. */
  const REFRESH_AT = 0.8;
  /* A refresh that got no answer, a 5xx or a 429 is tried again after
   * this (or its Retry-After), while the access token still serves. */
  const REFRESH_RETRY_MS = 5000;
  /* The API's detail for an access token past its `exp`: worth a refresh. */
  const EXPIRED = 'Token has expired';
  /* Reason phrases for when the response does not carry one (HTTP/2). */
  const REASONS = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed',
    413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
    428: 'Precondition Required', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
    503: 'Service Unavailable', 504: 'Gateway Timeout',
  };

  const state = {
    token: null,      /* the access token: this variable is its only copy */
    refreshToken: null, /* the refresh token: likewise, only here */
    renewing: null,   /* the refresh under way (a promise), null if none */
    signIns: 0,       /* numbers sign-ins, so a late refresh revives no session */
    email: null,
    expiry: null,     /* the timer of the next refresh (or of the token's end) */
    filter: 'all',
    sort: DEFAULT_SORT,
    q: '',            /* the search, '' for none */
    search: null,     /* the search box's pending timer */
    total: null,      /* X-Total-Count of the last list, null if absent */
    tasks: [],        /* every task shown: the first page and those loaded after */
    next: null,       /* the path of the list's Link: rel="next", null if none */
    loads: 0,         /* numbers list requests, so a stale answer is dropped */
    /* id -> { etag, updated_at }: the ETag of the task as it was when it
     * had that updated_at (the list carries no ETags; one task does). */
    etags: new Map(),
    adding: null,     /* { key, body }: the Idempotency-Key of an unfinished create */
  };

  const el = {};
  /* account.js's side of the page (setupAccount's answer). */
  let account = null;

  /* `detail`: the API's own, or null; `retryAfter`: seconds, or null;
   * `ended`: the session is over and the page has said so. */
  class ApiError extends Error {
    constructor(message, status, detail, retryAfter) {
      super(message);
      this.status = status;
      this.detail = detail === undefined ? null : detail;
      this.retryAfter = retryAfter === undefined ? null : retryAfter;
      this.ended = false;
      /* Whether the request carried an access token (attempt()). */
      this.signedIn = false;
    }
  }

  const LINK_TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
  const LINK_QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
  /* One link-value of a Link header (RFC 8288 section 3): <target> and its
   * parameters, up to the comma that ends it. */
  const LINK_VALUE = new RegExp(String.raw`\s*<([^>]*)>((?:\s*;\s*${LINK_TOKEN}` +
    String.raw`(?:\s*=\s*(?:${LINK_QUOTED}|[^",;\s]*))?)*)\s*(?:,|$)`, 'y');
  const LINK_PARAM = new RegExp(
    String.raw`;\s*(${LINK_TOKEN})(?:\s*=\s*(${LINK_QUOTED}|[^",;\s]*))?`, 'g');

  document.addEventListener('DOMContentLoaded', start);

  function start() {
    for (const id of ['who', 'who-email', 'logout', 'error', 'notice', 'auth',
      'auth-form', 'email', 'password', 'app', 'add-form', 'new-title',
      'new-description', 'tasks-title', 'count', 'tasks', 'empty', 'more',
      'search', 'sort', 'conflict', 'conflict-text', 'conflict-reload',
      'conflict-overwrite']) {
      el[id] = document.getElementById(id);
    }
    el['auth-form'].addEventListener('submit', onAuth);
    el.logout.addEventListener('click', logOut);
    window.addEventListener('pagehide', onLeave);
    el['add-form'].addEventListener('submit', onAdd);
    for (const radio of document.querySelectorAll('input[name="filter"]')) {
      radio.addEventListener('change', onFilter);
    }
    el.more.addEventListener('click', onMore);
    el.search.addEventListener('input', onSearchInput);
    el.search.addEventListener('keydown', onSearchKey);
    el.sort.addEventListener('change', onSort);
    el.tasks.addEventListener('change', onTaskChange);
    el.tasks.addEventListener('click', onTaskClick);
    el.tasks.addEventListener('keydown', onTaskKey);
    account = setupAccount({
      api, act, ApiError, notify, showError, clearError, sentence,
      signedIn: () => state.token !== null,
      email: () => state.email,
      endSession,
      showSession,
    });
    showSession();
    if (el.auth.hidden === false) el.email.focus();
  }

  /* ---- talking to the API ---- */

  /*
   * One request. Resolves to { status, headers, url, data } for a 2xx
   * answer; throws an ApiError whose message is what the person should
   * read. `opts`: ifMatch (an ETag, or null for none), key (an
   * Idempotency-Key), retry (send it once more, the same, when no answer
   * came: only for a request a repeat cannot do twice, one with a key),
   * anonymous (send no token). A 401 `Token has expired` is met with one
   * refresh and the request sent once more with the new token.
   */
  async function api(method, path, body, opts) {
    const o = opts || {};
    const sent = state.token;
    try {
      return await attempt(method, path, body, o);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401 || e.detail !== EXPIRED ||
        o.anonymous || sent === null || state.refreshToken === null) throw e;
      /* Refreshed meanwhile (by a timer or another request): no need again. */
      if (state.token === sent) await renew();
      return attempt(method, path, body, o);
    }
  }

  /* One request, as api() describes, with the access token of now (none
   * when `opts.anonymous`). */
  async function attempt(method, path, body, o) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (state.token !== null && !o.anonymous) headers.Authorization = 'Bearer ' + state.token;
    if (o.ifMatch) headers['If-Match'] = o.ifMatch;
    if (o.key) headers['Idempotency-Key'] = o.key;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await send(path, init);
    } catch (e) {
      if (!o.retry) throw unreachable(method, path);
      try {
        answer = await send(path, init);
      } catch (e2) {
        throw unreachable(method, path);
      }
    }
    try {
      return check(method, path, answer);
    } catch (e) {
      e.signedIn = headers.Authorization !== undefined;
      throw e;
    }
  }

  /* The answer and its whole body: losing either is losing the answer. */
  async function send(path, init) {
    const res = await fetch(path, init);
    return { res, text: await res.text() };
  }

  function unreachable(method, path) {
    return new ApiError(`Could not reach the API (${method} ${path}): ` +
      'the request failed before an answer came. Is the server running?', 0);
  }

  function check(method, path, { res, text }) {
    let data = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = undefined;
      }
    }
    if (!res.ok) {
      const detail = data && typeof data.detail === 'string' ? data.detail : null;
      const retry = res.headers.get('Retry-After');
      throw new ApiError(describe(res, data, text), res.status, detail,
        retry !== null && /^\d+$/.test(retry) ? Number(retry) : null);
    }
    if (data === undefined) {
      throw new ApiError(`${statusLine(res)}: the answer to ${method} ${path} ` +
        'is not JSON.', res.status);
    }
    return { status: res.status, headers: res.headers, url: res.url, data };
  }

  function statusLine(res) {
    return `${res.status} ${res.statusText || REASONS[res.status] || ''}`.trim();
  }

  /* "422 Unprocessable Content: <detail>", and when to try again. */
  function describe(res, data, text) {
    let msg = statusLine(res);
    if (data && typeof data.detail === 'string') {
      msg += ': ' + data.detail;
    } else if (data !== null && data !== undefined) {
      msg += ': ' + JSON.stringify(data);
    } else if (text) {
      msg += ': ' + text.slice(0, 300);
    }
    const retry = res.headers.get('Retry-After');
    if (retry !== null) {
      msg = sentence(msg, /^\d+$/.test(retry)
        ? `Try again in ${retry} ${retry === '1' ? 'second' : 'seconds'} (Retry-After: ${retry}).`
        : `Try again after ${retry} (Retry-After).`);
    }
    return msg;
  }

  /* A message and one more sentence after it. */
  function sentence(msg, more) {
    return msg + (/[.!?]$/.test(msg) ? ' ' : '. ') + more;
  }

  /*
   * Runs an action with the controls of `scope` disabled, and shows what
   * went wrong. A 401 to a request sent signed in means the token is no
   * longer good (its session ended, a refresh failed, or the server's
   * secret changed): the page is back at the sign-in form, and says so
   * even when a refresh that failed meanwhile took it there first.
   */
  async function act(scope, fn) {
    const controls = scope ? scope.querySelectorAll('button, input, textarea') : [];
    const was = [];
    for (const c of controls) {
      was.push(c.disabled);
      c.disabled = true;
    }
    if (scope) scope.setAttribute('aria-busy', 'true');
    clearError();
    try {
      await fn();
      return true;
    } catch (e) {
      if (!(e instanceof ApiError)) {
        showError('Unexpected error in the page: ' + e.message);
      } else if (e.ended) {
        /* renew() ended the session and said why. */
      } else if (e.status === 401 && (state.token !== null || e.signedIn)) {
        if (state.token !== null) endSession(null);
        showError(sentence(e.message, 'Log in again.'));
      } else {
        showError(e.message);
      }
      return false;
    } finally {
      controls.forEach((c, i) => { if (c.isConnected) c.disabled = was[i]; });
      if (scope) scope.removeAttribute('aria-busy');
    }
  }

  function showError(message) {
    el.error.textContent = message;
    el.error.hidden = false;
  }

  function clearError() {
    el.error.textContent = '';
    el.error.hidden = true;
  }

  function notify(message) {
    el.notice.textContent = message;
  }

  /* ---- the session ---- */

  async function onAuth(event) {
    event.preventDefault();
    const register = event.submitter && event.submitter.value === 'register';
    const body = { email: el.email.value, password: el.password.value };
    let who = null;
    const ok = await act(el['auth-form'], async () => {
      const r = await api('POST', register ? '/api/auth/register' : '/api/auth/login', body);
      if (typeof r.data.access_token !== 'string' || !r.data.user) {
        throw new ApiError(`${r.status}: the answer has no access_token.`, r.status);
      }
      who = r.data;
    });
    if (!ok) return;
    beginSession(who);
    notify(register ? `Registered and signed in as ${who.user.email}.`
      : `Signed in as ${who.user.email}.`);
    await refresh(el['new-title']);
  }

  function beginSession(auth) {
    state.signIns++;
    takeTokens(auth);
    state.email = auth.user.email;
    state.filter = 'all';
    state.sort = DEFAULT_SORT;
    state.q = '';
    el.password.value = '';
    el.search.value = '';
    el.sort.value = DEFAULT_SORT;
    for (const radio of document.querySelectorAll('input[name="filter"]')) {
      radio.checked = radio.value === 'all';
    }
    showSession();
  }

  /* Keeps the tokens of a login, register or refresh answer, and plans the
   * next refresh (without a refresh token, the session's end instead). */
  function takeTokens(auth) {
    const ms = Number(auth.expires_in) * 1000;
    state.token = auth.access_token;
    state.refreshToken = typeof auth.refresh_token === 'string' ? auth.refresh_token : null;
    if (state.refreshToken !== null) {
      later(ms * REFRESH_AT, () => renew().catch(() => {}));
    } else {
      later(ms, () => {
        endSession(null);
        showError('The token has expired. Log in again.');
      });
    }
  }

  /* Runs fn after ms (in steps, past setTimeout's longest wait), instead
   * of what was planned before. */
  function later(ms, fn) {
    clearTimeout(state.expiry);
    if (!Number.isFinite(ms) || ms < 0) return;
    state.expiry = setTimeout(() => {
      if (ms > MAX_TIMER_MS) later(ms - MAX_TIMER_MS, fn);
      else fn();
    }, Math.min(ms, MAX_TIMER_MS));
  }

  /*
   * Trades the refresh token for new tokens (docs/API.md "Refresh"), one
   * trade at a time: whoever asks while one is under way waits for it.
   * Resolves once the page holds the new tokens; rejects with the
   * ApiError otherwise. A refusal (4xx but 429) ends the session here,
   * says so, and marks the error `ended`; no answer, a 429 or a 5xx
   * leaves the tokens as they are and tries again later.
   */
  function renew() {
    if (state.renewing === null) {
      state.renewing = renewOnce().finally(() => { state.renewing = null; });
    }
    return state.renewing;
  }

  async function renewOnce() {
    const mine = state.signIns;
    let r;
    try {
      /* Sent once more when no answer came: the API answers a refresh token
       * presented again within 10 s with the same new tokens. */
      r = await api('POST', '/api/auth/refresh', { refresh_token: state.refreshToken },
        { anonymous: true, retry: true });
    } catch (e) {
      if (mine !== state.signIns || !(e instanceof ApiError)) throw e;
      if (e.status === 0 || e.status === 429 || e.status >= 500) {
        later(e.retryAfter !== null ? e.retryAfter * 1000 : REFRESH_RETRY_MS,
          () => renew().catch(() => {}));
        throw e;
      }
      endSession(null);
      showError(sentence(e.message, 'The session has ended: log in again.'));
      e.ended = true;
      throw e;
    }
    /* Signed out (or in anew) meanwhile: these tokens revive nothing. */
    if (mine !== state.signIns) throw new ApiError('The session ended meanwhile.', 0);
    if (typeof r.data.access_token !== 'string') {
      throw new ApiError(`${r.status}: the answer has no access_token.`, r.status);
    }
    takeTokens(r.data);
  }

  /*
   * The "Log out" button: ends this session at the API (scope local,
   * docs/API.md "Logout"), then forgets the tokens whatever the answer. A
   * session already ended is as good as logged out.
   */
  async function logOut() {
    let failure = null;
    el.logout.disabled = true;
    try {
      await api('POST', '/api/auth/logout?scope=local');
    } catch (e) {
      failure = e;
    } finally {
      el.logout.disabled = false;
    }
    endSession('Logged out.');
    if (failure !== null && failure.status !== 401) {
      showError(sentence(failure.message, 'This page has forgotten its tokens, but the ' +
        'session may stay open at the API until it expires: end it from another device.'));
    }
  }

  /*
   * Leaving or reloading the page forgets the tokens (they are in its
   * memory only), so it ends the session at the API too, with a request
   * that outlives the page (keepalive), rather than leave it open unused.
   */
  function onLeave() {
    if (state.token === null) return;
    fetch('/api/auth/logout?scope=local', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + state.token },
      credentials: 'omit',
      keepalive: true,
    }).catch(() => {});
    endSession(null);
  }

  /* Forgets the tokens and everything shown of the account. */
  function endSession(message) {
    clearTimeout(state.expiry);
    state.signIns++;
    state.token = null;
    state.refreshToken = null;
    state.email = null;
    state.tasks = [];
    state.total = null;
    state.next = null;
    state.etags.clear();
    state.adding = null;
    clearTimeout(state.search);
    state.loads++;
    if (el.conflict.open) el.conflict.close();
    el.tasks.replaceChildren();
    el.tasks.removeAttribute('aria-busy');
    clearError();
    if (account !== null) account.forget();
    showSession();
    if (message) notify(message);
    if (!el.auth.hidden) el.email.focus();
  }

  function showSession() {
    const signedIn = state.token !== null;
    el.auth.hidden = signedIn || (account !== null && account.resetting());
    el.app.hidden = !signedIn;
    el.who.hidden = !signedIn;
    el['who-email'].textContent = signedIn ? state.email : '';
  }

  /* ---- the list ---- */

  /* The first page of the list as it is chosen now; the pages after it
   * come from the Link header, never made here. */
  function listPath() {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (FILTERS[state.filter]) q.set('completed', FILTERS[state.filter]);
    if (state.sort !== DEFAULT_SORT) q.set('sort', state.sort);
    if (state.q !== '') q.set('q', state.q);
    return '/api/tasks?' + q.toString();
  }

  /* X-Total-Count as a number, or null when it is missing or not a count. */
  function totalOf(headers) {
    const v = headers.get('X-Total-Count');
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  }

  /*
   * The target of the answer's Link: rel="next" as a path on this origin,
   * or null: none, a header that does not parse, or another origin (which
   * the page's connect-src would refuse anyway). A relative target is
   * resolved against the answer's URL (RFC 8288 section 3.1).
   */
  function nextOf(r) {
    const header = r.headers.get('Link');
    if (header === null) return null;
    LINK_VALUE.lastIndex = 0;
    while (LINK_VALUE.lastIndex < header.length) {
      const m = LINK_VALUE.exec(header);
      if (m === null) return null;
      if (relsOf(m[2]).includes('next')) {
        const url = new URL(m[1], r.url || location.href);
        return url.origin === location.origin ? url.pathname + url.search : null;
      }
    }
    return null;
  }

  /* The relation types of a link-value's parameters, lower-cased. */
  function relsOf(params) {
    for (const [, name, value] of params.matchAll(LINK_PARAM)) {
      if (name.toLowerCase() !== 'rel' || value === undefined) continue;
      const text = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
      return text.toLowerCase().split(/\s+/).filter((t) => t !== '');
    }
    return [];
  }

  /* One page of the list: its tasks, the next page's path and the count. */
  async function fetchPage(path) {
    const r = await api('GET', path);
    if (!Array.isArray(r.data)) {
      throw new ApiError(`${r.status}: the task list is not a JSON array.`, r.status);
    }
    return { tasks: r.data, next: nextOf(r), total: totalOf(r.headers) };
  }

  /* Tasks of a later page that are not already shown. */
  function appended(shown, more) {
    const ids = new Set(shown.map((t) => String(t.id)));
    return shown.concat(more.filter((t) => !ids.has(String(t.id))));
  }

  /* Runs a list request with the list marked busy; only the newest shows. */
  async function listing(fn) {
    const mine = ++state.loads;
    el.tasks.setAttribute('aria-busy', 'true');
    try {
      await fn(() => mine === state.loads);
    } catch (e) {
      /* No list is better than the last one shown under another filter. */
      if (mine === state.loads) showUnloaded();
      throw e;
    } finally {
      if (mine === state.loads) el.tasks.removeAttribute('aria-busy');
    }
  }

  /*
   * Loads the list from its first page and shows it; throws an ApiError.
   * After a write it follows the Link again as far as the person had
   * loaded, so the task just changed stays in view.
   */
  function load() {
    const want = state.tasks.length;
    return listing(async (current) => {
      const page = await fetchPage(listPath());
      while (page.next !== null && page.tasks.length < want) {
        const more = await fetchPage(page.next);
        const before = page.tasks.length;
        page.tasks = appended(page.tasks, more.tasks);
        page.next = more.next;
        if (more.total !== null) page.total = more.total;
        if (page.tasks.length === before) break;
      }
      if (!current()) return;
      state.tasks = page.tasks;
      state.next = page.next;
      state.total = page.total;
      render();
    });
  }

  /* "Load more": the next page, after the tasks shown. */
  async function onMore() {
    const path = state.next;
    if (path === null) return;
    const before = state.tasks.length;
    const ok = await act(null, () => listing(async (current) => {
      const page = await fetchPage(path);
      if (!current()) return;
      state.tasks = appended(state.tasks, page.tasks);
      state.next = page.next;
      if (page.total !== null) state.total = page.total;
      render();
    }));
    if (!ok || state.token === null) return;
    /* The focus goes to the first task it brought, where reading goes on. */
    const first = el.tasks.children[before];
    (first ? first.querySelector('.done') : el['tasks-title']).focus();
  }

  /*
   * Loads the list, then puts the focus on `focus`: an element, or a
   * function that finds one in the new list (null: the list's heading;
   * false: where it is).
   */
  async function refresh(focus) {
    const ok = await act(null, load);
    if (!ok || state.token === null || focus === false) return;
    let target = typeof focus === 'function' ? focus() : focus;
    if (!target || !target.isConnected) target = el['tasks-title'];
    target.focus();
  }

  /* Starts the list again from its first page (a filter, sort or search). */
  function restart(focus) {
    state.tasks = [];
    state.next = null;
    return refresh(focus);
  }

  function render() {
    el.tasks.replaceChildren(...state.tasks.map(taskItem));
    const n = state.tasks.length;
    const matching = state.q === '' ? '' : ` matching “${state.q}”`;
    el.empty.hidden = n > 0;
    el.empty.textContent = n > 0 ? ''
      : state.q === '' ? EMPTY[state.filter] : `No ${NOUN[state.filter]}${matching}.`;
    if (state.total === null) {
      el.count.textContent = n > 0
        ? `Showing 1–${n} (the API sent no X-Total-Count).` : '';
    } else if (state.total === 0) {
      el.count.textContent = `0 ${NOUN[state.filter]}${matching}`;
    } else {
      el.count.textContent = `Showing 1–${n} of ${state.total} ${NOUN[state.filter]}${matching}`;
    }
    el.more.hidden = state.next === null;
  }

  function showUnloaded() {
    state.tasks = [];
    state.total = null;
    state.next = null;
    el.tasks.replaceChildren();
    el.empty.hidden = true;
    el.more.hidden = true;
    el.count.textContent = 'The list could not be loaded (the error is above).';
  }

  function taskItem(task) {
    const li = document.getElementById('task-template').content.firstElementChild.cloneNode(true);
    const id = String(task.id);
    li.dataset.id = id;
    li.classList.toggle('completed', task.is_completed === true);
    const box = li.querySelector('.done');
    box.id = 'done-' + id;
    box.checked = task.is_completed === true;
    const title = li.querySelector('.title');
    title.htmlFor = box.id;
    title.textContent = task.title;
    const desc = li.querySelector('.description');
    desc.textContent = task.description == null ? '' : task.description;
    desc.hidden = desc.textContent === '';
    const created = li.querySelector('.created');
    created.dateTime = task.created_at;
    const when = new Date(task.created_at);
    created.textContent = Number.isNaN(when.getTime()) ? String(task.created_at) : when.toLocaleString();
    li.querySelector('.edit').setAttribute('aria-label', `Edit “${task.title}”`);
    li.querySelector('.delete').setAttribute('aria-label', `Delete “${task.title}”`);
    return li;
  }

  function taskOf(node) {
    const li = node.closest('li.task');
    if (!li) return null;
    const task = state.tasks.find((t) => String(t.id) === li.dataset.id);
    return task ? { li, task } : null;
  }

  function taskPath(task, suffix) {
    return '/api/tasks/' + encodeURIComponent(task.id) + (suffix || '');
  }

  /* The same control of a task in the list as it is now (after a reload). */
  function controlOf(id, selector) {
    return () => {
      for (const li of el.tasks.children) {
        if (li.dataset.id === id) return li.querySelector(selector);
      }
      return null;
    };
  }

  /* ---- conditional writes ---- */

  /* Keeps the ETag of an answer carrying one task, for that task as it is. */
  function remember(r) {
    if (!r.data || typeof r.data !== 'object' || r.data.id === undefined) return;
    const id = String(r.data.id);
    const etag = r.headers.get('ETag');
    if (etag === null) state.etags.delete(id);
    else state.etags.set(id, { etag, updated_at: r.data.updated_at });
  }

  /* The task as it is now, and its ETag (null when the API sent none). */
  async function fetchTask(task) {
    const r = await api('GET', taskPath(task));
    remember(r);
    return { current: r.data, etag: r.headers.get('ETag') };
  }

  /*
   * The ETag to send for `task` as the page shows it: the one kept from an
   * answer while the task is unchanged since, else a GET's. When the GET
   * shows the task changed since the page showed it, that is a conflict
   * too (`changed`), as a 412 would be.
   */
  async function tagFor(task) {
    const known = state.etags.get(String(task.id));
    if (known && known.updated_at === task.updated_at) return { etag: known.etag, current: null };
    const { current, etag } = await fetchTask(task);
    return { etag, current, changed: current.updated_at !== task.updated_at };
  }

  /*
   * One write of a task, with If-Match. `w`: scope (its controls are
   * disabled meanwhile), task (as the page shows it), since and what (the
   * dialog's words), send(etag, current) (the request, or null when there
   * is nothing left to do; `current` is the task as a GET found it, when
   * one was made), reload (what Reload does). A 412, or a task found
   * changed, asks the person: Reload writes nothing; Overwrite sends the
   * write again with the ETag fetched now. Resolves to { answer } once
   * written, null otherwise (the error, if any, is shown).
   */
  async function writeTask(w) {
    let overwrite = false;
    for (;;) {
      let conflict = false;
      let answer = null;
      const ok = await act(w.scope, async () => {
        const t = overwrite ? await fetchTask(w.task) : await tagFor(w.task);
        if (t.changed) {
          conflict = true;
          return;
        }
        try {
          answer = await w.send(t.etag, t.current);
        } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 412) throw e;
          conflict = true;
        }
      });
      if (!ok) return null;
      if (!conflict) {
        if (answer) remember(answer);
        return { answer };
      }
      const choice = await askConflict(w);
      if (state.token === null) return null;
      if (choice !== 'overwrite') {
        await w.reload();
        return null;
      }
      overwrite = true;
    }
  }

  /*
   * Shows the choice of a conflict and resolves to 'reload' or 'overwrite'.
   * Any other way the dialog closes (Escape, logging out) is Reload, which
   * changes nothing.
   */
  function askConflict(w) {
    el['conflict-text'].textContent = `“${w.task.title}” was changed elsewhere since ` +
      `${w.since}. Reload shows it as it is now and leaves it so; Overwrite ${w.what}.`;
    return new Promise((resolve) => {
      let choice = 'reload';
      const pick = (which) => () => {
        choice = which;
        el.conflict.close();
      };
      const reload = pick('reload');
      const overwrite = pick('overwrite');
      el['conflict-reload'].addEventListener('click', reload);
      el['conflict-overwrite'].addEventListener('click', overwrite);
      el.conflict.addEventListener('close', () => {
        el['conflict-reload'].removeEventListener('click', reload);
        el['conflict-overwrite'].removeEventListener('click', overwrite);
        resolve(choice);
      }, { once: true });
      el.conflict.showModal();
      el['conflict-reload'].focus();
    });
  }

  /* Reload's end: the list as it is now, and the focus back on the task. */
  async function reloaded(task, focus) {
    await refresh(focus);
    if (state.token === null) return;
    const now = state.tasks.find((t) => String(t.id) === String(task.id));
    notify(now ? `Reloaded “${now.title}” as it is now; your change was not made.`
      : `Reloaded: “${task.title}” is no longer in this list; your change was not made.`);
  }

  /* An Idempotency-Key: a random UUID (crypto.randomUUID needs a secure
   * context; getRandomValues works on any). */
  function newKey() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* ---- the actions ---- */

  /*
   * Adds a task. The request carries an Idempotency-Key and is sent once
   * more, with the same key, when no answer came: if the first did reach
   * the API, the second gets its answer again (Idempotent-Replayed) and no
   * second task is made. The key is kept until the task is added, so
   * submitting the same text again after a failure cannot add it twice.
   */
  async function onAdd(event) {
    event.preventDefault();
    const title = el['new-title'].value;
    const description = el['new-description'].value;
    const body = { title };
    if (description !== '') body.description = description;
    const text = JSON.stringify(body);
    if (!state.adding || state.adding.body !== text) state.adding = { key: newKey(), body: text };
    const { key } = state.adding;
    let created = null;
    const ok = await act(el['add-form'], async () => {
      const r = await api('POST', '/api/tasks', body, { key, retry: true });
      remember(r);
      created = r.data;
    });
    if (!ok) return;
    state.adding = null;
    el['new-title'].value = '';
    el['new-description'].value = '';
    notify(state.filter === 'completed'
      ? `Added “${created.title}” (open tasks are not shown under Completed).`
      : `Added “${created.title}”.`);
    await refresh(el['new-title']);
  }

  function onFilter(event) {
    state.filter = event.target.value;
    restart(event.target);
  }

  function onSort() {
    state.sort = el.sort.value;
    restart(el.sort);
  }

  /* The search asks once the typing pauses, not at every keystroke. */
  function onSearchInput() {
    clearTimeout(state.search);
    state.search = setTimeout(search, SEARCH_DELAY_MS);
  }

  function onSearchKey(event) {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    clearTimeout(state.search);
    search();
  }

  function search() {
    if (el.search.value === state.q || state.token === null) return;
    state.q = el.search.value;
    restart(false);
  }

  /*
   * Toggles a task: it flips what the API has, so If-Match makes sure that
   * is what the page shows. Like a create, it carries an Idempotency-Key
   * and is sent once more when no answer came: the repeat gets the first
   * one's answer again, where without the key it would toggle back (or,
   * with the ETag now old, be a 412).
   */
  async function onTaskChange(event) {
    if (!event.target.classList.contains('done')) return;
    const found = taskOf(event.target);
    if (!found) return;
    const { li, task } = found;
    const want = event.target.checked;
    const id = String(task.id);
    const result = await writeTask({
      scope: li,
      task,
      since: 'the list showed it',
      what: want ? 'marks it completed' : 'marks it open',
      send: (etag, current) => (current && current.is_completed === want ? null
        : api('PATCH', taskPath(task, '/complete'), undefined,
          { ifMatch: etag, key: newKey(), retry: true })),
      reload: () => reloaded(task, controlOf(id, '.done')),
    });
    if (!result) {
      if (event.target.isConnected) event.target.checked = task.is_completed === true;
      return;
    }
    const done = result.answer ? result.answer.data.is_completed === true : want;
    const title = result.answer ? result.answer.data.title : task.title;
    notify(done ? `Completed “${title}”.` : `Reopened “${title}”.`);
    await refresh(controlOf(id, '.done'));
  }

  function onTaskClick(event) {
    const button = event.target.closest('button');
    if (!button) return;
    if (button.classList.contains('edit')) openEditor(button);
    else if (button.classList.contains('delete')) remove(button);
    else if (button.classList.contains('cancel')) closeEditor(button);
  }

  function onTaskKey(event) {
    if (event.key === 'Escape' && event.target.closest('.edit-form')) {
      event.preventDefault();
      closeEditor(event.target);
    }
  }

  async function remove(button) {
    const found = taskOf(button);
    if (!found) return;
    const { li, task } = found;
    const id = String(task.id);
    /* Afterwards the focus goes to the task that takes this one's place. */
    const next = li.nextElementSibling || li.previousElementSibling;
    const nextId = next ? next.dataset.id : null;
    const result = await writeTask({
      scope: li,
      task,
      since: 'the list showed it',
      what: 'deletes it',
      /* Keyed and sent again when no answer came, as a toggle: the repeat
       * is the first one's 204 again, not a 404. */
      send: (etag) => api('DELETE', taskPath(task), undefined,
        { ifMatch: etag, key: newKey(), retry: true }),
      reload: () => reloaded(task, controlOf(id, '.delete')),
    });
    if (!result) return;
    state.etags.delete(id);
    notify(`Deleted “${task.title}”.`);
    await refresh(nextId ? controlOf(nextId, '.done') : el['new-title']);
  }

  /*
   * Opens the editor with the task as it is now: a GET, whose ETag the
   * save sends as If-Match, so an edit made elsewhere while this one is
   * open is a 412, not silently lost.
   */
  async function openEditor(button) {
    const found = taskOf(button);
    if (!found) return;
    const { li, task } = found;
    if (li.querySelector('.edit-form')) return;
    let current = null;
    const ok = await act(li, async () => {
      current = (await fetchTask(task)).current;
    });
    if (!ok || !li.isConnected || li.querySelector('.edit-form')) return;
    /* The task may have changed since the list showed it: show it as it is. */
    const i = state.tasks.indexOf(task);
    if (i >= 0) state.tasks[i] = current;
    const item = taskItem(current);
    li.replaceWith(item);
    item.append(editForm(item, current));
    item.querySelector('.view').hidden = true;
    item.classList.add('editing');
    const title = item.querySelector('.edit-title');
    title.focus();
    title.select();
  }

  function editForm(li, task) {
    const form = document.getElementById('edit-template').content.firstElementChild.cloneNode(true);
    const title = form.querySelector('.edit-title');
    const desc = form.querySelector('.edit-description');
    title.id = 'edit-title-' + task.id;
    desc.id = 'edit-description-' + task.id;
    form.querySelector('.edit-title-label').htmlFor = title.id;
    form.querySelector('.edit-description-label').htmlFor = desc.id;
    form.setAttribute('aria-label', `Edit “${task.title}”`);
    title.value = task.title;
    desc.value = task.description == null ? '' : task.description;
    form.addEventListener('submit', (event) => save(event, li, task));
    return form;
  }

  function closeEditor(node) {
    const li = node.closest('li.task');
    const form = li && li.querySelector('.edit-form');
    if (!form) return;
    form.remove();
    li.classList.remove('editing');
    li.querySelector('.view').hidden = false;
    li.querySelector('.edit').focus();
  }

  async function save(event, li, task) {
    event.preventDefault();
    const form = event.target;
    const description = form.querySelector('.edit-description').value;
    const body = {
      title: form.querySelector('.edit-title').value,
      description: description === '' ? null : description,
    };
    const id = String(task.id);
    const result = await writeTask({
      scope: form,
      task,
      since: 'you began editing it',
      what: 'saves your edit over it',
      send: (etag) => api('PATCH', taskPath(task), body, { ifMatch: etag }),
      reload: () => reloaded(task, controlOf(id, '.edit')),
    });
    if (!result) {
      if (form.isConnected) form.querySelector('.edit-title').focus();
      return;
    }
    notify(`Saved “${result.answer.data.title}”.`);
    await refresh(controlOf(id, '.edit'));
  }
})();
