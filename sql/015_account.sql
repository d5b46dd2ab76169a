-- 015: the account's own writes (docs/API.md "Password change",
-- "Account deletion").
--
-- The programs' role may not update or delete a user (sql/grants.sql):
-- these two functions run as the owner, and act only on the subject the
-- request's transaction entered (sql/005_subject_issuers.sql
-- subject_enter, sent before every statement of a protected route, which
-- also checks the token's session), so a statement can change no other
-- user's account. PL/pgSQL: the sessions of sql/012_sessions.sql are read
-- when a function runs, not when it is made.

-- Fails unless p_user is the subject the transaction entered.
CREATE FUNCTION account_is_subject(p_user text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_user IS NULL OR p_user IS DISTINCT FROM
       NULLIF(current_setting('taskapi.subject', true), '') THEN
        RAISE EXCEPTION 'an account is changed only by its own subject'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- docs/API.md "Password change": the hash becomes p_new, and every other
-- session of the user ends (sql/012_sessions.sql session_end), in one
-- transaction. Only while the stored hash is still p_old, the one the
-- program checked the current password against: of two changes at once
-- with the same current password, one wins, and the other finds a hash
-- it never checked and returns false (403 `Incorrect password`).
CREATE FUNCTION account_password_change(p_user text, p_sid uuid,
                                        p_old text, p_new text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM account_is_subject(p_user);
    UPDATE users SET password_hash = p_new
        WHERE id = p_user AND password_hash = p_old;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM session_end(p_user, p_sid, 'others');
    RETURN true;
END
$$;

-- docs/API.md "Account deletion": every row of the user, in one
-- transaction. p_hash is the password hash the program checked the
-- password against (NULL for an account without one): if it changed
-- meanwhile, nothing is deleted and the answer is false (403).
--
-- The user's row is locked first: a task, a session or a kept answer of
-- the user is made under a key-share lock of that row (its foreign key),
-- so none can be added until this commits, and none is left behind. Then:
-- the tasks (their triggers count them down and leave tombstones), the
-- tombstones and counters those left, the feed's horizon, the subject's
-- issuer record, and the row itself, whose foreign keys take the rest
-- with it (ON DELETE CASCADE: idempotency keys, sessions and their
-- refresh tokens, and any later table keyed by the user). A subject whose
-- row was never made (an external issuer's user before its first need)
-- still loses the rest.
CREATE FUNCTION account_delete(p_user text, p_hash text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    held text;
BEGIN
    PERFORM account_is_subject(p_user);
    SELECT password_hash INTO held FROM users WHERE id = p_user FOR UPDATE;
    IF held IS DISTINCT FROM p_hash THEN
        RETURN false;
    END IF;
    DELETE FROM tasks WHERE user_id = p_user;
    DELETE FROM task_tombstones WHERE user_id = p_user;
    DELETE FROM task_counts WHERE user_id = p_user;
    DELETE FROM sync_horizons WHERE user_id = p_user;
    DELETE FROM idempotency_keys WHERE user_id = p_user;
    DELETE FROM subject_issuers WHERE subject = p_user;
    DELETE FROM users WHERE id = p_user;
    RETURN true;
END
$$;

-- Only the programs' role runs these (sql/grants.sql), not everyone.
REVOKE ALL ON FUNCTION account_password_change(text, uuid, text, text),
    account_delete(text, text) FROM PUBLIC;
