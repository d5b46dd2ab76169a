-- 010: every key of a user's rows starts with the user, as sharding by user
-- (Citus, docs/scaling.md) will need, made now where it costs nothing.
--
-- tasks was the one table whose primary key left the user out: (id). A
-- distributed table's unique keys must hold its distribution column, so
-- the key becomes (user_id, id). Every statement that names a task names
-- its subject too (src/db/db.c) and reads the new key as it read the old.
-- The two lookups by id alone (task_held_by_other and task_holder, which
-- tell 403 from 404 after a scoped statement missed) read a plain index
-- on id. Plain, not unique: a distributed table cannot enforce it, and an
-- id is gen_random_uuid()'s, 122 random bits, that no client chooses
-- (docs/API.md "Task object"). Nothing points at tasks' key.
--
-- Measured before and after, side by side (README "Benchmarks", the
-- table of user-first keys): within the noise of every workload.
--
-- Rebuilding the key holds tasks' lock for as long as the build takes
-- (0.8 s for 200,000 tasks here): docs/scaling.md "Step 1" builds
-- both indexes CONCURRENTLY first on a large table, and this migration
-- then takes them as they are.
-- (ADD CONSTRAINT ... USING INDEX says, as a notice, that it renames the
-- index: nothing to tell whoever runs the migrations.)
SET LOCAL client_min_messages = warning;
DO $$
BEGIN
    -- A build CONCURRENTLY that failed leaves an invalid index: built again.
    IF EXISTS (SELECT 1 FROM pg_index
               WHERE indexrelid = to_regclass('tasks_user_id_key')
                 AND NOT indisvalid) THEN
        DROP INDEX tasks_user_id_key;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_index
               WHERE indexrelid = to_regclass('tasks_id_idx')
                 AND NOT indisvalid) THEN
        DROP INDEX tasks_id_idx;
    END IF;
    IF to_regclass('tasks_user_id_key') IS NULL THEN
        CREATE UNIQUE INDEX tasks_user_id_key ON tasks (user_id, id);
    END IF;
    IF to_regclass('tasks_id_idx') IS NULL THEN
        CREATE INDEX tasks_id_idx ON tasks (id);
    END IF;
END
$$;
ALTER TABLE tasks DROP CONSTRAINT tasks_pkey;
ALTER TABLE tasks ADD CONSTRAINT tasks_pkey
    PRIMARY KEY USING INDEX tasks_user_id_key;

-- Whose task the id is (sql/007_idempotency.sql), now that the id's index
-- is not unique: an aggregate, where the scalar subquery before it would
-- fail on a second row rather than answer.
CREATE OR REPLACE FUNCTION task_holder(p_id uuid, p_subject text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN bool_or(user_id = p_subject) THEN 'mine'
                WHEN count(*) > 0 THEN 'other'
                ELSE 'none' END
    FROM tasks WHERE id = p_id
$$;
