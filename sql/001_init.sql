-- 001_init: users (docs/API.md "Auth routes") and their tasks
-- (docs/API.md "Task object").

-- A user id is text: users registered here get a UUID, an external
-- issuer's users keep the id it gives them, of at most 255 characters
-- (docs/API.md "Subjects").
CREATE TABLE users (
    id            text PRIMARY KEY
                  CHECK (char_length(id) BETWEEN 1 AND 255),
    email         text UNIQUE
                  CHECK (email IS NULL OR char_length(email) <= 254),
    -- libscrypt's MCF string; NULL for an external issuer's user, who
    -- cannot use the password login.
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 255),
    description  text CHECK (char_length(description) <= 10000),
    is_completed boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Serves the list query: one user's rows, newest first, stable paging.
CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC);

-- docs/API.md "Users on first need": an external issuer's subject gets a
-- users row on first need, with
-- the token's email unless another user has it. Safe under concurrency: a
-- race on the email falls back to no email, a race on the id to nothing.
CREATE FUNCTION ensure_user(p_id text, p_email text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users (id, email) VALUES (p_id, p_email) ON CONFLICT DO NOTHING;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM users WHERE id = p_id) THEN
        INSERT INTO users (id, email) VALUES (p_id, NULL)
        ON CONFLICT (id) DO NOTHING;
    END IF;
END
$$;

-- Whether the task belongs to another subject: asked only after a statement
-- scoped to the subject found nothing, to answer 403 rather than 404. The
-- subject is in the WHERE clause here too.
CREATE FUNCTION task_held_by_other(p_id uuid, p_subject text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM tasks WHERE id = p_id AND user_id <> p_subject)
$$;
