-- What the programs' role may do, applied by sql/migrate after every run
-- (so it is idempotent, and covers objects a later migration adds).
-- The role reads and writes rows; it owns nothing and can create nothing,
-- and the policy of 002_row_level_security binds it.
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Register inserts a user, login reads one; the role updates or deletes
-- none: a password change and an account's deletion run as the owner, on
-- the request's own subject only (015_account.sql).
GRANT SELECT, INSERT ON users TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO :"app_role";
-- Counts are kept by a trigger that runs as the owner; the role reads them.
GRANT SELECT ON task_counts TO :"app_role";
-- The changes feed reads tombstones and the pruning horizon; a trigger that
-- runs as the owner writes them (006_task_versions.sql).
GRANT SELECT ON task_tombstones, sync_horizons TO :"app_role";
-- Idempotency keys: the keyed writes read, add and replace the subject's
-- own (007_idempotency.sql); pruning other users' runs as the owner.
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO :"app_role";
-- Sessions (012_sessions.sql): the role reads its subject's (the session
-- list); starting, refreshing and ending them runs as the owner, in these
-- functions, and refresh tokens are the owner's alone.
GRANT SELECT ON sessions TO :"app_role";
GRANT EXECUTE ON FUNCTION session_start(text, bytea, text, integer, integer),
    session_refresh(bytea, bytea, integer, integer),
    session_end(text, uuid, text) TO :"app_role";
-- The account's own writes (015_account.sql), on its subject only.
GRANT EXECUTE ON FUNCTION account_password_change(text, uuid, text, text),
    account_delete(text, text) TO :"app_role";
-- Password reset (014_password_resets.sql): the tokens' table only through
-- its functions, which run as the owner.
GRANT EXECUTE ON FUNCTION password_reset_request(text, bytea),
    password_reset_email(bytea), password_reset_confirm(bytea, text)
    TO :"app_role";
