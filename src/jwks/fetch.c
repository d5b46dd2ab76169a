/*
 * fetch.c: the key set's GET over libcurl, and libcurl's set-up. https,
 * or http to a loopback issuer (a development one) unless the settings
 * allow more; a redirect is followed only within the URL's origin (scheme,
 * host and port), so a redirect cannot take the fetch to another server or
 * port, nor down from https; bounded in time (the caller's budget, within
 * JWKS_FETCH_TIMEOUT_MS) and in size (JWKS_FETCH_MAX), since it runs
 * inside a request.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

/* Redirects a URL may take, each within its origin. */
#define JWKS_MAX_REDIRECTS 3

_Static_assert(JWKS_FETCH_WHY_MAX >= CURL_ERROR_SIZE + 64,
    "a failed fetch's reason holds libcurl's message");

/* The body as it arrives, in a buffer of JWKS_FETCH_MAX + 1 bytes. */
struct fetch_buf {
	char *data;
	size_t len;
	int too_big;
};

static char *fetch_one(const char *url, long timeout_ms, char **next,
    size_t *len, char *why, size_t whylen);
static CURL *fetch_handle(const char *url, long timeout_ms,
    struct curl_slist *headers, struct fetch_buf *b, char *curl_err);
static char *fetch_redirect(CURL *c, long status);
static int fetch_origin(const char *url, char **scheme, char **host,
    char **port);
static int fetch_same_origin(const char *a, const char *b);
static int fetch_loopback(const char *host);
static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *ud);
static void fetch_failure(CURLcode rc, long status, const struct fetch_buf *b,
    const char *curl_err, char *why, size_t whylen);

/* 0 when libcurl is ready for fetch_url; once per process. */
int
fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

/*
 * 0 when url may be fetched: https, or http when allow_http or when its
 * host is a loopback address (127.0.0.0/8, ::1, localhost). Else -1 with
 * why: plain http elsewhere lets anyone on the path hand us keys.
 */
int
fetch_url_allowed(const char *url, int allow_http, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (fetch_origin(url, &scheme, &host, &port) != 0)
		snprintf(why, whylen, "JWT_JWKS_URL is not a URL libcurl reads");
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		snprintf(why, whylen, "JWT_JWKS_URL must be an http:// or "
		    "https:// URL");
	else if (strcmp(scheme, "http") == 0 && !allow_http &&
	    !fetch_loopback(host))
		snprintf(why, whylen, "JWT_JWKS_URL must be https:// (http:// "
		    "only to a loopback host, unless JWT_JWKS_ALLOW_HTTP=on)");
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return rc;
}

/*
 * GETs url within timeout_ms; the body (NUL-terminated, free()) of a 200,
 * or NULL with why. Follows at most JWKS_MAX_REDIRECTS redirects, each to
 * url's own origin; a redirect elsewhere is a failure.
 */
char *
fetch_url(const char *url, long timeout_ms, size_t *len, char *why,
    size_t whylen)
{
	struct timespec start;
	char *at = NULL, *next = NULL, *body = NULL;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int hop = 0; hop <= JWKS_MAX_REDIRECTS; hop++) {
		long left = timeout_ms - jwks_elapsed_ms(&start);

		if (left <= 0) {
			snprintf(why, whylen, "no time left after %d "
			    "redirects", hop);
			break;
		}
		body = fetch_one(at != NULL ? at : url, left, &next, len, why,
		    whylen);
		free(at);
		at = next;
		if (body != NULL || next == NULL)
			break;
		if (!fetch_same_origin(url, next)) {
			snprintf(why, whylen, "a redirect to another origin is "
			    "not followed: %.200s", next);
			break;
		}
		snprintf(why, whylen, "more than %d redirects",
		    JWKS_MAX_REDIRECTS);
	}
	free(at);
	return body;
}

/*
 * One GET of url: the body of a 200 (see fetch_url); else NULL, with the
 * target of a redirect in *next (free()) or why.
 */
static char *
fetch_one(const char *url, long timeout_ms, char **next, size_t *len,
    char *why, size_t whylen)
{
	struct fetch_buf b = { NULL, 0, 0 };
	struct curl_slist *headers = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	CURL *c = NULL;

	*next = NULL;
	headers = curl_slist_append(headers,
	    "Accept: application/jwk-set+json, application/json");
	if ((b.data = malloc(JWKS_FETCH_MAX + 1)) == NULL ||
	    (c = fetch_handle(url, timeout_ms, headers, &b, curl_err)) == NULL) {
		curl_slist_free_all(headers);
		free(b.data);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK)
		*next = fetch_redirect(c, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK || status != 200) {
		fetch_failure(rc, status, &b, curl_err, why, whylen);
		free(b.data);
		return NULL;
	}
	b.data[b.len] = '\0';
	*len = b.len;
	return b.data;
}

/* A redirect's absolute target (free()), or NULL. */
static char *
fetch_redirect(CURL *c, long status)
{
	char *target = NULL;

	if (status < 300 || status > 399 || curl_easy_getinfo(c,
	    CURLINFO_REDIRECT_URL, &target) != CURLE_OK || target == NULL)
		return NULL;
	return strdup(target);
}

/* Both URLs' scheme, host and port (the default one when unsaid) match. */
static int
fetch_same_origin(const char *a, const char *b)
{
	char *s[2] = { NULL, NULL }, *h[2] = { NULL, NULL },
	    *p[2] = { NULL, NULL };
	int same = fetch_origin(a, &s[0], &h[0], &p[0]) == 0 &&
	    fetch_origin(b, &s[1], &h[1], &p[1]) == 0 &&
	    strcmp(s[0], s[1]) == 0 && strcasecmp(h[0], h[1]) == 0 &&
	    strcmp(p[0], p[1]) == 0;

	for (int i = 0; i < 2; i++) {
		curl_free(s[i]);
		curl_free(h[i]);
		curl_free(p[i]);
	}
	return same;
}

/* url's scheme, host and port as libcurl reads them (curl_free()); 0, or -1. */
static int
fetch_origin(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

/* localhost, 127.0.0.0/8 or ::1 (libcurl gives an IPv6 host in brackets). */
static int
fetch_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char bare[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (n < 3 || n - 2 >= sizeof(bare) || host[0] != '[' ||
	    host[n - 1] != ']')
		return 0;
	memcpy(bare, host + 1, n - 2);
	bare[n - 2] = '\0';
	return inet_pton(AF_INET6, bare, &v6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&v6);
}

/* A handle for one GET of url into b, or NULL. */
static CURL *
fetch_handle(const char *url, long timeout_ms, struct curl_slist *headers,
    struct fetch_buf *b, char *curl_err)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* fetch_url follows redirects itself, once it has checked them. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)JWKS_FETCH_MAX);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "taskapi-jwks");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	return c;
}

static size_t
fetch_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fetch_buf *b = ud;
	size_t n = size * nmemb;

	if (n > JWKS_FETCH_MAX - b->len) {
		b->too_big = 1;
		return 0;	/* libcurl ends the transfer */
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

/* Why a GET gave no set: too big, libcurl's reason, or the status. */
static void
fetch_failure(CURLcode rc, long status, const struct fetch_buf *b,
    const char *curl_err, char *why, size_t whylen)
{
	if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(why, whylen, "the answer is over %d bytes",
		    JWKS_FETCH_MAX);
	else if (rc != CURLE_OK)
		snprintf(why, whylen, "%s", curl_err[0] != '\0' ?
		    curl_err : curl_easy_strerror(rc));
	else
		snprintf(why, whylen, "HTTP status %ld", status);
}
