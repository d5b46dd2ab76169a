// load.mjs: the load of the HA run (tests/e2e/ha/run), through the front
// nginx as any client would: Node's own fetch, no npm package.
//
//   node load.mjs register BASE COUNT TOKENS_FILE
//       registers COUNT users through the API, one token a line
//   node load.mjs run BASE TOKENS_FILE OUT_DIR
//       HA_WRITERS writer loops and HA_READERS reader loops until OUT_DIR/stop
//       exists or SIGTERM; HA_TAG starts every Idempotency-Key (and title)
//   node load.mjs report OUT_DIR SINCE_MS strict|lenient
//       the figures and failures of a run's records (see report())
//   node load.mjs ryw BASE TOKENS_FILE OUT_DIR PAIRS
//       create-then-read pairs: every acknowledged task is read at once
//
// A write is a POST /api/tasks with a fresh Idempotency-Key, as
// docs/API.md "Idempotency keys" has it, sent again with the same key
// after a 502, a 503, a 409 in progress or no answer, until a 2xx or its
// own deadline: so an outage's unknown outcome can never make a second
// task, and every acknowledged task must be in the database afterwards.
// Retry-After is honoured but capped, so a pause is measured to a
// fraction of a second.
import fs from "node:fs";
import path from "node:path";

const REQUEST_TIMEOUT_MS = 40000; // past the front's 35 s, so its 504 shows, not ours
const WRITE_DEADLINE_MS = 90000; // one key is retried this long at most
const RETRY_CAP_MS = 500;
const NO_ANSWER_WAIT_MS = 100;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Date.now();

// One request; never throws: status 0 is no answer (timeout or connection).
async function send(method, url, token, body, headers = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  try {
    const res = await fetch(url, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = null; }
    return { status: res.status, json, text, headers: res.headers };
  } catch (e) {
    const why = e.name === "TimeoutError" ? "timeout" : (e.cause?.code || e.message);
    return { status: 0, json: null, text: why, headers: new Headers() };
  }
}

// The wait before a retry: Retry-After, at most RETRY_CAP_MS.
function retryWait(res) {
  if (res.status === 0) return NO_ANSWER_WAIT_MS;
  const s = Number(res.headers.get("retry-after"));
  return Number.isFinite(s) && s > 0 ? Math.min(s * 1000, RETRY_CAP_MS) : RETRY_CAP_MS;
}

// What an answer says, on one line: its detail, else its text.
function said(res) {
  return (res.json?.detail || res.text).replace(/\s+/g, " ").slice(0, 120);
}

// Every error answer is JSON with a detail (docs/API.md "Errors"), the
// web servers' own included: counted as "<kind>-shape <status>" if not.
function shape(rec, kind, res) {
  if (res.status >= 400 && typeof res.json?.detail !== "string") {
    rec.count(`${kind}-shape`, res.status);
    rec.line("events", [now(), `${kind}-shape`, res.status, said(res)]);
  }
}

// Answers a write is sent again after, with the same key.
function writeRetryable(res) {
  return res.status === 0 || res.status === 502 || res.status === 503 ||
    (res.status === 409 && /in progress/.test(res.json?.detail || ""));
}

async function register(base, count, file) {
  const tokens = [];
  const stamp = `${now()}${Math.floor(Math.random() * 1e6)}`;
  for (let i = 0; i < count; i++) {
    const email = `ha-${stamp}-${i}@example.com`;
    for (;;) {
      const res = await send("POST", `${base}/api/auth/register`, null,
        { email, password: "correct horse battery" });
      if (res.status === 201) { tokens.push(res.json.access_token); break; }
      if (res.status !== 429 && res.status !== 503) {
        throw new Error(`register: ${res.status} ${res.text}`);
      }
      await sleep(Number(res.headers.get("retry-after") || 1) * 1000);
    }
  }
  fs.writeFileSync(file, tokens.join("\n") + "\n", { mode: 0o600 });
}

function readTokens(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
}

// The records of one run, appended as it goes (TSV, one line each).
function recorder(dir) {
  const open = (name) => fs.openSync(path.join(dir, name), "a");
  const fds = { writes: open("writes.tsv"), events: open("events.tsv"), unacked: open("unacked.tsv") };
  const counts = {};
  let slowest = 0;
  return {
    counts,
    took(ms) { slowest = Math.max(slowest, ms); },
    line(kind, fields) { fs.writeSync(fds[kind], fields.join("\t") + "\n"); },
    count(kind, status) { const k = `${kind} ${status}`; counts[k] = (counts[k] || 0) + 1; },
    close() {
      for (const fd of Object.values(fds)) fs.closeSync(fd);
      fs.writeFileSync(path.join(dir, "counts.json"), JSON.stringify({ ...counts, slowest }));
    },
  };
}

// One write, retried with its key until a 2xx or its deadline.
async function writeOnce(base, token, user, key, rec) {
  const first = now();
  let attempts = 0;
  for (;;) {
    const sent = now();
    attempts++;
    const res = await send("POST", `${base}/api/tasks`, token, { title: key },
      { "Idempotency-Key": key });
    rec.took(now() - sent);
    rec.count("write", res.status);
    if (res.status >= 200 && res.status < 300) {
      const replayed = res.headers.get("idempotent-replayed") === "true" ? 1 : 0;
      rec.line("writes", [key, user, res.json?.id, first, sent, now(), attempts, replayed]);
      return res.json?.id;
    }
    rec.line("events", [now(), "write", res.status, said(res)]);
    shape(rec, "write", res);
    if (!writeRetryable(res) || now() - first > WRITE_DEADLINE_MS) {
      rec.line("unacked", [key, user, first, attempts, res.status]);
      return null;
    }
    await sleep(retryWait(res));
  }
}

async function writer(ctx, n) {
  const user = n % ctx.tokens.length;
  for (let i = 0; !ctx.stopping; i++) {
    const key = `${ctx.tag}-w${n}-${i}`;
    const id = await writeOnce(ctx.base, ctx.tokens[user], user, key, ctx.rec);
    if (id) { ctx.acked[user].push(id); ctx.total++; }
  }
}

// Reads of acknowledged tasks, one at a time, and a list every fourth:
// a 404 for an acknowledged task is a miss.
async function reader(ctx, n) {
  const user = n % ctx.tokens.length;
  for (let i = 0; !ctx.stopping; i++) {
    const ids = ctx.acked[user];
    const one = ids.length > 0 && i % 4 !== 0;
    const url = one ? `${ctx.base}/api/tasks/${ids[Math.floor(Math.random() * ids.length)]}`
      : `${ctx.base}/api/tasks?limit=10`;
    const kind = one ? "get" : "list";
    const sent = now();
    const res = await send("GET", url, ctx.tokens[user]);
    ctx.rec.took(now() - sent);
    ctx.rec.count(kind, res.status);
    if (res.status !== 200) {
      ctx.rec.line("events", [now(), kind, res.status, said(res)]);
      shape(ctx.rec, kind, res);
      await sleep(retryWait(res));
    }
  }
}

async function run(base, tokenFile, dir) {
  const tokens = readTokens(tokenFile);
  const ctx = {
    base, tokens, tag: process.env.HA_TAG || "ha", stopping: false, total: 0,
    acked: tokens.map(() => []), rec: recorder(dir),
  };
  const stop = () => { ctx.stopping = true; };
  process.on("SIGTERM", stop);
  const progress = setInterval(() => {
    fs.writeFileSync(path.join(dir, "acked"), `${ctx.total}\n`);
    if (fs.existsSync(path.join(dir, "stop"))) stop();
  }, 100);
  const loops = [];
  for (let i = 0; i < Number(process.env.HA_WRITERS || 4); i++) loops.push(writer(ctx, i));
  for (let i = 0; i < Number(process.env.HA_READERS || 0); i++) loops.push(reader(ctx, i));
  await Promise.all(loops);
  clearInterval(progress);
  fs.writeFileSync(path.join(dir, "acked"), `${ctx.total}\n`);
  ctx.rec.close();
}

function tsv(dir, name) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
}

// Which answers are failures. Writes: anything but a 2xx, 502, 503 or the
// 409 of a key in progress (a 500 always is). Reads: anything but a 200,
// and, lenient, a 503 (the database away in a failover).
function failure(kind, status, strict) {
  const s = Number(status);
  if (kind.endsWith("-shape")) return true;
  if (kind === "write") return !(s >= 200 && s < 300) && s !== 502 && s !== 503 && s !== 409;
  return s !== 200 && (strict || s !== 503);
}

// Prints "name value" lines for the runner: acknowledged writes, answers
// by status, failures (with the first few), the first acknowledged write
// whose successful attempt was sent after the outage began (its ms after
// SINCE_MS), the longest gap between two successive acknowledgements, and
// the slowest answer.
function report(dir, since, strict) {
  const writes = tsv(dir, "writes.tsv");
  const unacked = tsv(dir, "unacked.tsv");
  const { slowest, ...counts } = JSON.parse(fs.readFileSync(path.join(dir, "counts.json"), "utf8"));
  const byKind = {};
  let failures = unacked.length;
  for (const [k, n] of Object.entries(counts)) {
    const [kind, status] = k.split(" ");
    (byKind[kind] ||= []).push(`${status}:${n}`);
    if (failure(kind, status, strict)) failures += n;
  }
  const examples = tsv(dir, "events.tsv").filter(([, kind, st]) => failure(kind, st, strict))
    .slice(0, 3).map((e) => e.join(" "));
  const acks = writes.map((w) => Number(w[5])).sort((a, b) => a - b);
  let pause = 0;
  for (let i = 1; i < acks.length; i++) pause = Math.max(pause, acks[i] - acks[i - 1]);
  // The outage starts at the first failed write at or after SINCE_MS (a
  // write sent just after a kill may still be served by the dying node).
  const failed = tsv(dir, "events.tsv").filter(([ms, kind]) => kind === "write" && Number(ms) >= since);
  const start = failed.length ? Math.min(...failed.map((e) => Number(e[0]))) : since;
  const after = writes.filter((w) => Number(w[4]) >= start).map((w) => Number(w[5]));
  const first = after.length ? Math.min(...after) - since : -1;
  const out = {
    acked: writes.length, replayed: writes.filter((w) => w[7] === "1").length,
    unacked: unacked.length, failures, first_write_after_ms: first, max_pause_ms: pause,
    slowest_ms: slowest,
    write_answers: (byKind.write || []).join(","), get_answers: (byKind.get || []).join(","),
    list_answers: (byKind.list || []).join(","),
    not_json: ["write", "get", "list"].flatMap((k) => (byKind[`${k}-shape`] || []).map((e) => `${k}:${e}`)).join(","),
  };
  for (const [k, v] of Object.entries(out)) console.log(`${k} ${v === "" ? "-" : v}`);
  for (const e of examples) console.log(`failure ${e}`);
}

// Pairs: a create, then at once its task and the first page of the list.
async function ryw(base, tokenFile, dir, pairs) {
  const tokens = readTokens(tokenFile);
  const rec = recorder(dir);
  const tag = process.env.HA_TAG || "ryw";
  let done = 0, misses = 0, failures = 0;
  async function loop(user) {
    for (let i = 0; done < pairs; i++) {
      done++;
      const id = await writeOnce(base, tokens[user], user, `${tag}-u${user}-${i}`, rec);
      if (!id) { failures++; continue; }
      const one = await send("GET", `${base}/api/tasks/${id}`, tokens[user]);
      const list = await send("GET", `${base}/api/tasks?limit=5`, tokens[user]);
      rec.count("get", one.status);
      rec.count("list", list.status);
      if (one.status === 404) misses++;
      else if (one.status !== 200 || one.json?.id !== id) failures++;
      if (list.status !== 200) failures++;
      else if (!list.json.some((t) => t.id === id)) misses++;
    }
  }
  await Promise.all(tokens.map((_, u) => loop(u)));
  rec.close();
  console.log(`pairs ${done}\nmisses ${misses}\nfailures ${failures}`);
}

const [mode, ...args] = process.argv.slice(2);
const modes = {
  register: () => register(args[0], Number(args[1]), args[2]),
  run: () => run(args[0], args[1], args[2]),
  report: () => report(args[0], Number(args[1]), args[2] === "strict"),
  ryw: () => ryw(args[0], args[1], args[2], Number(args[3])),
};
if (!modes[mode]) {
  console.error("usage: load.mjs register|run|report|ryw ... (see its first lines)");
  process.exit(2);
}
await modes[mode]();
