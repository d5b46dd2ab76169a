/*
 * user.c: email and password rules, the user object and the token answer
 * shared by register, login and me, and the first-need creation of an
 * external issuer's user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/user.h"
#include "text/text.h"

int
user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES])
{
	size_t count, at = 0, ats = 0;

	text_trim_ascii(&in, &len);
	if (len == 0 || len >= USER_EMAIL_BYTES ||
	    text_utf8_check(in, len, &count) != 0 || count > USER_EMAIL_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch <= 0x20 || ch == 0x7f)
			return -1;
		if (ch == '@') {
			ats++;
			at = i;
		}
		out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	out[len] = '\0';
	if (ats != 1 || at == 0 || at == len - 1)
		return -1;
	return 0;
}
