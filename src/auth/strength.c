/*
 * strength.c: docs/API.md "Password rules" on zxcvbn-c, whose dictionaries
 * (common passwords, names, English words) are compiled into the library,
 * so the check reads no file and needs no set-up.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>
#include <zxcvbn.h>

#include "auth/strength.h"
#include "domain/user.h"
#include "text/text.h"

static const char *length_detail(const char *field);
static int holds_local_part(const char *password, const char *email,
    const char *dict[2], uint8_t **local);
static uint8_t *fold(const char *s, size_t n, size_t *len);

const char *
strength_refusal(const char *field, const char *password, const char *email)
{
	const char *dict[2] = { NULL, NULL };
	uint8_t *local = NULL;
	size_t count;
	int common;

	if (password == NULL ||
	    text_utf8_check(password, strlen(password), &count) != 0 ||
	    count < USER_PASSWORD_MIN || count > USER_PASSWORD_MAX)
		return length_detail(field);
	/* The local part also goes to zxcvbn as a word of the user's own, so a
	 * spelling of it in digits ("j0hn") counts as guessable too. */
	common = holds_local_part(password, email, dict, &local) ||
	    ZxcvbnMatch(password, dict, NULL) < STRENGTH_MIN_BITS;
	free(local);
	return common ? "Password is too common" : NULL;
}

/* docs/API.md "Register" and "Password change": the rule names the field. */
static const char *
length_detail(const char *field)
{
	if (strcmp(field, "new_password") == 0)
		return "new_password must be a string of 8 to 128 characters";
	assert(strcmp(field, "password") == 0);
	return "password must be a string of 8 to 128 characters";
}

/*
 * Whether the password holds the email's local part, both compared as the
 * email's key compares addresses (NFKC and full case folding, see
 * docs/API.md "Email addresses"), so "ADA" and "ａｄａ" hold "ada". A
 * local part of at least STRENGTH_LOCAL_MIN characters is also put in
 * dict[0], in *local, which the caller frees. A folding that fails (no
 * memory) checks nothing: zxcvbn's estimate still applies.
 */
static int
holds_local_part(const char *password, const char *email, const char *dict[2],
    uint8_t **local)
{
	const char *at;
	uint8_t *pw;
	size_t llen, plen, chars;
	int found;

	if (email == NULL || (at = strrchr(email, '@')) == NULL)
		return 0;
	if ((*local = fold(email, (size_t)(at - email), &llen)) == NULL)
		return 0;
	if (text_utf8_check((const char *)*local, llen, &chars) != 0 ||
	    chars < STRENGTH_LOCAL_MIN)
		return 0;
	dict[0] = (const char *)*local;
	if ((pw = fold(password, strlen(password), &plen)) == NULL)
		return 0;
	found = memmem(pw, plen, *local, llen) != NULL;
	free(pw);
	return found;
}

/*
 * s[0..n) in NFKC with full case folding, NUL-terminated, in memory the
 * caller frees; NULL when libunistring fails.
 */
static uint8_t *
fold(const char *s, size_t n, size_t *len)
{
	uint8_t *nfkc, *folded = NULL, *out = NULL;
	size_t nlen, flen;

	if ((nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, n, NULL,
	    &nlen)) == NULL)
		return NULL;
	folded = u8_casefold(nfkc, nlen, NULL, UNINORM_NFKC, NULL, &flen);
	if (folded != NULL && (out = malloc(flen + 1)) != NULL) {
		memcpy(out, folded, flen);
		out[flen] = '\0';
		*len = flen;
	}
	free(folded);
	free(nfkc);
	return out;
}
