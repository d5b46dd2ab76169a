-- 016: a password change also ends the account's password reset tokens
-- (docs/API.md "Password change"): a reset link mailed before the change
-- (to a mailbox that may be the reason for the change) no longer sets a
-- password after it. As 015_account.sql's function otherwise, now that
-- 014_password_resets.sql's table is there.
CREATE OR REPLACE FUNCTION account_password_change(p_user text, p_sid uuid,
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
    DELETE FROM password_resets WHERE user_id = p_user;
    RETURN true;
END
$$;
