/*
 * send.c: one message to one recipient through libcurl's SMTP. libcurl
 * speaks the protocol: EHLO, STARTTLS and the TLS handshake with the
 * certificate checked, AUTH with the URL's user and password, MAIL FROM,
 * RCPT TO, and DATA with its dot-stuffing (a line that starts with "."
 * goes as "..", lib/smtp.c's escape of the end of data) and the final ".".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include <curl/curl.h>

#include "mail/mail.h"

_Static_assert(MAIL_WHY_MAX >= CURL_ERROR_SIZE + 64,
    "a failure's reason holds libcurl's message");

/* The message as libcurl reads it, a piece at a time. */
struct mail_upload {
	const char *data;
	size_t len;
	size_t sent;
};

static int mail_url_parts(const char *url, char **scheme, char **host);
static int mail_loopback(const char *host);
static size_t mail_read(char *buf, size_t size, size_t nitems, void *ud);

int
mail_url_check(const char *url, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (mail_url_parts(url, &scheme, &host) != 0)
		snprintf(why, whylen, "SMTP_URL must be an smtp:// or smtps:// "
		    "URL with a host");
	else if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0)
		snprintf(why, whylen, "SMTP_URL must be an smtp:// or smtps:// "
		    "URL");
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	return rc;
}

int
mail_send(const struct mail_server *server, const struct mail_message *m,
    char *why, size_t whylen)
{
	char from[256], to[256], bracket[260], curl_err[CURL_ERROR_SIZE] = "";
	struct mail_upload up = { NULL, 0, 0 };
	struct curl_slist *rcpt = NULL;
	char *scheme = NULL, *host = NULL, *text = NULL;
	CURL *c = NULL;
	CURLcode rc;
	int ok = -1;

	if ((text = mail_build(m, time(NULL), &up.len, why, whylen)) == NULL)
		return -1;
	up.data = text;
	/* mail_build took both addresses. */
	if (mail_address(m->from, from, sizeof(from)) != 0 ||
	    mail_address(m->to, to, sizeof(to)) != 0 ||
	    mail_url_parts(server->url, &scheme, &host) != 0) {
		snprintf(why, whylen, "an address or SMTP_URL is too long");
		goto out;
	}
	snprintf(bracket, sizeof(bracket), "<%s>", to);
	if ((c = curl_easy_init()) == NULL ||
	    (rcpt = curl_slist_append(NULL, bracket)) == NULL) {
		snprintf(why, whylen, "libcurl could not start");
		goto out;
	}
	snprintf(bracket, sizeof(bracket), "<%s>", from);
	curl_easy_setopt(c, CURLOPT_URL, server->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/*
	 * A reset link is a password: over the network only in TLS. In the
	 * clear only to this host's own relay (smtp:// to a loopback host),
	 * which then uses STARTTLS when it offers it.
	 */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(strcmp(scheme, "smtp") == 0 &&
	    mail_loopback(host) ? CURLUSESSL_TRY : CURLUSESSL_ALL));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, bracket);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, server->timeout_seconds);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, server->timeout_seconds);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	if ((rc = curl_easy_perform(c)) != CURLE_OK)
		snprintf(why, whylen, "%s", curl_err[0] != '\0' ? curl_err :
		    curl_easy_strerror(rc));
	else
		ok = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	curl_free(scheme);
	curl_free(host);
	free(text);
	return ok;
}

/* url's scheme and host, as libcurl reads them (curl_free each). */
static int
mail_url_parts(const char *url, char **scheme, char **host)
{
	CURLU *u = curl_url();
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

/* localhost, 127.0.0.0/8 or ::1 (libcurl gives it as "[::1]"). */
static int
mail_loopback(const char *host)
{
	struct in_addr a4;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

static size_t
mail_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct mail_upload *up = ud;
	size_t n = up->len - up->sent;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(buf, up->data + up->sent, n);
	up->sent += n;
	return n;
}
