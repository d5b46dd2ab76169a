-- 013: failed logins, counted per email key (docs/API.md "Failed logins").
--
-- A row per key (src/domain/user.h user_email_key, what login finds an
-- account by) with failures since the last success, registered or not, so
-- the count tells nothing about who has an account. After 5, an attempt
-- must wait 2^(n-5) s (at most 900) after the last failure; earlier ones
-- are answered 429 without checking the password. Only the owner writes
-- the table, through the three functions below; the programs' role has no
-- grant on it.
CREATE TABLE login_failures (
    email_key      text        PRIMARY KEY,
    failures       integer     NOT NULL CHECK (failures > 0),
    last_failed_at timestamptz NOT NULL
);
-- The pruning's order (login_failed).
CREATE INDEX login_failures_last_failed_at_idx ON login_failures (last_failed_at);

-- How long after the last of n failures the next attempt must wait: none
-- under 5, then 1, 2, 4 ... seconds, at most 900. The exponent is capped
-- first, so no count overflows.
CREATE FUNCTION login_failures_wait(p_failures integer) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_failures < 5 THEN interval '0'
                ELSE make_interval(secs => least(2 ^ least(p_failures - 5, 10), 900))
           END
$$;

-- A count whose last failure is older than this is forgotten: the cap's
-- wait (900 s) is long over, and the table keeps only the last day's keys.
CREATE FUNCTION login_failures_kept() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '1 day' $$;

-- Before a password is checked, in the statement that finds the account
-- (no round trip of its own; a key without failures only reads).
-- retry_after: the whole seconds, rounded up, the attempt must still wait,
-- or NULL when it may go on. counted: a count exists, and this attempt
-- was added to it in advance, as the last failure, under the row's lock:
-- concurrent attempts then see it and wait their turn, so a burst of
-- guesses at once gets no more checks than one at a time. login_failed
-- and login_succeeded settle it.
CREATE FUNCTION login_begin(p_key text, OUT retry_after integer, OUT counted boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    f login_failures;
    left_ interval;
BEGIN
    counted := false;
    SELECT * INTO f FROM login_failures WHERE email_key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF f.last_failed_at < clock_timestamp() - login_failures_kept() THEN
        DELETE FROM login_failures WHERE email_key = p_key;
        RETURN;
    END IF;
    left_ := f.last_failed_at + login_failures_wait(f.failures) - clock_timestamp();
    IF left_ > interval '0' THEN
        retry_after := ceil(extract(epoch FROM left_))::integer;
        RETURN;
    END IF;
    UPDATE login_failures
    SET failures = failures + 1, last_failed_at = clock_timestamp()
    WHERE email_key = p_key;
    counted := true;
END
$$;

-- The password was wrong: one failure more (none when login_begin counted
-- the attempt already), last at the end of the check. Then a bounded
-- prune of forgotten counts, oldest first: each failure removes up to 10,
-- so the table holds little more than the last day's keys, with no job
-- of its own.
CREATE FUNCTION login_failed(p_key text, p_counted boolean) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO login_failures AS f (email_key, failures, last_failed_at)
    VALUES (p_key, 1, clock_timestamp())
    ON CONFLICT (email_key) DO UPDATE
    SET failures = f.failures + CASE WHEN p_counted THEN 0 ELSE 1 END,
        last_failed_at = clock_timestamp();
    DELETE FROM login_failures
    WHERE email_key IN (SELECT email_key FROM login_failures
                        WHERE last_failed_at < clock_timestamp() - login_failures_kept()
                        ORDER BY last_failed_at LIMIT 10
                        FOR UPDATE SKIP LOCKED);
$$;

-- The password was right: the count starts again.
CREATE FUNCTION login_succeeded(p_key text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM login_failures WHERE email_key = p_key;
$$;
