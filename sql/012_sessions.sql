-- 012: sessions (docs/API.md "Sessions"). A token issued here names its
-- session (the `sid` claim), and every authenticated statement checks that
-- the session is still live, in the same implicit transaction, before it
-- runs: ending a session refuses its tokens on the very next request, in
-- every worker, and a write of an ended session changes nothing.
--
-- Applies after 011 and reads nothing of it.

-- A session: made by register or login, ended by logout, a password
-- change or reset, a refresh token's reuse (ended_at), or by time. Live
-- means ended_at IS NULL AND now() < idle_expires_at AND now() <
-- max_expires_at; the session list's expires_at is the least of the two.
CREATE TABLE sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    -- SESSION_IDLE_SECONDS after the last refresh (or the login).
    idle_expires_at timestamptz NOT NULL,
    -- SESSION_MAX_SECONDS after the login; a refresh never moves it.
    max_expires_at  timestamptz NOT NULL,
    -- The login's User-Agent, cut by the programs to 255 characters.
    user_agent      text CHECK (char_length(user_agent) <= 255),
    ended_at        timestamptz
);

-- A user's sessions: the list (newest first), and ending others or all.
CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at DESC);
-- Pruning: when a session stopped being live (least ignores NULLs, so this
-- is ended_at when it ended before it expired).
CREATE INDEX sessions_over_idx ON sessions
    ((least(ended_at, idle_expires_at, max_expires_at)));

-- The programs' role reads its subject's sessions only (the session list);
-- every change goes through the functions below, which run as the owner.
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY sessions_of_the_subject ON sessions
    USING (user_id = NULLIF(current_setting('taskapi.subject', true), ''));

-- Refresh tokens, as the SHA-256 of their text: the programs hash what a
-- client sends and never store the token. A used one keeps its row (used_at)
-- so that its reuse is seen; next_hash is its successor's hash. The
-- successor's text is derived from the token (an HMAC under JWT_SECRET,
-- src/auth/refresh.c), so a token presented again within the grace
-- window is answered with the same successor with only hashes stored.
-- The programs' role has no grant here.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    next_hash  bytea
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Sent with every statement of an authenticated request, in the same
-- pipeline and transaction (src/db/db.c), as the 2-argument one of 005 was,
-- and doing what it did (the subject's issuer: TA401), then: p_sid, the
-- token's session (NULL for a token without one), must be live and the
-- subject's, or it fails with TA402 and the program answers 401 `Session
-- has ended`; the statement behind it is aborted with it. A live session's
-- last_used_at moves when it is over 60 s old: at most one write a minute
-- a session. On a standby that write is refused (25006) and the request
-- is run on the primary (src/db/replica.c), once a minute.
DROP FUNCTION subject_enter(text, text);
CREATE FUNCTION subject_enter(p_subject text, p_issuer text, p_sid uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    held text;
    used timestamptz;
BEGIN
    SELECT issuer INTO held FROM subject_issuers WHERE subject = p_subject;
    IF NOT FOUND THEN
        INSERT INTO subject_issuers (subject, issuer) VALUES (p_subject, p_issuer)
        ON CONFLICT (subject) DO NOTHING;
        SELECT issuer INTO held FROM subject_issuers WHERE subject = p_subject;
    END IF;
    IF held IS DISTINCT FROM p_issuer THEN
        RAISE EXCEPTION 'the subject was made by another issuer'
            USING ERRCODE = 'TA401';
    END IF;
    IF p_sid IS NOT NULL THEN
        SELECT last_used_at INTO used FROM sessions
        WHERE id = p_sid AND user_id = p_subject AND ended_at IS NULL
          AND now() < idle_expires_at AND now() < max_expires_at;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the session has ended' USING ERRCODE = 'TA402';
        END IF;
        IF used < now() - interval '60 seconds' THEN
            UPDATE sessions SET last_used_at = now()
            WHERE id = p_sid AND last_used_at < now() - interval '60 seconds';
        END IF;
    END IF;
    RETURN set_config('taskapi.subject', p_subject, true);
END
$$;

-- Ends sessions of p_user: scope 'local' p_sid, 'others' every live one
-- but p_sid, 'global' all of them. Returns how many it ended (already
-- ended or expired ones are not counted). Every way a session ends goes
-- through here: logout, password change and reset, account deletion,
-- refresh token reuse.
CREATE FUNCTION session_end(p_user text, p_sid uuid, p_scope text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ended integer;
BEGIN
    IF p_scope IS NULL OR p_scope NOT IN ('local', 'others', 'global') THEN
        RAISE EXCEPTION 'scope must be local, others or global'
            USING ERRCODE = '22023';
    END IF;
    UPDATE sessions SET ended_at = now()
    WHERE user_id = p_user AND ended_at IS NULL
      AND now() < idle_expires_at AND now() < max_expires_at
      AND CASE p_scope
          WHEN 'local' THEN id = p_sid
          WHEN 'others' THEN id IS DISTINCT FROM p_sid
          ELSE true END;
    GET DIAGNOSTICS ended = ROW_COUNT;
    RETURN ended;
END
$$;

-- Register and login: a new session of p_user with its first refresh
-- token (p_hash, the SHA-256 of its text), live p_idle seconds and at most
-- p_max seconds. Returns its id.
--
-- Pruning without a scheduler: each start first deletes at most 100
-- sessions that stopped being live more than a day ago (their refresh
-- tokens go with them by cascade), read along sessions_over_idx, so
-- logins keep the table to the live sessions and a day of ended ones.
-- SKIP LOCKED: two logins at once prune different rows, and neither waits.
CREATE FUNCTION session_start(p_user text, p_hash bytea, p_user_agent text,
    p_idle integer, p_max integer) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    sid uuid;
BEGIN
    DELETE FROM sessions WHERE id IN (
        SELECT id FROM sessions
        WHERE least(ended_at, idle_expires_at, max_expires_at)
              < now() - interval '1 day'
        LIMIT 100 FOR UPDATE SKIP LOCKED);
    INSERT INTO sessions (user_id, idle_expires_at, max_expires_at, user_agent)
    VALUES (p_user, now() + make_interval(secs => p_idle),
            now() + make_interval(secs => p_max), p_user_agent)
    RETURNING id INTO sid;
    INSERT INTO refresh_tokens (token_hash, session_id) VALUES (p_hash, sid);
    RETURN sid;
END
$$;

-- docs/API.md "Refresh", in one transaction: the token's row is locked
-- (FOR UPDATE), so two refreshes of one token at once run one after the
-- other, and the second sees the first's use. p_hash is the presented
-- token's hash, p_next its successor's (derived, the same for every
-- presentation of one token). Returns one row:
--   outcome 'ok': the session (sid) and its user (user_id, email,
--     created_at as text in UTC), the token used up now, or within the
--     p_grace seconds after its first use (the successor then is the
--     one that first use made; the session's idle expiry moves again);
--   'reused': used up longer ago than that: the session is ended;
--   'invalid': unknown, or its session is not live.
CREATE FUNCTION session_refresh(p_hash bytea, p_next bytea, p_idle integer,
    p_grace integer)
RETURNS TABLE (outcome text, sid uuid, user_id text, email text,
    created_at text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    tok refresh_tokens;
    ses sessions;
BEGIN
    SELECT * INTO tok FROM refresh_tokens r WHERE r.token_hash = p_hash
    FOR UPDATE;
    IF FOUND THEN
        SELECT * INTO ses FROM sessions s WHERE s.id = tok.session_id
          AND s.ended_at IS NULL AND now() < s.idle_expires_at
          AND now() < s.max_expires_at;
    END IF;
    IF tok.token_hash IS NULL OR ses.id IS NULL THEN
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::text,
            NULL::text, NULL::text;
        RETURN;
    END IF;
    IF tok.used_at IS NOT NULL AND (tok.next_hash IS DISTINCT FROM p_next
        OR tok.used_at < now() - make_interval(secs => p_grace)) THEN
        -- A successor that differs was derived under another JWT_SECRET:
        -- no client holds the new one, so it is reuse as well.
        PERFORM session_end(ses.user_id, ses.id, 'local');
        RETURN QUERY SELECT 'reused'::text, NULL::uuid, NULL::text,
            NULL::text, NULL::text;
        RETURN;
    END IF;
    IF tok.used_at IS NULL THEN
        UPDATE refresh_tokens SET used_at = now(), next_hash = p_next
        WHERE token_hash = p_hash;
        INSERT INTO refresh_tokens (token_hash, session_id)
        VALUES (p_next, ses.id);
    END IF;
    UPDATE sessions s SET last_used_at = now(),
        idle_expires_at = now() + make_interval(secs => p_idle)
    WHERE s.id = ses.id;
    RETURN QUERY SELECT 'ok'::text, ses.id, u.id, u.email,
        to_char(u.created_at AT TIME ZONE 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        FROM users u WHERE u.id = ses.user_id;
END
$$;

-- Only the programs' role runs these (sql/grants.sql), not everyone.
REVOKE ALL ON FUNCTION session_end(text, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION session_start(text, bytea, text, integer, integer)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION session_refresh(bytea, bytea, integer, integer)
    FROM PUBLIC;
