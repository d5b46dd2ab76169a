-- 003: X-Total-Count without counting rows, and lists that read only the
-- page they return.
--
-- A user's counts are kept beside the tasks, by a trigger, in the same
-- transaction as the change, so they are exact whenever the rows are: the
-- list reads a handful of counter rows instead of every task of the user
-- (count(*) was O(n): 1,000,000 tasks took tens of milliseconds a page).
--
-- Each user has up to four counter rows (slots), and a change updates the
-- slot of its database session (backend pid % 4): two workers creating
-- tasks for the same user at once then rarely wait on the same row lock
-- until the other commits. The count is the sum of the slots, so a slot
-- may go negative.
CREATE TABLE task_counts (
    user_id text     NOT NULL,
    slot    smallint NOT NULL,
    total   bigint   NOT NULL,
    done    bigint   NOT NULL,
    PRIMARY KEY (user_id, slot)
);

-- Inserts and deletes: statement-level, over the transition tables, so a
-- bulk insert of a million rows costs one counter update, not a million
-- updates of the same row in one transaction. Updates: row-level, and only
-- for a row whose owner or is_completed changed (the WHEN clause is checked
-- without calling the function), so editing a title costs nothing here.
CREATE FUNCTION task_counts_track() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s smallint := pg_backend_pid() % 4;
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

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_track();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_track();
CREATE TRIGGER tasks_count_update AFTER UPDATE OF user_id, is_completed ON tasks
    FOR EACH ROW
    WHEN (OLD.user_id <> NEW.user_id OR OLD.is_completed <> NEW.is_completed)
    EXECUTE FUNCTION task_counts_track();

-- The counts of the tasks already there (the trigger's lock on tasks keeps
-- writers out until this migration commits, so none is missed).
INSERT INTO task_counts (user_id, slot, total, done)
    SELECT user_id, 0, count(*), count(*) FILTER (WHERE is_completed)
    FROM tasks GROUP BY user_id;

-- The programs' role reads only its subject's counts, like its tasks.
ALTER TABLE task_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_counts_of_the_subject ON task_counts
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''));

-- ?completed= reads the page it returns from this index, not every task of
-- the user to find the completed (or open) ones.
CREATE INDEX tasks_user_done_created_idx
    ON tasks (user_id, is_completed, created_at DESC, id DESC);
