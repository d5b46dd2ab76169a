/*
 * Unit: docs/API.md "Password rules": the length rule first, then zxcvbn's
 * estimate against 2^30 guesses, then the email's local part.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "auth/strength.h"

#define LENGTH "password must be a string of 8 to 128 characters"
#define NEW_LENGTH "new_password must be a string of 8 to 128 characters"
#define COMMON "Password is too common"
#define EMAIL "ada.lovelace@example.com"
#define EMOJI "\xF0\x9F\x98\x80"	/* U+1F600: one code point, four bytes */

/* The detail for password under EMAIL, "" when accepted. */
static const char *
verdict(const char *password, const char *email)
{
	const char *d = strength_refusal("password", password, email);

	return d != NULL ? d : "";
}

/* count code points: U+1F600 and the 79 after it, in a varied order. */
static char *
emoji_run(int count)
{
	char *s = malloc((size_t)count * 4 + 1);

	cr_assert_not_null(s);
	for (int i = 0; i < count; i++) {
		unsigned cp = 0x1F600 + (unsigned)(i * 7 % 80);

		s[4 * i] = (char)(0xF0 | cp >> 18);
		s[4 * i + 1] = (char)(0x80 | (cp >> 12 & 0x3F));
		s[4 * i + 2] = (char)(0x80 | (cp >> 6 & 0x3F));
		s[4 * i + 3] = (char)(0x80 | (cp & 0x3F));
	}
	s[4 * count] = '\0';
	return s;
}

/* count ASCII characters in no pattern zxcvbn knows. */
static char *
ascii_run(int count)
{
	static const char set[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!#";
	unsigned x = 1;
	char *s = malloc((size_t)count + 1);

	cr_assert_not_null(s);
	for (int i = 0; i < count; i++) {
		x = x * 1103515245u + 12345u;	/* a fixed pseudo-random walk */
		s[i] = set[(x >> 16) % (sizeof(set) - 1)];
	}
	s[count] = '\0';
	return s;
}

Test(strength, not_a_string_breaks_the_length_rule_naming_the_field)
{
	cr_assert_str_eq(verdict(NULL, EMAIL), LENGTH);
	cr_assert_str_eq(strength_refusal("new_password", NULL, EMAIL), NEW_LENGTH);
	cr_assert_str_eq(strength_refusal("new_password", "short", EMAIL),
	    NEW_LENGTH);
}

Test(strength, length_is_counted_in_code_points_before_strength)
{
	/* Seven characters, common or not: the length rule speaks first. */
	cr_assert_str_eq(verdict("1234567", EMAIL), LENGTH);
	cr_assert_str_eq(verdict("qZ7#mQ2", EMAIL), LENGTH);
	cr_assert_str_eq(verdict("", EMAIL), LENGTH);
	static const struct {
		char *(*make)(int);
		int count;
		const char *want;
	} runs[] = {
		{ emoji_run, 7, LENGTH }, { emoji_run, 8, "" },
		{ emoji_run, 128, "" }, { emoji_run, 129, LENGTH },
		{ ascii_run, 8, "" }, { ascii_run, 128, "" },
		{ ascii_run, 129, LENGTH },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char *s = runs[i].make(runs[i].count);

		cr_assert_str_eq(verdict(s, EMAIL), runs[i].want, "%d of %s",
		    runs[i].count, runs[i].make == emoji_run ? "U+1F6xx" : "ASCII");
		free(s);
	}
	/* A common password is too common at any length. */
	cr_assert_str_eq(verdict("password", EMAIL), COMMON);
	cr_assert_str_eq(verdict("1234567890", EMAIL), COMMON);
}

Test(strength, common_passwords_are_refused)
{
	static const char *const common[] = {
		"password", "password123", "12345678", "qwertyuiop", "iloveyou1",
		"Password1!", "Summer2024!", "sunshine2024", "monkey123456",
		"letmein!", "abcdefgh", "aaaaaaaaaaaa", "zebra1234",
		EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI,
	};

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		cr_assert_str_eq(verdict(common[i], NULL), COMMON, "%s", common[i]);
}

Test(strength, the_bound_is_2_to_the_30_guesses)
{
	/* zxcvbn-c: 27.8 and 28.7 bits below, 30.3 and 31.6 above. */
	cr_assert_str_eq(verdict("correct horse", NULL), COMMON);
	cr_assert_str_eq(verdict("horse-battery", NULL), COMMON);
	cr_assert_str_eq(verdict("Correct Horse", NULL), "");
	cr_assert_str_eq(verdict("correct horse!", NULL), "");
	/* The README's example, the classic comic's, and the tests' style. */
	cr_assert_str_eq(verdict("correct horse battery", EMAIL), "");
	cr_assert_str_eq(verdict("Tr0ub4dor&3", EMAIL), "");
	cr_assert_str_eq(verdict("quartz-lantern-orbit-42", EMAIL), "");
}

Test(strength, the_local_part_is_refused_in_any_case_or_width)
{
	cr_assert_str_eq(verdict("quartz-ada.lovelace-orbit", EMAIL), COMMON);
	cr_assert_str_eq(verdict("QUARTZ-ADA.LOVELACE-ORBIT", EMAIL), COMMON);
	/* Fullwidth "ADA.LOVELACE": NFKC and case folding, as the email key. */
	cr_assert_str_eq(verdict("quartz-\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xa1"
	    ".lovelace-orbit", EMAIL), COMMON);
	cr_assert_str_eq(verdict("ada.lovelace", "ada.lovelace@example.com"),
	    COMMON);
	/* Only the whole local part counts, and the domain does not. */
	cr_assert_str_eq(verdict("quartz-ada-lantern-orbit", EMAIL), "");
	cr_assert_str_eq(verdict("quartz-example.com-orbit", EMAIL), "");
	/* The same password for an account without an email, or another's. */
	cr_assert_str_eq(verdict("quartz-ada.lovelace-orbit", NULL), "");
	cr_assert_str_eq(verdict("quartz-ada.lovelace-orbit",
	    "grace@example.com"), "");
	/* A non-ASCII local part, folded: STRASSE holds "straße". */
	cr_assert_str_eq(verdict("quartz-STRASSE-orbit-42",
	    "stra\xc3\x9f" "e@example.com"), COMMON);
}

Test(strength, a_local_part_under_three_characters_is_not_looked_for)
{
	cr_assert_str_eq(verdict("quartz-jo-lantern-orbit", "jo@example.com"), "");
	cr_assert_str_eq(verdict("quartz-lantern-orbit-42", "a@example.com"), "");
	cr_assert_str_eq(verdict("quartz-ann-lantern-orbit", "ann@example.com"),
	    COMMON);
}

Test(strength, a_spelling_of_the_local_part_in_digits_is_guessable)
{
	/* "v0rn4k3sh" alone is 36.3 bits; as "vornakesh"'s own word, 1.6. */
	cr_assert_str_eq(verdict("v0rn4k3sh", "vornakesh@example.com"), COMMON);
	cr_assert_str_eq(verdict("V0RN4K3SH", "vornakesh@example.com"), COMMON);
	cr_assert_str_eq(verdict("v0rn4k3sh", NULL), "");
	cr_assert_str_eq(verdict("v0rn4k3sh", "ada@example.com"), "");
}
