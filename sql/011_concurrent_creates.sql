-- 011: creates of one user commit side by side, not one after another.
--
-- task_insert (004) and task_insert_keyed (007) took the user's quota lock
-- exclusively for the whole transaction, so each create of a user waited
-- for the one before to commit, its WAL flush included: with every commit
-- durable, one user's creates ran at one flush at a time (about 2,000 a
-- second here, README "Benchmarks"), and PostgreSQL's group commit had
-- nothing to group.
--
-- Now a create takes the lock shared, and reads the count under it. While
-- the count is more than max_connections under the quota it inserts at
-- once: creates in flight together hold the lock shared side by side, and
-- there are at most max_connections of them (one a backend), so even if
-- every one of them passes, the quota holds. Only within max_connections
-- of the quota does a create give the shared lock back (the block's
-- subtransaction ends in an exception, which releases what it took) and
-- take the lock exclusively, as before: it waits until every create in
-- flight has committed, and counts them all. So the quota is as exact as
-- it was (docs/API.md "Task creation"), and two creates at once still
-- cannot both pass the last free place.
--
-- Why the bound holds: take the create L that read the count last among
-- those that passed the shared way. Every create committed before L read
-- is in its count; every other one that commits was in flight when L read
-- (its own read came earlier), holding the lock shared: at most
-- max_connections - 1 of them, one a backend. An exclusive holder never
-- overlaps a shared one.
CREATE FUNCTION task_quota_admits(p_user text, p_max bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    BEGIN
        PERFORM pg_advisory_xact_lock_shared(7274721, hashtext(p_user));
        IF (SELECT COALESCE(sum(total), 0) FROM public.task_counts
            WHERE user_id = p_user)
           + current_setting('max_connections')::bigint < p_max THEN
            RETURN true;
        END IF;
        -- Near the quota: the shared lock is given back with the block.
        RAISE SQLSTATE 'TAQ01';
    EXCEPTION WHEN SQLSTATE 'TAQ01' THEN
        NULL;
    END;
    PERFORM pg_advisory_xact_lock(7274721, hashtext(p_user));
    RETURN (SELECT COALESCE(sum(total), 0) FROM public.task_counts
            WHERE user_id = p_user) < p_max;
END
$$;

CREATE OR REPLACE FUNCTION task_insert(p_user text, p_title text,
                                       p_description text,
                                       p_completed boolean, p_max bigint)
RETURNS SETOF tasks
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
    created tasks;
BEGIN
    IF NOT task_quota_admits(p_user, p_max) THEN
        RETURN;
    END IF;
    INSERT INTO tasks (user_id, title, description, is_completed)
        VALUES (p_user, p_title, p_description, p_completed)
        RETURNING * INTO created;
    RETURN NEXT created;
END
$$;

-- The keyed create (007) takes the same lock the same way.
CREATE OR REPLACE FUNCTION task_insert_keyed(p_user text, p_title text,
                                  p_description text, p_completed boolean,
                                  p_max bigint, p_key text, p_digest text,
                                  OUT outcome text, OUT status integer,
                                  OUT answer text[])
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    kept public.idempotency_keys;
    created public.tasks;
BEGIN
    -- idempotency_begin's steps.
    IF NOT pg_try_advisory_xact_lock(7274722,
                                     hashtext(p_user || chr(10) || p_key)) THEN
        outcome := 'busy';
        RETURN;
    END IF;
    PERFORM public.idempotency_prune();
    SELECT * INTO kept FROM public.idempotency_keys
        WHERE user_id = p_user AND key = p_key;
    IF FOUND AND kept.created_at >= now() - interval '24 hours' THEN
        IF kept.digest <> p_digest THEN
            outcome := 'reused';
        ELSE
            outcome := 'replay';
            status := kept.status;
            answer := kept.answer;
        END IF;
        RETURN;
    ELSIF FOUND THEN
        DELETE FROM public.idempotency_keys
            WHERE user_id = p_user AND key = p_key;
    END IF;
    -- task_insert's steps, under its lock (shared, far from the quota).
    IF NOT public.task_quota_admits(p_user, p_max) THEN
        outcome := 'full';
        RETURN;
    END IF;
    INSERT INTO public.tasks (user_id, title, description, is_completed)
        VALUES (p_user, p_title, p_description, p_completed)
        RETURNING * INTO created;
    outcome := 'done';
    status := 201;
    answer := public.task_answer_columns(created);
    INSERT INTO public.idempotency_keys (user_id, key, digest, status, answer)
        VALUES (p_user, p_key, p_digest, status, answer);
END
$$;

-- The counters (003) had four slots a user, picked by backend pid % 4: a
-- create updates its slot's row in its trigger and holds that row's lock
-- until it commits, so creates of one user could still commit only four
-- at a time, each group behind its flush. Sixteen slots let sixteen
-- commit together; a list still reads at most sixteen small rows by their
-- key (README "Benchmarks" measures both). The rows already there stay.
CREATE OR REPLACE FUNCTION task_counts_track() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s smallint := pg_backend_pid() % 16;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts AS c
            SELECT user_id, s, count(*), count(*) FILTER (WHERE is_completed)
            FROM new_rows GROUP BY user_id
        ON CONFLICT (user_id, slot) DO UPDATE
            SET total = c.total + EXCLUDED.total, done = c.done + EXCLUDED.done;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts AS c
            SELECT user_id, s, -count(*), -count(*) FILTER (WHERE is_completed)
            FROM old_rows GROUP BY user_id
        ON CONFLICT (user_id, slot) DO UPDATE
            SET total = c.total + EXCLUDED.total, done = c.done + EXCLUDED.done;
    ELSE
        -- An UPDATE that moved a task or changed is_completed (the trigger's
        -- WHEN clause lets no other through, so a new title costs nothing).
        IF OLD.user_id <> NEW.user_id THEN
            INSERT INTO task_counts AS c VALUES
                (OLD.user_id, s, -1, -(OLD.is_completed::int)),
                (NEW.user_id, s, 1, NEW.is_completed::int)
            ON CONFLICT (user_id, slot) DO UPDATE
                SET total = c.total + EXCLUDED.total, done = c.done + EXCLUDED.done;
        ELSE
            INSERT INTO task_counts AS c VALUES
                (NEW.user_id, s, 0, NEW.is_completed::int - OLD.is_completed::int)
            ON CONFLICT (user_id, slot) DO UPDATE SET done = c.done + EXCLUDED.done;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
