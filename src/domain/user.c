/*
 * user.c: the email rule of docs/API.md "Email addresses". The Unicode
 * work is libraries': libunistring normalises, folds case and tells a
 * character's general category; libidn2 maps and checks the domain
 * (IDNA2008 with UTS #46 non-transitional processing). No table here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "domain/user.h"
#include "text/text.h"

/*
 * More input than this is no address even before normalisation (an NFD
 * spelling is longer than its NFC one, but not 4096 bytes for 254
 * characters): bounds the libraries' work on hostile input.
 */
#define USER_EMAIL_INPUT_MAX 4096
/* RFC 1035 2.3.4: a label is at most 63 octets, a name 253 without the dot. */
#define USER_HOST_LABEL_MAX 63
#define USER_HOST_MAX 253

static int local_part(const char *s, size_t n, char *out, size_t room,
    size_t *outlen);
static int char_ok(ucs4_t uc);
static int domain_part(const char *s, size_t n, char *out, size_t room,
    size_t *outlen);
static int host_name_ok(const char *ascii);
static int chars_ok(const uint8_t *s, size_t len);
static int fold_local(const char *s, size_t n, char *out, size_t room,
    size_t *outlen);

int
user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES])
{
	char key[USER_EMAIL_KEY_BYTES];
	const char *at;
	size_t count, llen, dlen;

	text_trim_ascii(&in, &len);
	if (len == 0 || len > USER_EMAIL_INPUT_MAX ||
	    text_utf8_check(in, len, &count) != 0 || memchr(in, '\0', len))
		return -1;
	/* Exactly one "@", with something on both sides. */
	if ((at = memchr(in, '@', len)) == NULL ||
	    memchr(at + 1, '@', len - (size_t)(at - in) - 1) != NULL ||
	    at == in || at == in + len - 1)
		return -1;
	if (local_part(in, (size_t)(at - in), out, USER_EMAIL_BYTES - 1,
	    &llen) != 0)
		return -1;
	out[llen] = '@';
	if (domain_part(at + 1, len - (size_t)(at - in) - 1, out + llen + 1,
	    USER_EMAIL_BYTES - llen - 1, &dlen) != 0)
		return -1;
	/* The limit is on what is stored: the normalised address. */
	if (text_utf8_check(out, llen + 1 + dlen, &count) != 0 ||
	    count > USER_EMAIL_MAX)
		return -1;
	/* An address whose key cannot be made is refused here, not later. */
	return user_email_key(out, key);
}

/*
 * The local part, as stored: NFC, so the composed and decomposed spellings
 * of one text are one address, with ASCII letters lower-cased as before
 * (the rest of the case is the key's business). Refused: controls, format
 * characters (U+200B), separators (U+2028, U+2029, every space),
 * surrogates, private use and unassigned code points.
 */
static int
local_part(const char *s, size_t n, char *out, size_t room, size_t *outlen)
{
	uint8_t *nfc;
	size_t len;

	if ((nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, NULL,
	    &len)) == NULL)
		return -1;
	if (!chars_ok(nfc, len) || len == 0 || len >= room) {
		free(nfc);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(nfc[i] >= 'A' && nfc[i] <= 'Z' ? nfc[i] + 32 :
		    nfc[i]);
	*outlen = len;
	free(nfc);
	return 0;
}

/* Whether every character of s is one char_ok allows. */
static int
chars_ok(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, s + i, len - i);

		if (step <= 0 || !char_ok(uc))
			return 0;
		i += (size_t)step;
	}
	return 1;
}

static int
char_ok(ucs4_t uc)
{
	/* UC_CATEGORY_C is Cc, Cf, Cs, Co and Cn; UC_CATEGORY_Z is Zs, Zl, Zp. */
	uc_general_category_t refused =
	    uc_general_category_or(UC_CATEGORY_C, UC_CATEGORY_Z);

	/* U+FFFD stands for bytes that were not text somewhere before us. */
	return uc != 0xFFFD && !uc_is_general_category(uc, refused);
}

/*
 * The domain: IDNA2008 with the UTS #46 non-transitional mapping (case,
 * width and compatibility forms, "ß" kept) to an ASCII host name (the
 * STD3 rules, checked here), then back to its Unicode labels, which are what is stored: a
 * domain typed in Unicode or as "xn--" labels is one domain.
 */
static int
domain_part(const char *s, size_t n, char *out, size_t room, size_t *outlen)
{
	char *in, *ascii = NULL, *uni = NULL;
	int rc = -1;

	/*
	 * UTS #46 would drop U+200B or U+00AD from a domain silently: the
	 * domain is held to the local part's characters first, so what was
	 * sent and what is stored differ only by the mapping.
	 */
	if (!chars_ok((const uint8_t *)s, n) || (in = strndup(s, n)) == NULL)
		return -1;
	/*
	 * Not IDN2_USE_STD3_ASCII_RULES: libidn2 2.3 then drops what STD3
	 * disallows ("ex_ample" became "example"); host_name_ok refuses it.
	 */
	if (idn2_to_ascii_8z(in, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) ==
	    IDN2_OK && host_name_ok(ascii) &&
	    idn2_to_unicode_8z8z(ascii, &uni, 0) == IDN2_OK &&
	    strlen(uni) < room) {
		*outlen = strlen(uni);
		memcpy(out, uni, *outlen + 1);
		rc = 0;
	}
	idn2_free(uni);
	idn2_free(ascii);
	free(in);
	return rc;
}

/*
 * RFC 1123 2.1 host name, in its ASCII form: labels of 1 to 63 letters,
 * digits and hyphens, not starting or ending with a hyphen, at most 253
 * characters, no empty label (so no leading, trailing or double dot).
 */
static int
host_name_ok(const char *ascii)
{
	size_t label = 0, len = strlen(ascii);

	if (len == 0 || len > USER_HOST_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = ascii[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || ascii[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    (ch == '-' && label > 0)) || ++label > USER_HOST_LABEL_MAX)
			return 0;
	}
	return 1;
}

int
user_email_key(const char *email, char key[USER_EMAIL_KEY_BYTES])
{
	const char *at = strrchr(email, '@');
	size_t llen, dlen;

	if (at == NULL || fold_local(email, (size_t)(at - email), key,
	    USER_EMAIL_KEY_BYTES, &llen) != 0)
		return -1;
	dlen = strlen(at);
	if (llen + dlen >= USER_EMAIL_KEY_BYTES)
		return -1;
	/* The stored domain is already IDNA2008's: lower-case, mapped. */
	memcpy(key + llen, at, dlen + 1);
	return 0;
}

/*
 * The local part of the key: NFKC, full case folding, NFKC again (Unicode
 * 3.13's compatibility caseless match), so "K", U+212A KELVIN SIGN, the
 * fullwidth "ｋ" and "k" are one key. A folding that makes an "@" (U+FF20)
 * or a refused character is refused.
 */
static int
fold_local(const char *s, size_t n, char *out, size_t room, size_t *outlen)
{
	uint8_t *nfkc, *folded = NULL;
	size_t len, flen = 0;
	int ok = 0;

	if ((nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, n, NULL,
	    &len)) != NULL)
		folded = u8_casefold(nfkc, len, NULL, UNINORM_NFKC, NULL, &flen);
	ok = folded != NULL && flen > 0 && flen < room &&
	    memchr(folded, '@', flen) == NULL && chars_ok(folded, flen);
	if (ok) {
		memcpy(out, folded, flen);
		*outlen = flen;
	}
	free(folded);
	free(nfkc);
	return ok ? 0 : -1;
}
