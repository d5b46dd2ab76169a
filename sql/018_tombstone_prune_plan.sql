-- 018: a delete's tombstone trigger no longer plans its pruning query on
-- every call.
--
-- task_tombstones_record (006) pruned by `deleted_at < now() - keep`, keep
-- being a PL/pgSQL variable. A query with a variable is a query with a
-- parameter, and PostgreSQL's plan cache plans such a query anew for its
-- value on each call as long as that "custom" plan looks cheaper than the
-- generic one: for a range on deleted_at it always does (the generic plan
-- assumes a third of the table matches). So every DELETE planned the
-- pruning CTE again: measured with perf on one backend, planning was a
-- quarter of PostgreSQL's time a delete (README "Benchmarks", where a
-- delete's time went), about 150 of 540 us.
--
-- Now the retention is read in the query itself (current_setting is
-- stable, so the index on deleted_at still serves the range and the
-- order), the query has no parameter, and its one plan is kept for the
-- connection. What it prunes is unchanged: at most 16 tombstones older
-- than taskapi.sync_retention_s (SYNC_RETENTION_SECONDS, set by the delete
-- statement), else 30 days.
CREATE OR REPLACE FUNCTION task_tombstones_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO task_tombstones (user_id, id)
        SELECT user_id, id FROM old_rows;
    WITH stale AS (
        SELECT user_id, change_xid, id FROM task_tombstones
        WHERE deleted_at < now() - make_interval(secs => COALESCE(NULLIF(
            current_setting('taskapi.sync_retention_s', true), '')::bigint,
            2592000))
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
