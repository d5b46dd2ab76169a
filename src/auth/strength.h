/*
 * strength.h: docs/API.md "Password rules", the one check register,
 * password change and reset apply to a new password: its length, then how
 * guessable it is (zxcvbn-c's estimate) and whether it holds the email's
 * local part.
 */
#ifndef TASKAPI_STRENGTH_H
#define TASKAPI_STRENGTH_H

/*
 * docs/API.md "Password rules": below about 2^30 guesses is too common.
 * zxcvbn-c's ZxcvbnMatch answers log2 of its guess count ("entropy" in
 * bits): "password123" 3.6, "Tr0ub4dor&3" 46.7, "correct horse battery"
 * 48.3.
 */
#define STRENGTH_MIN_BITS 30.0
/*
 * A local part shorter than this many characters (after case folding) is
 * not looked for in the password: "jo" would refuse every password that
 * holds those two letters, for no gain.
 */
#define STRENGTH_LOCAL_MIN 3

/*
 * The 422 detail for a new password, or NULL when it may be used.
 * field is the body member the password came from ("password" or
 * "new_password"), named by the length rule's detail. password is the
 * member's value when json_member_text read it as JSON_TEXT_OK (valid
 * UTF-8, no U+0000), else NULL (missing, null, not a string, bad text),
 * which breaks the length rule. email is the account's stored address
 * (user_email_normalize's form), or NULL when it has none.
 * The length rule is checked first: "<field> must be a string of 8 to 128
 * characters"; then "Password is too common". Costs 0.1 ms for a typical
 * password, about 10 ms for the worst 128 characters.
 */
const char *strength_refusal(const char *field, const char *password,
    const char *email);

#endif
