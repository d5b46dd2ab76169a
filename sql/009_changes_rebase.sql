-- 009: the changes feed after a dump is restored into another cluster
-- (docs/API.md "Why the feed misses nothing").
--
-- The restored rows keep the old cluster's transaction ids, and the new
-- cluster counts from its own, usually far below them: the feed would hold
-- the restored tasks back until its counter passed them, and file the new
-- changes before them. sql/migrate calls this after every run: it moves
-- every change_xid ahead of this transaction's own to this transaction,
-- so the restored rows come in the feed at once and later changes after
-- them. In one cluster only a change of a transaction that began after
-- this one can be ahead; moving it is harmless, since no feed passes this
-- transaction while it runs (its line stays below it). The old cluster's tokens are already 410 by the
-- cluster's identity they carry; its horizons meant positions of that
-- cluster, so they go too.
--
-- An UPDATE of tasks goes through tasks_touch, which sets change_xid to
-- this transaction itself and moves version (the ETag) as after an edit.
-- Returns how many tasks and tombstones it moved; 0 on every later run.
CREATE FUNCTION task_changes_rebase() RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    now_xid xid8 := pg_current_xact_id();
    moved bigint;
    gone bigint;
BEGIN
    UPDATE tasks SET change_xid = now_xid WHERE change_xid > now_xid;
    GET DIAGNOSTICS moved = ROW_COUNT;
    UPDATE task_tombstones SET change_xid = now_xid
        WHERE change_xid > now_xid;
    GET DIAGNOSTICS gone = ROW_COUNT;
    DELETE FROM sync_horizons WHERE pruned_xid > now_xid;
    RETURN moved + gone;
END
$$;
