-- 005: a subject belongs to the issuer that made it, and an email binds
-- only the accounts registered here (docs/API.md "Subjects", "Users on
-- first need", "Email addresses").
--
-- Applies after 004 and reads nothing of it.

-- Who made each subject. issuer is '' for tokens signed with JWT_SECRET
-- (this API's own, and those of any issuer sharing the secret: one issuer,
-- since whoever holds the secret can sign any subject, ours included), and
-- the `iss` of the key set's issuer (JWT_JWKS_ISSUER) for its tokens.
-- Only the owner writes it, through subject_enter and the trigger below;
-- the programs' role has no grant on it.
CREATE TABLE subject_issuers (
    subject text PRIMARY KEY CHECK (char_length(subject) BETWEEN 1 AND 255),
    issuer  text NOT NULL
);

-- The accounts registered here are the secret's. Rows an external issuer's
-- first request made before this migration have no record: the first
-- issuer whose token names such a subject afterwards is recorded as its
-- maker, as for a subject never seen (nothing tells which issuer it was).
INSERT INTO subject_issuers (subject, issuer)
    SELECT id, '' FROM users WHERE password_hash IS NOT NULL;

-- Sent with every statement of an authenticated request, in the same
-- pipeline and transaction, instead of the bare set_config: no round trip
-- of its own. The first request of a subject records its issuer; every
-- request of a subject recorded for another issuer fails with TA401, and
-- the program answers 401 (docs/API.md "Subjects"). Two first requests of
-- one subject at once: the second insert waits for the first's commit and
-- does nothing, and (VOLATILE, READ COMMITTED) the select after it takes a
-- new snapshot and sees the first's issuer, so exactly one issuer wins.
CREATE FUNCTION subject_enter(p_subject text, p_issuer text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    held text;
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
    RETURN set_config('taskapi.subject', p_subject, true);
END
$$;

-- Registering here records the new account as the secret's, in the same
-- statement as the insert (a random UUID: never recorded before).
CREATE FUNCTION subject_of_account() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO subject_issuers (subject, issuer) VALUES (NEW.id, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER users_account_subject AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.password_hash IS NOT NULL)
    EXECUTE FUNCTION subject_of_account();

-- Emails: `email` is the address as stored and shown; `email_key` is what
-- two addresses are compared by (NFKC, full case folding, the IDNA2008
-- domain), computed by the programs (src/domain/user.c), and unique among
-- the accounts registered here only. An external issuer's user keeps the
-- token's email for show, and it blocks no one's registration.
ALTER TABLE users ADD COLUMN email_key text;

-- The key of the rule before this one was the stored address itself
-- (trimmed, ASCII letters lower-cased). For an ASCII address that is
-- exactly the new key, so those accounts log in as before. A non-ASCII
-- address keeps it too: it is the new key when the stored address was
-- already folded (lower-case, NFC, Unicode domain), the usual case. Any
-- other (an upper-case non-ASCII letter, a decomposed one, an "xn--"
-- domain) matches no login until its key is set to what the rule computes
-- for it (docs/API.md "Email addresses").
UPDATE users SET email_key = email WHERE password_hash IS NOT NULL;

ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_account_email_key ON users (email_key)
    WHERE password_hash IS NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_account_has_key
    CHECK (password_hash IS NULL OR email_key IS NOT NULL);

-- docs/API.md "Users on first need": the token's email is kept whether or
-- not someone else has it; a race on the id does nothing.
CREATE OR REPLACE FUNCTION ensure_user(p_id text, p_email text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO users (id, email) VALUES (p_id, p_email)
    ON CONFLICT (id) DO NOTHING
$$;
