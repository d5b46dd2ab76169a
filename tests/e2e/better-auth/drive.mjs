// drive.mjs: the real Better Auth in front of the Task API, for each
// signing algorithm its jwt() plugin offers. For each: a headless Better
// Auth server (email and password, jwt() with the session cookie cache) on
// loopback, on a PostgreSQL database of its own; a user signs up, takes
// its token from /api/auth/token, and drives the task routes with it.
// Run by tests/e2e/better-auth/run, which starts the API (JWKS only) and says
// where everything is through the environment.
import assert from "node:assert/strict";
import http from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";
import pg from "pg";

const API = need("TASKAPI_URL");
const BA_PORT = Number(need("BA_PORT"));
const BA_URL = `http://127.0.0.1:${BA_PORT}`;
const PG = { host: need("BA_PGHOST"), port: 5432, user: "postgres" };
// How long the API waits before it looks for a new kid (its
// JWT_JWKS_RETRY_SECONDS); 0 when it has never fetched the set yet.
const RETRY_S = Number(process.env.BA_RETRY_SECONDS || "0");
const RETRY_MS = RETRY_S > 0 ? RETRY_S * 1000 + 500 : 0;
const ALGS = (process.env.BA_ALGS || "EdDSA ES256 RS256 PS256 ES512").split(/\s+/);
// The algorithm whose round also rotates Better Auth's key, if any.
const ROTATE = process.env.BA_ROTATE || "";

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests/e2e/better-auth/run`);
  return v;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function decode(token) {
  const [h, p] = token.split(".");
  const json = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
  return { header: json(h), payload: json(p) };
}

// One Better Auth app, as its docs set it up, on database `db`.
async function startAuth(alg, db, rotationInterval) {
  const admin = new pg.Client({ ...PG, database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const pool = new pg.Pool({ ...PG, database: db, max: 4 });
  const auth = betterAuth({
    baseURL: BA_URL,
    secret: "better-auth-test-secret-0123456789abcdef",
    database: pool,
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: true, strategy: "jwt" } },
    // jwt() as the README shows it: EdDSA needs no key settings at all.
    plugins: [
      jwt({
        sessionCookieCache: true,
        ...(alg !== "EdDSA" || rotationInterval ? {
          jwks: { keyPairConfig: { alg }, ...(rotationInterval ? { rotationInterval } : {}) },
        } : {}),
      }),
    ],
    logger: { level: "error" },
  });
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  const server = http.createServer(toNodeHandler(auth));
  await new Promise((resolve) => server.listen(BA_PORT, "127.0.0.1", resolve));
  return {
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}

async function ba(path, { method = "GET", body, cookie } = {}) {
  const headers = { Origin: BA_URL };
  if (body) headers["Content-Type"] = "application/json";
  if (cookie) headers.Cookie = cookie;
  const res = await fetch(BA_URL + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${res.status} ${text}`);
  return { json: JSON.parse(text), cookies: res.headers.getSetCookie() };
}

async function api(method, path, token, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = "application/json";
  const res = await fetch(API + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}

// A user signs up in Better Auth and takes a token as a front end does.
async function signUp(tag) {
  const email = `${tag.toLowerCase()}-${Date.now()}@example.com`;
  const up = await ba("/api/auth/sign-up/email", {
    method: "POST",
    body: { email, password: "correct horse battery", name: `User ${tag}` },
  });
  const cookie = up.cookies.map((c) => c.split(";")[0]).join("; ");
  const { json } = await ba("/api/auth/token", { cookie });
  const cached = up.cookies.find((c) => c.startsWith("better-auth.session_data="));
  return { email, user: up.json.user, token: json.token, cookie,
    sessionData: cached && decodeURIComponent(cached.split(";")[0].split("=")[1]) };
}

async function checkTaskRoutes(token, user, email, alg) {
  let r = await api("GET", "/api/auth/me", token);
  assert.equal(r.status, 200, `${alg}: me ${r.status} ${JSON.stringify(r.json)}`);
  assert.equal(r.json.id, user.id);
  assert.equal(r.json.email, email);
  r = await api("POST", "/api/tasks", token, { title: `Signed with ${alg}` });
  assert.equal(r.status, 201, `${alg}: create ${r.status} ${JSON.stringify(r.json)}`);
  assert.equal(r.json.user_id, user.id);
  const id = r.json.id;
  r = await api("GET", "/api/tasks", token);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("x-total-count"), "1");
  assert.equal(r.json[0].id, id);
  r = await api("PATCH", `/api/tasks/${id}/complete`, token);
  assert.equal(r.status, 200);
  assert.equal(r.json.is_completed, true);
  r = await api("DELETE", `/api/tasks/${id}`, token);
  assert.equal(r.status, 204);
}

async function round(alg) {
  const started = Date.now();
  // A short rotationInterval for the default algorithm: Better Auth makes
  // a new key (a new kid) and keeps publishing the old one.
  const rotation = alg === ROTATE ? 2 : undefined;
  const auth = await startAuth(alg, `ba_${alg.toLowerCase()}`, rotation);
  try {
    // The API may look for a new kid once its retry period has passed.
    if (RETRY_MS > 0) await sleep(RETRY_MS);
    const s = await signUp(alg);
    const { header, payload } = decode(s.token);
    assert.equal(header.alg, alg);
    assert.ok(header.kid, "a kid");
    assert.equal(header.typ, undefined, "Better Auth sets no typ");
    assert.equal(payload.sub, s.user.id);
    assert.equal(payload.iss, BA_URL);
    assert.equal(payload.aud, BA_URL);
    await checkTaskRoutes(s.token, s.user, s.email, alg);

    // The session-cache cookie is signed with the same key, for another
    // audience: it must not pass as a bearer token.
    assert.ok(s.sessionData, "the jwt session cookie cache is on");
    const cached = decode(s.sessionData);
    assert.equal(cached.header.kid, header.kid);
    assert.equal(cached.payload.aud, "better-auth:session-cache");
    let r = await api("GET", "/api/auth/me", s.sessionData);
    assert.equal(r.status, 401, `${alg}: session cookie as a token: ${r.status}`);
    assert.equal(r.json.detail, "Invalid authentication token");

    // Without JWT_SECRET, accounts are Better Auth's only.
    r = await api("POST", "/api/auth/login", null, { email: s.email, password: "correct horse battery" });
    assert.equal(r.status, 404);

    if (rotation) {
      // Past the rotation interval, the next token has a new kid; the old
      // key is still published, so both tokens work.
      await sleep(Math.max(rotation * 1000 + 200, RETRY_MS));
      assert.ok(RETRY_MS > 0, "a rotation round needs BA_RETRY_SECONDS");
      const { json } = await ba("/api/auth/token", { cookie: s.cookie });
      const next = decode(json.token).header;
      assert.notEqual(next.kid, header.kid, "Better Auth rotated its key");
      await checkTaskRoutes(json.token, s.user, s.email, `${alg} after rotation`);
      r = await api("GET", "/api/auth/me", s.token);
      assert.equal(r.status, 200, "the token of the old key, in its grace period");
    }
    console.log(`better-auth: ${alg}: sign-up, token (kid ${header.kid.slice(0, 8)}…), ` +
      `me, create, list, complete, delete: ok; session cookie refused` +
      `${rotation ? "; rotated key ok" : ""} (${Date.now() - started} ms)`);
  } finally {
    await auth.stop();
  }
}

for (const alg of ALGS) await round(alg);
console.log(`better-auth: ${ALGS.join(", ")}: passed`);
