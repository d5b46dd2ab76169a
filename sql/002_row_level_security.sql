-- 002: ownership enforced by PostgreSQL too (row-level security).
--
-- The programs connect as a role that owns nothing (sql/grants.sql gives it
-- rows, not tables) and set the subject of each request for that request's
-- transaction only: set_config('taskapi.subject', <sub>, true). The policy
-- lets that role see and write only the subject's tasks, so a statement
-- that forgot its WHERE clause still touches no other user's row. Every
-- statement keeps its explicit subject as well (src/db/db.c).
--
-- Not FORCEd: the owner (who runs migrations) is not bound, and neither is
-- a superuser or a role with BYPASSRLS. The programs must not run as one
-- of those for this to protect anything (README: "Database roles").

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;

-- No setting (or the empty string it reverts to after a transaction that
-- set it) matches no row: user ids are never empty (001_init).
CREATE POLICY tasks_of_the_subject ON tasks
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''))
    WITH CHECK (user_id = NULLIF(current_setting('taskapi.subject', true), ''));

-- Telling 403 from 404 needs to know whether another subject holds the id:
-- the function runs as the owner, which the policy does not bind, and
-- answers only yes or no. A fixed search_path keeps callers from steering
-- it to objects of their own.
ALTER FUNCTION task_held_by_other(uuid, text)
    SECURITY DEFINER SET search_path = public, pg_temp;
