-- 007: preconditions and idempotency keys of the task writes, as
-- docs/API.md "ETags and preconditions" and
-- docs/API.md "Idempotency keys" say.
--
-- Every write checks If-Match in its own statement: the program turns the
-- header into p_versions (NULL for none or `*`, else the versions it
-- names, maybe none), and the row is written only when its version is one
-- of them. Two writers with the same ETag: the second UPDATE waits on the
-- row lock, then re-checks its WHERE against the new version (READ
-- COMMITTED), matches nothing and is 412.

-- After a write found no row: whose task the id is, in one query on the
-- miss path only. 'mine' (the subject's own: the precondition failed),
-- 'other' (403) or 'none' (404). As the owner, like task_held_by_other
-- (002_row_level_security.sql), to see another subject's row; it says no
-- more than which of the three.
CREATE FUNCTION task_holder(p_id uuid, p_subject text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT COALESCE((SELECT CASE WHEN user_id = p_subject THEN 'mine'
                                 ELSE 'other' END
                     FROM tasks WHERE id = p_id), 'none')
$$;

-- The task's columns as the programs answer them, in the order of
-- src/db/columns.h's COLUMNS_TASK: what an idempotency key keeps, so a
-- replay is the same bytes as the first answer.
CREATE FUNCTION task_answer_columns(t tasks) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY[t.id::text, t.user_id, t.title, t.description,
                 CASE WHEN t.is_completed THEN 't' ELSE 'f' END,
                 to_char(t.created_at AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 to_char(t.updated_at AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 t.version::text]
$$;

-- DELETE: the changes feed's retention (SYNC_RETENTION_SECONDS) is set
-- for this transaction first, so the tombstone trigger of
-- 006_task_versions.sql prunes by it. Returns the deleted version, or no
-- row when nothing matched.
CREATE FUNCTION task_delete(p_id uuid, p_user text, p_versions bigint[],
                            p_retention_s bigint)
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('taskapi.sync_retention_s', p_retention_s::text, true);
    RETURN QUERY
        DELETE FROM tasks
        WHERE id = p_id AND user_id = p_user
          AND (p_versions IS NULL OR version = ANY (p_versions))
        RETURNING version;
END
$$;

-- The kept answers, per user and key, for 24 hours. answer is the task's
-- columns (task_answer_columns), NULL for a 204.
CREATE TABLE idempotency_keys (
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        text        NOT NULL,
    digest     text        NOT NULL,
    status     integer     NOT NULL,
    answer     text[],
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_of_the_subject ON idempotency_keys
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''))
    WITH CHECK (user_id = NULLIF(current_setting('taskapi.subject', true), ''));

-- Every keyed write removes up to 16 expired keys of any user, so the
-- table holds about a day's keys with no cron job. As the owner: the
-- policy above hides other users' rows from the programs' role. SKIP
-- LOCKED: two writers never wait on each other's pruning. PL/pgSQL, not
-- SQL: a SQL function with SECURITY DEFINER or SET is never inlined and
-- plans its statement on every call (about 110 us, most of what a key
-- cost a create); PL/pgSQL keeps the plan for the connection (about 9 us
-- a call when nothing has expired).
CREATE FUNCTION idempotency_prune() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM idempotency_keys k USING (
        SELECT user_id, key FROM idempotency_keys
        WHERE created_at < now() - interval '24 hours'
        ORDER BY created_at LIMIT 16
        FOR UPDATE SKIP LOCKED) s
    WHERE (k.user_id, k.key) = (s.user_id, s.key);
END
$$;

-- The start of every keyed write, under a lock of (user, key) for the
-- transaction. Returns 'busy' when another request holds that lock (409),
-- 'reused' when the key was kept for another request (422), 'replay' with
-- the kept status and answer, or 'new' (an expired row is removed first). The lock's
-- class 7274722 is apart from 004's (7274721) and migrate's (7274720); a
-- hash collision only makes two keys' requests 409 each other.
CREATE FUNCTION idempotency_begin(p_user text, p_key text, p_digest text,
                                  OUT outcome text, OUT status integer,
                                  OUT answer text[])
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
    kept idempotency_keys;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7274722,
                                     hashtext(p_user || chr(10) || p_key)) THEN
        outcome := 'busy';
        RETURN;
    END IF;
    PERFORM idempotency_prune();
    SELECT * INTO kept FROM idempotency_keys
        WHERE user_id = p_user AND key = p_key;
    IF NOT FOUND THEN
        outcome := 'new';
    ELSIF kept.created_at < now() - interval '24 hours' THEN
        DELETE FROM idempotency_keys WHERE user_id = p_user AND key = p_key;
        outcome := 'new';
    ELSIF kept.digest <> p_digest THEN
        outcome := 'reused';
    ELSE
        outcome := 'replay';
        status := kept.status;
        answer := kept.answer;
    END IF;
END
$$;

-- The keyed writes. Each returns one row: outcome ('done', 'replay',
-- 'busy', 'reused', 'missed' when the write matched no row, 'full' when
-- the quota is reached), the status to answer with, and the task's
-- columns (task_answer_columns) or NULL. Only 'done' keeps anything, in
-- the same transaction as the write; a refusal changes nothing.
--
-- The create is the keyed write sent most, so its steps are written out
-- in one function instead of calling idempotency_begin and task_insert
-- (004_task_quota.sql): the same steps in the same order, without two
-- nested calls, each with its own search_path to set and restore and its
-- rows passed through a tuple store. Its body names every table and
-- function of the schema with public., so it needs no search_path of its
-- own (SECURITY INVOKER: the caller's path can only mislead the caller).
CREATE FUNCTION task_insert_keyed(p_user text, p_title text,
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
    -- task_insert's steps, under its lock.
    PERFORM pg_advisory_xact_lock(7274721, hashtext(p_user));
    IF (SELECT COALESCE(sum(total), 0) FROM public.task_counts
        WHERE user_id = p_user) >= p_max THEN
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

CREATE FUNCTION task_toggle_keyed(p_id uuid, p_user text, p_versions bigint[],
                                  p_key text, p_digest text,
                                  OUT outcome text, OUT status integer,
                                  OUT answer text[])
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
    toggled tasks;
BEGIN
    SELECT b.outcome, b.status, b.answer INTO outcome, status, answer
        FROM idempotency_begin(p_user, p_key, p_digest) b;
    IF outcome <> 'new' THEN
        RETURN;
    END IF;
    UPDATE tasks SET is_completed = NOT is_completed, updated_at = now()
        WHERE id = p_id AND user_id = p_user
          AND (p_versions IS NULL OR version = ANY (p_versions))
        RETURNING * INTO toggled;
    IF NOT FOUND THEN
        outcome := 'missed';
        RETURN;
    END IF;
    outcome := 'done';
    status := 200;
    answer := task_answer_columns(toggled);
    INSERT INTO idempotency_keys (user_id, key, digest, status, answer)
        VALUES (p_user, p_key, p_digest, status, answer);
END
$$;

CREATE FUNCTION task_delete_keyed(p_id uuid, p_user text, p_versions bigint[],
                                  p_retention_s bigint, p_key text,
                                  p_digest text, OUT outcome text,
                                  OUT status integer, OUT answer text[])
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
BEGIN
    SELECT b.outcome, b.status, b.answer INTO outcome, status, answer
        FROM idempotency_begin(p_user, p_key, p_digest) b;
    IF outcome <> 'new' THEN
        RETURN;
    END IF;
    PERFORM FROM task_delete(p_id, p_user, p_versions, p_retention_s);
    IF NOT FOUND THEN
        outcome := 'missed';
        RETURN;
    END IF;
    outcome := 'done';
    status := 204;
    INSERT INTO idempotency_keys (user_id, key, digest, status, answer)
        VALUES (p_user, p_key, p_digest, status, NULL);
END
$$;
