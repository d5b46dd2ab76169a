/*
 * text.h: string rules shared by every layer (the JSON scanner, the
 * settings, the domain rules): strict UTF-8, trimming, comma lists, whole
 * numbers and hex digits.
 */
#ifndef TASKAPI_TEXT_H
#define TASKAPI_TEXT_H

#include <stddef.h>

/*
 * Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. Returns
 * 0 and the code point count in *count (may be NULL), or -1.
 */
int text_utf8_check(const char *s, size_t len, size_t *count);
/*
 * The bytes of s[0..len)'s longest prefix that is strict UTF-8 of at most
 * max_chars code points: a cut on a character's boundary, which also stops
 * before the first byte that is not UTF-8.
 */
size_t text_utf8_prefix(const char *s, size_t len, size_t max_chars);

/*
 * Narrows s[0..*len) past leading and trailing ASCII white space (space,
 * tab, LF, CR, FF, VT): the contract trims titles and emails this way.
 */
void text_trim_ascii(const char **s, size_t *len);

/*
 * The next item of a comma-separated setting (spaces and tabs around it
 * trimmed, possibly empty) at *start, *len; *p moves past it. Returns 0 at
 * the end of the list.
 */
int text_list_next(const char **p, const char **start, size_t *len);

/* How a whole number from outside failed, so a caller may tell the two apart. */
enum text_number {
	TEXT_NUMBER_OK = 0,
	TEXT_NUMBER_MALFORMED = -1,	/* empty, or a byte that is not 0-9 */
	TEXT_NUMBER_RANGE = -2		/* digits only, but outside min..max */
};

/*
 * A whole number from outside (a setting, a header, a query parameter):
 * one or more decimal digits and nothing else, so no sign, no white space,
 * no "0x"; leading zeros are fine. Every byte is looked at, so a long run
 * of digits followed by a letter is MALFORMED, not RANGE. Returns
 * TEXT_NUMBER_OK (0) with the value in *out, or a failure, *out untouched.
 */
enum text_number text_parse_long(const char *s, long min, long max,
    long *out);

/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other ch. */
int text_hex_digit(int ch);

#endif
