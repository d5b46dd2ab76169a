/*
 * fetch.c: the key set's GET over libcurl, and libcurl's set-up. http and
 * https only, also across redirects, and never from https down to http;
 * bounded in time (the caller's budget, within JWKS_FETCH_TIMEOUT_MS) and
 * in size (JWKS_FETCH_MAX), since it runs inside a request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

/* Redirects a URL may take (to http or https only, never down from https). */
#define JWKS_MAX_REDIRECTS 3

_Static_assert(JWKS_FETCH_WHY_MAX >= CURL_ERROR_SIZE + 64,
    "a failed fetch's reason holds libcurl's message");

/* The body as it arrives, in a buffer of JWKS_FETCH_MAX + 1 bytes. */
struct fetch_buf {
	char *data;
	size_t len;
	int too_big;
};

static CURL *fetch_handle(const char *url, long timeout_ms,
    struct curl_slist *headers, struct fetch_buf *b, char *curl_err);
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
 * GETs url within timeout_ms; the body (NUL-terminated, free()) of a 200,
 * or NULL with why. http and https only, also across redirects, and never
 * from https down to http.
 */
char *
fetch_url(const char *url, long timeout_ms, size_t *len, char *why,
    size_t whylen)
{
	struct fetch_buf b = { NULL, 0, 0 };
	struct curl_slist *headers = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	CURL *c = NULL;

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
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
	    strncmp(url, "https:", 6) == 0 ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)JWKS_MAX_REDIRECTS);
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
