/*
 * Unit: the email rule of docs/API.md "Email addresses": what is stored,
 * what is compared, and what is refused.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "domain/user.h"

/* The stored form of s, or "" when refused. */
static const char *
shown(const char *s)
{
	static char out[USER_EMAIL_BYTES];

	if (user_email_normalize(s, strlen(s), out) != 0)
		out[0] = '\0';
	return out;
}

/* The comparison key of s, or "" when refused. */
static const char *
key(const char *s)
{
	static char out[USER_EMAIL_KEY_BYTES];
	char email[USER_EMAIL_BYTES];

	if (user_email_normalize(s, strlen(s), email) != 0 ||
	    user_email_key(email, out) != 0)
		out[0] = '\0';
	return out;
}

Test(email, ascii_key_is_the_lower_case_address)
{
	/* Rows from before the rule keep their key: for ASCII it is the same. */
	cr_assert_str_eq(shown("  Ada.Lovelace+x@Example.COM\t"),
	    "ada.lovelace+x@example.com");
	cr_assert_str_eq(key("Ada.Lovelace+x@Example.COM"),
	    "ada.lovelace+x@example.com");
}

Test(email, kelvin_fullwidth_and_case_are_one_key)
{
	const char *k = "kelvin@x.example";

	cr_assert_str_eq(key("Kelvin@x.example"), k);
	cr_assert_str_eq(key("\xe2\x84\xaa" "elvin@x.example"), k);	/* U+212A */
	cr_assert_str_eq(key("\xef\xbd\x8b" "elvin@x.example"), k);	/* U+FF4B */
	cr_assert_str_eq(key("\xef\xbc\xab" "ELVIN@X.EXAMPLE"), k);	/* U+FF2B */
	/* Stored as given, in NFC: the Kelvin sign's NFC is "K", lowered. */
	cr_assert_str_eq(shown("\xe2\x84\xaa" "elvin@x.example"), k);
	cr_assert_str_eq(shown("\xef\xbd\x8b" "elvin@x.example"),
	    "\xef\xbd\x8b" "elvin@x.example");
}

Test(email, nfc_and_nfd_are_one_address)
{
	/* "café": U+00E9, and "e" with U+0301. */
	cr_assert_str_eq(shown("caf\xc3\xa9@x.example"), "caf\xc3\xa9@x.example");
	cr_assert_str_eq(shown("cafe\xcc\x81@x.example"), "caf\xc3\xa9@x.example");
	cr_assert_str_eq(key("CAF\xc3\x89@x.example"), "caf\xc3\xa9@x.example");
	/* Full case folding: "ß" is "ss". */
	cr_assert_str_eq(key("Stra\xc3\x9f" "e@x.example"), "strasse@x.example");
}

Test(email, controls_separators_and_format_characters_are_refused)
{
	cr_assert_str_eq(shown("k\xe2\x80\x8b" "elvin@x.example"), "");	/* U+200B */
	cr_assert_str_eq(shown("a\xc2\x85" "b@x.example"), "");	/* U+0085 (C1) */
	cr_assert_str_eq(shown("a\xc2\x9b" "b@x.example"), "");	/* U+009B */
	cr_assert_str_eq(shown("a\xe2\x80\xa8" "b@x.example"), "");	/* U+2028 */
	cr_assert_str_eq(shown("a\xe2\x80\xa9" "b@x.example"), "");	/* U+2029 */
	cr_assert_str_eq(shown("a\xc2\xa0" "b@x.example"), "");	/* U+00A0 */
	cr_assert_str_eq(shown("a\xef\xbb\xbf" "b@x.example"), "");	/* U+FEFF */
	cr_assert_str_eq(shown("a\xee\x80\x80" "b@x.example"), "");	/* U+E000 */
	cr_assert_str_eq(shown("a\xf0\xaf\xbf\xbf" "b@x.example"), "");	/* U+2FFFF */
	cr_assert_str_eq(shown("a\x7f" "b@x.example"), "");
	cr_assert_str_eq(shown("a b@x.example"), "");
	/* A fullwidth "@" (U+FF20) would make a second "@" in the key. */
	cr_assert_str_eq(shown("a\xef\xbc\xa0" "b@x.example"), "");
}

Test(email, domain_is_an_idna2008_host_name)
{
	/* Unicode and "xn--" spellings of one domain are one domain. */
	cr_assert_str_eq(shown("ada@B\xc3\xbc" "cher.example"),
	    "ada@b\xc3\xbc" "cher.example");
	cr_assert_str_eq(shown("ada@xn--bcher-kva.example"),
	    "ada@b\xc3\xbc" "cher.example");
	/* Fullwidth letters and dots are mapped (UTS #46). */
	cr_assert_str_eq(shown("ada@\xef\xbd\x98\xef\xbd\xa1" "example"),
	    "ada@x.example");
	cr_assert_str_eq(shown("ada@localhost"), "ada@localhost");
	cr_assert_str_eq(shown("ada@ex_ample.com"), "");
	cr_assert_str_eq(shown("ada@example..com"), "");
	cr_assert_str_eq(shown("ada@.example.com"), "");
	cr_assert_str_eq(shown("ada@example.com."), "");
	cr_assert_str_eq(shown("ada@-example.com"), "");
	cr_assert_str_eq(shown("ada@example-.com"), "");
	cr_assert_str_eq(shown("ada@[127.0.0.1]"), "");
	cr_assert_str_eq(shown("ada@exa\xe2\x80\x8bmple.com"), "");
	cr_assert_str_eq(shown("ada@exa mple.com"), "");
	cr_assert_str_eq(shown("ada@ex$ample.com"), "");
	cr_assert_str_eq(shown("ada@exa\xef\xbc\xbfmple.com"), "");	/* U+FF3F */
}

Test(email, shape_and_length)
{
	char longest[300];

	cr_assert_str_eq(shown(""), "");
	cr_assert_str_eq(shown("plain"), "");
	cr_assert_str_eq(shown("@example.com"), "");
	cr_assert_str_eq(shown("ada@"), "");
	cr_assert_str_eq(shown("a@b@c.example"), "");
	/* 254 characters of the stored form is the most. */
	memset(longest, 'a', 254);
	memcpy(longest + 254 - 12, "@example.com", 12);
	longest[254] = '\0';
	cr_assert_str_neq(shown(longest), "");
	memset(longest, 'a', 255);
	memcpy(longest + 255 - 12, "@example.com", 12);
	longest[255] = '\0';
	cr_assert_str_eq(shown(longest), "");
}

Test(email, normalising_twice_changes_nothing)
{
	static const char *const samples[] = {
		"Kelvin@X.example", "cafe\xcc\x81@B\xc3\xbc" "cher.example",
		"\xef\xbd\x8b" "elvin@xn--bcher-kva.example",
	};

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char once[USER_EMAIL_BYTES], twice[USER_EMAIL_BYTES];

		cr_assert_eq(user_email_normalize(samples[i],
		    strlen(samples[i]), once), 0);
		cr_assert_eq(user_email_normalize(once, strlen(once), twice), 0);
		cr_assert_str_eq(once, twice);
	}
}
