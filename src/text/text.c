/*
 * text.c: the small string rules every layer shares: strict UTF-8, ASCII
 * white space trimming, comma-separated lists, whole numbers and hex
 * digits. No allocation, no library beyond libc.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "text/text.h"

static int is_ascii_space(char ch);

/*
 * The length of the UTF-8 sequence at p (before end) under text_utf8_check's
 * rules, or 0 when it is not a valid one.
 */
static size_t
utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p, cp, min;
	size_t need;

	if (c < 0x80)
		return 1;
	else if ((c & 0xE0) == 0xC0) {
		need = 1; cp = c & 0x1F; min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		need = 2; cp = c & 0x0F; min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		need = 3; cp = c & 0x07; min = 0x10000;
	} else
		return 0;
	if ((size_t)(end - p) <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need + 1;
}

int
text_utf8_check(const char *s, size_t len, size_t *count)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	size_t n = 0, step;

	for (; p < end; p += step, n++)
		if ((step = utf8_sequence(p, end)) == 0)
			return -1;
	if (count != NULL)
		*count = n;
	return 0;
}

size_t
text_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	size_t n = 0, step;

	for (; p < end && n < max_chars; p += step, n++)
		if ((step = utf8_sequence(p, end)) == 0)
			break;
	return (size_t)(p - (const unsigned char *)s);
}

static int
is_ascii_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f' || ch == '\v';
}

void
text_trim_ascii(const char **s, size_t *len)
{
	while (*len > 0 && is_ascii_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ascii_space((*s)[*len - 1]))
		(*len)--;
}

/*
 * The next item of a comma-separated setting, spaces and tabs around it
 * trimmed: *start and *len, and *p moves past it. 0 at the end of the list.
 */
int
text_list_next(const char **p, const char **start, size_t *len)
{
	const char *comma, *end;

	if (**p == '\0')
		return 0;
	while (**p == ' ' || **p == '\t')
		(*p)++;
	*start = *p;
	comma = strchr(*p, ',');
	end = comma != NULL ? comma : *p + strlen(*p);
	*p = comma != NULL ? comma + 1 : end;
	while (end > *start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len = (size_t)(end - *start);
	return 1;
}

/*
 * One loop over every byte, overflow checked before each step: strtol's
 * white space, signs and errno are what every caller had to undo.
 */
enum text_number
text_parse_long(const char *s, long min, long max, long *out)
{
	long v = 0;
	int over = 0;

	if (*s == '\0')
		return TEXT_NUMBER_MALFORMED;
	for (; *s != '\0'; s++) {
		int d;

		if (*s < '0' || *s > '9')
			return TEXT_NUMBER_MALFORMED;
		d = *s - '0';
		/* Past LONG_MAX it is out of range; the rest must still be digits. */
		if (over || v > (LONG_MAX - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	if (over || v < min || v > max)
		return TEXT_NUMBER_RANGE;
	*out = v;
	return TEXT_NUMBER_OK;
}

int
text_hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}
