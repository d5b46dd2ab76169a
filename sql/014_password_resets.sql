-- 014: password reset by mail (docs/API.md "Password reset"). A reset
-- token is 32 random bytes the programs make and mail; only its SHA-256
-- is kept here, so a copy of this table resets no password. A token lives
-- 3600 s and is used once: confirming deletes its row.
--
-- Applies after 012 (session_end) and 013 (login_failures), and reads
-- nothing else of them.

-- The programs' role has no grant on this table: it reaches it only
-- through the three functions below, which run as the owner. user_id has
-- no foreign key: its check, a lock on the user's row, would make the
-- request of a known email cost more than an unknown one's (see
-- password_reset_request). A token whose account was deleted finds no
-- user, is refused as unknown, and is pruned once expired.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);

-- A request: p_email_key is the key of the address typed (src/domain/
-- user.c), p_token_hash the SHA-256 of a fresh token. When an account
-- registered here has that key, and fewer than 5 of its tokens are live,
-- the token is kept for it and its stored address is returned, for the
-- mail; else NULL and no token is kept. Whether the account exists must
-- not show in the time taken (docs/API.md "Password reset"): both ways run
-- the same pruning, lookup, lock, count and insert, and the statement that calls this
-- (src/db/statements.c) sets synchronous_commit off for its transaction, so the
-- one insert costs no WAL flush that the other way would not wait for. (Set
-- here, it would end with the function: a function with a SET clause
-- undoes every transaction-local setting made inside it.) A crash may lose
-- a token made in the last moment; asking again mends it.
-- Pruning without cron: each request deletes at most 100 expired rows,
-- oldest first, skipping rows another request holds.
CREATE FUNCTION password_reset_request(p_email_key text, p_token_hash bytea)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user  text;
    v_email text;
    v_live  bigint;
BEGIN
    DELETE FROM password_resets WHERE token_hash IN (
        SELECT token_hash FROM password_resets WHERE expires_at <= now()
        ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED);
    SELECT id, email INTO v_user, v_email FROM users
        WHERE email_key = p_email_key AND password_hash IS NOT NULL;
    -- At most 5 live tokens an account, so a stranger cannot flood its
    -- mailbox past the rate limit of the addresses they use: requests of
    -- one account queue on its lock, and the count is then exact. An
    -- unknown email takes a lock and counts too (none, for no account), so
    -- both ways run the same statements up to the insert.
    PERFORM pg_advisory_xact_lock(hashtext('password_reset:' ||
        coalesce(v_user, p_email_key)));
    SELECT count(*) INTO v_live FROM password_resets
        WHERE user_id = v_user AND expires_at > now();
    -- No token for this email: the same insert all the same, of a row no
    -- confirm can use (already expired, of no account), which the next
    -- request prunes. Measured through nginx, the insert and its commit
    -- made a known email's answer 0.5 ms slower than an unknown one's.
    IF v_user IS NULL OR v_live >= 5 THEN
        INSERT INTO password_resets (token_hash, user_id, expires_at)
            VALUES (p_token_hash, '', now());
        RETURN NULL;
    END IF;
    INSERT INTO password_resets (token_hash, user_id, expires_at)
        VALUES (p_token_hash, v_user, now() + interval '3600 seconds');
    RETURN v_email;
END
$$;

-- The stored address of a live token's account, or NULL: the new
-- password is checked against it (docs/API.md "Password rules") before
-- the token is used up, so a refused password leaves the token usable.
CREATE FUNCTION password_reset_email(p_token_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id
    WHERE r.token_hash = p_token_hash AND r.expires_at > now()
      AND u.password_hash IS NOT NULL
$$;

-- The confirm: uses up a live token, sets its account's password hash
-- (scrypt, made by the programs), and ends every reset token and every
-- session of the account. It also forgets the account's failed logins
-- (013_login_failures.sql): whoever confirms has shown they read the
-- account's mail, and must not wait out a lockout a guesser caused. Returns false, changing nothing, when the token
-- is unknown, used or expired; of two confirms of one token at once, the
-- second waits for the first's delete and finds no row.
CREATE FUNCTION password_reset_confirm(p_token_hash bytea, p_password_hash text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user text;
    v_key  text;
BEGIN
    DELETE FROM password_resets
        WHERE token_hash = p_token_hash AND expires_at > now()
        RETURNING user_id INTO v_user;
    IF v_user IS NULL THEN
        RETURN false;
    END IF;
    DELETE FROM password_resets WHERE user_id = v_user;
    UPDATE users SET password_hash = p_password_hash
        WHERE id = v_user AND password_hash IS NOT NULL
        RETURNING email_key INTO v_key;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM login_failures WHERE email_key = v_key;
    PERFORM session_end(v_user, NULL, 'global');
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION password_reset_request(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION password_reset_email(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION password_reset_confirm(bytea, text) FROM PUBLIC;
