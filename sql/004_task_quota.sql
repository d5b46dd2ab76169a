-- 004: a quota of tasks per user (docs/API.md "Task creation"), checked in
-- the statement that inserts the task, so a create costs no extra round
-- trip and two creates at once cannot both pass the last free place.
--
-- The quota comes from the programs' setting TASKS_PER_USER_MAX, as the
-- statement's parameter p_max: lowering it takes effect on the next create.
-- The count is the one sql/003_task_counts.sql keeps, a few counter rows,
-- whatever the number of tasks.
--
-- Two creates of one user at once: each takes a lock of that user for its
-- transaction first, so the second waits until the first has committed.
-- The function is VOLATILE, so in READ COMMITTED each statement in it takes
-- a new snapshot: the count read after the lock sees the first create's
-- task and its counter update. Creates of one user are serialised by it
-- (each waits for the commit of the one before); other users' are not,
-- and nothing else (reads, updates, deletes) takes the lock.
--
-- A user at or over the quota (a quota lowered below what a user already
-- has, say) gets no row back: the program answers 409 `Task limit reached`.
-- Nothing is removed; reads, updates and deletes work as before, and once
-- deletes bring the count under the quota, creates pass again.
--
-- SECURITY INVOKER (the default): the insert stays bound by the row-level
-- security of 002, and the count is read through task_counts' policy, so
-- only the subject's counts are seen.
CREATE FUNCTION task_insert(p_user text, p_title text, p_description text,
                            p_completed boolean, p_max bigint)
RETURNS SETOF tasks
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
    created tasks;
BEGIN
    -- The two-key form: its key space is apart from the one-key form that
    -- sql/migrate's lock uses. A hash collision only makes two users'
    -- creates wait for each other.
    PERFORM pg_advisory_xact_lock(7274721, hashtext(p_user));
    IF (SELECT COALESCE(sum(total), 0) FROM task_counts
        WHERE user_id = p_user) >= p_max THEN
        RETURN;
    END IF;
    INSERT INTO tasks (user_id, title, description, is_completed)
        VALUES (p_user, p_title, p_description, p_completed)
        RETURNING * INTO created;
    RETURN NEXT created;
END
$$;
