// bench/peer/server.js: the task routes as a typical Node stack serves
// them, for bench/run to measure beside the C programs in the same run:
// Fastify 5, node-postgres (a pool of PEER_POOL connections a worker),
// fast-jwt, node's cluster (PEER_WORKERS workers on one port). It reads
// and writes the same database and tables as the programs, as one role
// that owns them (no row-level security, no subject setting): every
// statement names the token's subject, as a hand-written stack does.
// A create is a plain INSERT (no quota check, no per-user lock); the
// list is the page and a count(*), the two queries at once.
//
// Settings (environment): PEER_PORT, PEER_WORKERS (2), PEER_POOL (10),
// JWT_SECRET (the programs' HS256 secret), and libpq's PGHOST, PGPORT,
// PGUSER, PGDATABASE for the database.
import cluster from "node:cluster";
import Fastify from "fastify";
import pg from "pg";
import { createVerifier } from "fast-jwt";

const port = Number(process.env.PEER_PORT || 18880);
const workers = Number(process.env.PEER_WORKERS || 2);
const poolSize = Number(process.env.PEER_POOL || 10);
const secret = process.env.JWT_SECRET;
if (!secret) {
  console.error("peer: JWT_SECRET is required");
  process.exit(2);
}

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (w, code) => {
    console.error(`peer: worker ${w.process.pid} exited with ${code}`);
    process.exit(1);
  });
  // Stopped (bench/run's cleanup): the workers go too.
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGTERM");
    process.exit(0);
  });
} else {
  // A worker whose primary is gone stops serving.
  process.on("disconnect", () => process.exit(0));
  serve();
}

// The task object, as the API answers it.
const COLUMNS =
  "id, user_id, title, description, is_completed, created_at, updated_at";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function serve() {
  const pool = new pg.Pool({ max: poolSize });
  const verify = createVerifier({ key: secret, algorithms: ["HS256"] });
  const app = Fastify({ logger: false });

  // Every task route needs a valid HS256 token; its subject scopes the rows.
  app.addHook("onRequest", async (req, reply) => {
    const h = req.headers.authorization || "";
    if (!h.startsWith("Bearer ")) {
      return reply.code(401).send({ detail: "Not authenticated" });
    }
    try {
      const claims = verify(h.slice(7));
      req.subject = claims.sub || claims.userId;
    } catch {
      return reply.code(401).send({ detail: "Invalid token" });
    }
    if (typeof req.subject !== "string" || req.subject === "") {
      return reply.code(401).send({ detail: "Invalid token" });
    }
  });

  app.get("/api/tasks", async (req, reply) => {
    const limit = Math.min(Math.max(Number(req.query.limit) || 20, 1), 1000);
    const offset = Math.max(Number(req.query.offset) || 0, 0);
    const [page, count] = await Promise.all([
      pool.query(
        `SELECT ${COLUMNS} FROM tasks WHERE user_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
        [req.subject, limit, offset],
      ),
      pool.query("SELECT count(*) AS n FROM tasks WHERE user_id = $1", [
        req.subject,
      ]),
    ]);
    reply.header("X-Total-Count", count.rows[0].n);
    return page.rows;
  });

  app.post("/api/tasks", async (req, reply) => {
    const b = req.body || {};
    if (typeof b.title !== "string" || b.title.trim() === "" || b.title.length > 255) {
      return reply.code(422).send({ detail: "title is required" });
    }
    const r = await pool.query(
      `INSERT INTO tasks (user_id, title, description, is_completed)
       VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [req.subject, b.title.trim(), b.description ?? null, b.is_completed === true],
    );
    reply.code(201).header("Location", `/api/tasks/${r.rows[0].id}`);
    return r.rows[0];
  });

  app.get("/api/tasks/:id", async (req, reply) => {
    if (!UUID.test(req.params.id)) return notFound(reply);
    const r = await pool.query(
      `SELECT ${COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2`,
      [req.params.id, req.subject],
    );
    return r.rows.length ? r.rows[0] : notFound(reply);
  });

  app.patch("/api/tasks/:id", async (req, reply) => {
    if (!UUID.test(req.params.id)) return notFound(reply);
    const b = req.body || {};
    if (b.title !== undefined && (typeof b.title !== "string" || b.title.trim() === "")) {
      return reply.code(422).send({ detail: "title must be a non-empty string" });
    }
    const r = await pool.query(
      `UPDATE tasks SET title = COALESCE($3, title),
              description = CASE WHEN $4 THEN $5 ELSE description END,
              is_completed = COALESCE($6, is_completed), updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
      [req.params.id, req.subject, b.title?.trim() ?? null, "description" in b,
        b.description ?? null, typeof b.is_completed === "boolean" ? b.is_completed : null],
    );
    return r.rows.length ? r.rows[0] : notFound(reply);
  });

  app.delete("/api/tasks/:id", async (req, reply) => {
    if (!UUID.test(req.params.id)) return notFound(reply);
    const r = await pool.query("DELETE FROM tasks WHERE id = $1 AND user_id = $2", [
      req.params.id,
      req.subject,
    ]);
    return r.rowCount ? reply.code(204).send() : notFound(reply);
  });

  app.listen({ port, host: "127.0.0.1" }).catch((e) => {
    console.error(`peer: ${e.message}`);
    process.exit(1);
  });
}

function notFound(reply) {
  return reply.code(404).send({ detail: "Task not found" });
}
