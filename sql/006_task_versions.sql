-- 006: what ETags and the changes feed read
-- (docs/API.md "Conditional requests, retries and paging").
--
-- version: 1 when a task is created, one more at every change, set by the
-- trigger below, so two changes within one microsecond still differ
-- (updated_at, the transaction's start time, may not). A task's ETag is
-- made of it, and If-Match compares it in the write's own statement.
--
-- change_xid: the transaction that made the task's last change (created,
-- edited, toggled). The changes feed reads in its order, and only below
-- the oldest transaction still running when it reads:
-- docs/API.md "Changes feed" says why that misses no change. xid8 is the 64-bit
-- transaction id, which never wraps around.
--
-- Existing tasks get version 1 and this migration's transaction id.
ALTER TABLE tasks
    ADD COLUMN version    bigint NOT NULL DEFAULT 1,
    ADD COLUMN change_xid xid8   NOT NULL DEFAULT pg_current_xact_id();

-- Every UPDATE of a task, whoever sends it (a route, or an admin in psql),
-- moves both: a change the feed or an ETag could miss cannot be written.
-- It calls catalog functions only, so it needs no search_path of its own.
CREATE FUNCTION task_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_touch BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_touch();

-- The feed's order within one user: (change_xid, id).
CREATE INDEX tasks_user_change_idx ON tasks (user_id, change_xid, id);

-- A deleted task, remembered for the feed: who had it, its id, and the
-- transaction that deleted it, in the same order as the tasks' changes.
CREATE TABLE task_tombstones (
    user_id    text        NOT NULL,
    id         uuid        NOT NULL,
    change_xid xid8        NOT NULL DEFAULT pg_current_xact_id(),
    deleted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, change_xid, id)
);
CREATE INDEX task_tombstones_deleted_idx ON task_tombstones (deleted_at);

-- Per user, the newest change_xid of a tombstone pruned so far: a feed
-- token from before it may have missed that deletion, so it is 410
-- (docs/API.md "Changes feed"), however young the token.
CREATE TABLE sync_horizons (
    user_id    text PRIMARY KEY,
    pruned_xid xid8 NOT NULL
);

-- Deleting tasks records their tombstones in the same transaction, and
-- prunes a few tombstones older than the retention, any user's: each
-- delete removes up to 16 old ones for the one it adds, so the table stays
-- about as large as the retention's deletions, with no cron job. The
-- retention is SYNC_RETENTION_SECONDS, which the delete statement sets as
-- taskapi.sync_retention_s for its transaction; another deleter (psql, a
-- deleted account's cascade) prunes by the default, 30 days. A tombstone
-- pruned early only turns the tokens that needed it into 410s (the
-- horizon above), never into a missed deletion.
--
-- SECURITY DEFINER: the programs' role may only read tombstones.
CREATE FUNCTION task_tombstones_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    keep interval := make_interval(secs => COALESCE(NULLIF(
        current_setting('taskapi.sync_retention_s', true), '')::bigint,
        2592000));
BEGIN
    INSERT INTO task_tombstones (user_id, id)
        SELECT user_id, id FROM old_rows;
    WITH stale AS (
        SELECT user_id, change_xid, id FROM task_tombstones
        WHERE deleted_at < now() - keep
        ORDER BY deleted_at LIMIT 16
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM task_tombstones t USING stale s
        WHERE (t.user_id, t.change_xid, t.id) =
              (s.user_id, s.change_xid, s.id)
        RETURNING t.user_id, t.change_xid
    )
    INSERT INTO sync_horizons AS h (user_id, pruned_xid)
        SELECT user_id, max(change_xid) FROM gone GROUP BY user_id
    ON CONFLICT (user_id) DO UPDATE
        SET pruned_xid = greatest(h.pruned_xid, EXCLUDED.pruned_xid);
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_tombstone AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_tombstones_record();

-- The programs' role reads only its subject's tombstones and horizon, as
-- it does its tasks (002_row_level_security.sql).
ALTER TABLE task_tombstones ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_tombstones_of_the_subject ON task_tombstones
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''));
ALTER TABLE sync_horizons ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_horizons_of_the_subject ON sync_horizons
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''));
