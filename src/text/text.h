/*
 * text.h: string rules shared by every layer (the JSON scanner, the
 * settings, the domain rules): strict UTF-8, trimming, comma lists.
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

#endif
