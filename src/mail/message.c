/*
 * message.c: a plain-text message as it goes on the wire, headers first,
 * and the addresses it may carry. Everything a header holds is checked
 * here, byte by byte: a CR or LF in an address or the subject would start
 * a header (or, in the envelope, a command) of someone else's making.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "mail/mail.h"

/* Room for one header line of ours: an address is at most 254 characters. */
#define MAIL_HEADER_MAX 1024
/* Random bytes of a Message-ID's left part: no two messages share one. */
#define MAIL_ID_BYTES 16

static int mail_text_ok(const char *s);
static int mail_headers(const struct mail_message *m, time_t now, char *out,
    size_t outlen, char *why, size_t whylen);
static void mail_date(time_t now, char *out, size_t outlen);
static int mail_id(const char *address, char *out, size_t outlen);
static size_t mail_body_crlf(const char *body, char *out);

char *
mail_build(const struct mail_message *m, time_t now, size_t *len, char *why,
    size_t whylen)
{
	char head[8 * MAIL_HEADER_MAX];
	size_t hlen, blen;
	char *out;

	if (mail_headers(m, now, head, sizeof(head), why, whylen) != 0)
		return NULL;
	hlen = strlen(head);
	/* Each byte of the body may become two (LF to CRLF), and a last CRLF. */
	blen = strlen(m->body);
	if ((out = malloc(hlen + 2 * blen + 3)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	memcpy(out, head, hlen);
	*len = hlen + mail_body_crlf(m->body, out + hlen);
	out[*len] = '\0';
	return out;
}

int
mail_address(const char *from, char *out, size_t outlen)
{
	const char *lt = strchr(from, '<'), *start = from, *at;
	size_t n = strlen(from);

	if (!mail_text_ok(from))
		return -1;
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');

		if (gt == NULL || gt[1] != '\0')
			return -1;
		start = lt + 1;
		n = (size_t)(gt - start);
	}
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	/*
	 * One "@" with something on both sides, and none of RFC 5322's
	 * specials or spaces, which would need quoting in a header: an
	 * address that needs it is refused rather than sent half-read.
	 */
	at = strchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(out, " \t()<>[]:;\\,\"") != NULL)
		return -1;
	return 0;
}

/* No control character (C0, CR and LF among them, or DEL): one line of text. */
static int
mail_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int
mail_headers(const struct mail_message *m, time_t now, char *out,
    size_t outlen, char *why, size_t whylen)
{
	char from[MAIL_HEADER_MAX], to[MAIL_HEADER_MAX], date[64];
	char id[MAIL_HEADER_MAX];
	int n;

	if (mail_address(m->from, from, sizeof(from)) != 0) {
		snprintf(why, whylen, "the sender is no single address");
		return -1;
	}
	if (mail_address(m->to, to, sizeof(to)) != 0 || strchr(m->to, '<')) {
		snprintf(why, whylen, "the recipient is no single address");
		return -1;
	}
	/* The subject is ours, and plain ASCII: no encoded words needed. */
	for (const char *p = m->subject; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e) {
			snprintf(why, whylen, "the subject is not printable ASCII");
			return -1;
		}
	mail_date(now, date, sizeof(date));
	if (mail_id(from, id, sizeof(id)) != 0) {
		snprintf(why, whylen, "no random bytes for the Message-ID");
		return -1;
	}
	n = snprintf(out, outlen, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n",
	    m->from, to, m->subject, date, id);
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(why, whylen, "the headers are too long");
		return -1;
	}
	return 0;
}

/* RFC 5322 3.3, in UTC, in English whatever the locale. */
static void
mail_date(time_t now, char *out, size_t outlen)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "<random hex@the sender's domain>" (RFC 5322 3.6.4). */
static int
mail_id(const char *address, char *out, size_t outlen)
{
	unsigned char r[MAIL_ID_BYTES];
	char hex[2 * MAIL_ID_BYTES + 1];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(out, outlen, "<%s@%s>", hex, strchr(address, '@') + 1);
	return 0;
}

/*
 * The body with every line ending (CRLF, LF or a lone CR) as CRLF, and
 * one at the end; out has room for twice the body and three bytes.
 * Returns the bytes written.
 */
static size_t
mail_body_crlf(const char *body, char *out)
{
	size_t o = 0;

	for (const char *p = body; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] == '\n')
				p++;
			out[o++] = '\r';
			out[o++] = '\n';
		} else
			out[o++] = *p;
	}
	if (o < 2 || out[o - 2] != '\r' || out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}
