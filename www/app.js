/*
 * app.js: the behaviour of the page to try the Task API (index.html).
 * It calls the API on its own origin with fetch, keeps the token in this
 * page's memory only (never in storage or a cookie), builds every element
 * with textContent (nothing from the API is ever parsed as HTML), and shows
 * every error as the API sent it: the status, the JSON `detail`, and
 * Retry-After when there is one.
 */
'use strict';

(function () {
  /* Tasks a page; the API allows up to 1000, a person reads about this many. */
  const PAGE_SIZE = 10;
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
  /* Reason phrases for when the response does not carry one (HTTP/2). */
  const REASONS = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large',
    415: 'Unsupported Media Type', 422: 'Unprocessable Content',
    429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
    503: 'Service Unavailable', 504: 'Gateway Timeout',
  };

  const state = {
    token: null,      /* the access token: this variable is its only copy */
    email: null,
    expiry: null,     /* the timer that ends the session when the token expires */
    filter: 'all',
    offset: 0,
    total: null,      /* X-Total-Count of the last list, null if absent */
    tasks: [],
    loads: 0,         /* numbers list requests, so a stale answer is dropped */
  };

  const el = {};

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  document.addEventListener('DOMContentLoaded', start);

  function start() {
    for (const id of ['who', 'who-email', 'logout', 'error', 'notice', 'auth',
      'auth-form', 'email', 'password', 'app', 'add-form', 'new-title',
      'new-description', 'tasks-title', 'count', 'tasks', 'empty', 'prev',
      'next', 'page']) {
      el[id] = document.getElementById(id);
    }
    el.pager = document.querySelector('.pager');
    el['auth-form'].addEventListener('submit', onAuth);
    el.logout.addEventListener('click', () => endSession('Logged out.'));
    el['add-form'].addEventListener('submit', onAdd);
    for (const radio of document.querySelectorAll('input[name="filter"]')) {
      radio.addEventListener('change', onFilter);
    }
    el.prev.addEventListener('click', () => turnPage(-1));
    el.next.addEventListener('click', () => turnPage(1));
    el.tasks.addEventListener('change', onTaskChange);
    el.tasks.addEventListener('click', onTaskClick);
    el.tasks.addEventListener('keydown', onTaskKey);
    showSession();
    el.email.focus();
  }

  /* ---- talking to the API ---- */

  /*
   * One request. Resolves to { status, headers, data } for a 2xx answer;
   * throws an ApiError whose message is what the person should read.
   */
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (state.token !== null) headers.Authorization = 'Bearer ' + state.token;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res, text;
    try {
      res = await fetch(path, init);
      text = await res.text();
    } catch (e) {
      throw new ApiError(`Could not reach the API (${method} ${path}): ` +
        'the request failed before an answer came. Is the server running?', 0);
    }
    let data = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = undefined;
      }
    }
    if (!res.ok) throw new ApiError(describe(res, data, text), res.status);
    if (data === undefined) {
      throw new ApiError(`${statusLine(res)}: the answer to ${method} ${path} ` +
        'is not JSON.', res.status);
    }
    return { status: res.status, headers: res.headers, data };
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
      msg += /[.!?]$/.test(msg) ? ' ' : '. ';
      msg += /^\d+$/.test(retry)
        ? `Try again in ${retry} ${retry === '1' ? 'second' : 'seconds'} (Retry-After: ${retry}).`
        : `Try again after ${retry} (Retry-After).`;
    }
    return msg;
  }

  /*
   * Runs an action with the controls of `scope` disabled, and shows what
   * went wrong. A 401 while signed in means the token is no longer good
   * (expired, or the server's secret changed): the session ends.
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
      } else if (e.status === 401 && state.token !== null) {
        endSession(null);
        showError(e.message + ' Log in again.');
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
    state.token = auth.access_token;
    state.email = auth.user.email;
    state.filter = 'all';
    state.offset = 0;
    el.password.value = '';
    for (const radio of document.querySelectorAll('input[name="filter"]')) {
      radio.checked = radio.value === 'all';
    }
    armExpiry(Number(auth.expires_in) * 1000);
    showSession();
  }

  /* Ends the session when the token expires, so the page never sends a dead one. */
  function armExpiry(ms) {
    clearTimeout(state.expiry);
    if (!Number.isFinite(ms) || ms <= 0) return;
    state.expiry = setTimeout(() => {
      if (ms > MAX_TIMER_MS) {
        armExpiry(ms - MAX_TIMER_MS);
        return;
      }
      endSession(null);
      showError('The token has expired. Log in again.');
    }, Math.min(ms, MAX_TIMER_MS));
  }

  /* Forgets the token: tokens cannot be revoked, so this is all logging out is. */
  function endSession(message) {
    clearTimeout(state.expiry);
    state.token = null;
    state.email = null;
    state.tasks = [];
    state.total = null;
    state.loads++;
    el.tasks.replaceChildren();
    el.tasks.removeAttribute('aria-busy');
    clearError();
    showSession();
    if (message) notify(message);
    el.email.focus();
  }

  function showSession() {
    const signedIn = state.token !== null;
    el.auth.hidden = signedIn;
    el.app.hidden = !signedIn;
    el.who.hidden = !signedIn;
    el['who-email'].textContent = signedIn ? state.email : '';
  }

  /* ---- the list ---- */

  function listPath() {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
    if (FILTERS[state.filter]) q.set('completed', FILTERS[state.filter]);
    return '/api/tasks?' + q.toString();
  }

  /* X-Total-Count as a number, or null when it is missing or not a count. */
  function totalOf(headers) {
    const v = headers.get('X-Total-Count');
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  }

  /* Loads the current page and shows it; throws an ApiError. */
  async function load() {
    const mine = ++state.loads;
    el.tasks.setAttribute('aria-busy', 'true');
    try {
      await loadPage(mine);
    } catch (e) {
      /* No list is better than the last one shown under another filter. */
      if (mine === state.loads) showUnloaded();
      throw e;
    } finally {
      if (mine === state.loads) el.tasks.removeAttribute('aria-busy');
    }
  }

  async function loadPage(mine) {
    let r = await api('GET', listPath());
    let total = totalOf(r.headers);
    /* The page emptied under us (a delete, a filter): go to the last one. */
    if (total !== null && state.offset > 0 && state.offset >= total) {
      state.offset = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1) * PAGE_SIZE;
      r = await api('GET', listPath());
      total = totalOf(r.headers);
    }
    if (!Array.isArray(r.data)) {
      throw new ApiError(`${r.status}: the task list is not a JSON array.`, r.status);
    }
    if (mine !== state.loads) return;
    state.tasks = r.data;
    state.total = total;
    render();
  }

  /*
   * Loads the list, then puts the focus on `focus`: an element, or a
   * function that finds one in the new list (null: the list's heading).
   */
  async function refresh(focus) {
    const ok = await act(null, load);
    if (!ok || state.token === null) return;
    let target = typeof focus === 'function' ? focus() : focus;
    if (!target || !target.isConnected) target = el['tasks-title'];
    target.focus();
  }

  function render() {
    el.tasks.replaceChildren(...state.tasks.map(taskItem));
    const n = state.tasks.length;
    const first = state.offset + 1;
    const last = state.offset + n;
    el.empty.hidden = n > 0;
    el.empty.textContent = n > 0 ? '' : EMPTY[state.filter];
    if (state.total === null) {
      el.count.textContent = n > 0
        ? `Showing ${first}–${last} (the API sent no X-Total-Count).` : '';
    } else if (state.total === 0) {
      el.count.textContent = `0 ${NOUN[state.filter]}`;
    } else {
      el.count.textContent = `Showing ${first}–${last} of ${state.total} ${NOUN[state.filter]}`;
    }
    const hasPrev = state.offset > 0;
    const hasNext = state.total === null ? n === PAGE_SIZE : last < state.total;
    el.prev.disabled = !hasPrev;
    el.next.disabled = !hasNext;
    el.pager.hidden = !hasPrev && !hasNext;
    const pages = state.total === null ? null : Math.max(1, Math.ceil(state.total / PAGE_SIZE));
    const page = Math.floor(state.offset / PAGE_SIZE) + 1;
    el.page.textContent = pages === null ? `Page ${page}` : `Page ${page} of ${pages}`;
  }

  function showUnloaded() {
    state.tasks = [];
    state.total = null;
    el.tasks.replaceChildren();
    el.empty.hidden = true;
    el.pager.hidden = true;
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

  async function onAdd(event) {
    event.preventDefault();
    const title = el['new-title'].value;
    const description = el['new-description'].value;
    const body = { title };
    if (description !== '') body.description = description;
    let created = null;
    const ok = await act(el['add-form'], async () => {
      created = (await api('POST', '/api/tasks', body)).data;
    });
    if (!ok) return;
    el['new-title'].value = '';
    el['new-description'].value = '';
    state.offset = 0;
    notify(state.filter === 'completed'
      ? `Added “${created.title}” (open tasks are not shown under Completed).`
      : `Added “${created.title}”.`);
    await refresh(el['new-title']);
  }

  function onFilter(event) {
    state.filter = event.target.value;
    state.offset = 0;
    refresh(event.target);
  }

  function turnPage(step) {
    state.offset = Math.max(0, state.offset + step * PAGE_SIZE);
    const button = step < 0 ? el.prev : el.next;
    refresh(() => (button.disabled ? el['tasks-title'] : button));
  }

  async function onTaskChange(event) {
    if (!event.target.classList.contains('done')) return;
    const found = taskOf(event.target);
    if (!found) return;
    const { li, task } = found;
    let changed = null;
    const ok = await act(li, async () => {
      changed = (await api('PATCH', taskPath(task, '/complete'))).data;
    });
    if (!ok) {
      event.target.checked = task.is_completed === true;
      return;
    }
    notify(changed.is_completed ? `Completed “${changed.title}”.` : `Reopened “${changed.title}”.`);
    await refresh(controlOf(String(task.id), '.done'));
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
    /* Afterwards the focus goes to the task that takes this one's place. */
    const next = li.nextElementSibling || li.previousElementSibling;
    const nextId = next ? next.dataset.id : null;
    const ok = await act(li, () => api('DELETE', taskPath(task)));
    if (!ok) return;
    notify(`Deleted “${task.title}”.`);
    await refresh(nextId ? controlOf(nextId, '.done') : el['new-title']);
  }

  function openEditor(button) {
    const found = taskOf(button);
    if (!found) return;
    const { li, task } = found;
    if (li.querySelector('.edit-form')) return;
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
    li.querySelector('.view').hidden = true;
    li.classList.add('editing');
    li.append(form);
    title.focus();
    title.select();
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
    let saved = null;
    const ok = await act(form, async () => {
      saved = (await api('PATCH', taskPath(task), body)).data;
    });
    if (!ok) {
      form.querySelector('.edit-title').focus();
      return;
    }
    notify(`Saved “${saved.title}”.`);
    await refresh(controlOf(String(task.id), '.edit'));
  }
})();
