-- 009: the changes feed after a dump is restored into another cluster
-- (docs/API.md "Why the feed misses nothing").
--
-- The restored rows keep the old cluster's transaction ids, and the new
-- cluster counts from its own, usually far below them: the feed would hold
-- the restored tasks back until its counter passed them, and file the new
-- changes before them. sql/migrate calls this after every run: it moves
-- every change that lies ahead of the cluster's counter to this
-- transaction, so the restored rows come in the feed at once and later
-- changes after them. The old cluster's tokens are already 410 by the
-- cluster's identity they carry; its horizons meant positions of that
-- cluster, so they go too.
--
-- "Ahead" is at or past the xmax of the statement's own snapshot: every
-- transaction of this cluster that the statement sees is below it, so a
-- row it sees there can only come from elsewhere, and a change committed
-- meanwhile by this cluster is never touched.
--
-- An UPDATE of tasks goes through tasks_touch, which sets change_xid to
-- this transaction itself and moves version (the ETag) as after an edit.
-- Returns how many tasks and tombstones it moved; 0 on every later run.
CREATE FUNCTION task_changes_rebase() RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    moved bigint;
    gone bigint;
BEGIN
    UPDATE tasks SET change_xid = pg_current_xact_id()
        WHERE change_xid >= pg_snapshot_xmax(pg_current_snapshot());
    GET DIAGNOSTICS moved = ROW_COUNT;
    UPDATE task_tombstones SET change_xid = pg_current_xact_id()
        WHERE change_xid >= pg_snapshot_xmax(pg_current_snapshot());
    GET DIAGNOSTICS gone = ROW_COUNT;
    DELETE FROM sync_horizons
        WHERE pruned_xid >= pg_snapshot_xmax(pg_current_snapshot());
    RETURN moved + gone;
END
$$;
