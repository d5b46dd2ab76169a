/*
 * jwks.c: an external issuer's key source, and the verdict on a token's
 * signature. Opens JWT_JWKS_URL or JWT_JWKS_FILE, decides when the set is
 * read or fetched again (the refresh rules), finds the token's key and has
 * it checked, and logs what goes wrong. The jobs it calls on: keyset.c and
 * jwk.c (the parser), verify.c (the check), fetch.c (libcurl) and cache.c
 * (the cache file shared by every process, and JWT_JWKS_FILE).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"
#include "jwks/jwks_set.h"

/* A process with no keys at all waits this long for another's fetch in
 * flight before it answers 503: the first requests of a cold start. */
#define JWKS_COLD_WAIT_MS 1000

static enum jwks_lookup find_in_file(struct jwks *j, const char *kid,
    int alg, time_t now);
static enum jwks_lookup find_at_url(struct jwks *j, const char *kid, int alg,
    time_t now);
static int stale(const struct jwks *j, time_t now);
static int may_fetch(const struct jwks *j, time_t now);
static void refresh(struct jwks *j, time_t now);
static void fetch_timed(struct jwks *j, time_t now);
static void fetch_set(struct jwks *j, time_t now, long budget_ms);

struct jwks *
jwks_open(const struct jwks_settings *s, char *err, size_t errlen)
{
	struct jwks *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->algorithms = s->algorithms;
	j->cache_seconds = s->cache_seconds > 0 ? s->cache_seconds :
	    JWKS_DEFAULT_CACHE_SECONDS;
	j->retry_seconds = s->retry_seconds > 0 ? s->retry_seconds :
	    JWKS_DEFAULT_RETRY_SECONDS;
	if (s->file != NULL) {
		if ((j->file = strdup(s->file)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (cache_sync_jwks_file(j, time(NULL), err, errlen) != 0)
			goto fail;
		return j;
	}
	if (s->url == NULL || (j->url = strdup(s->url)) == NULL) {
		snprintf(err, errlen, "no JWKS source");
		goto fail;
	}
	if (fetch_url_allowed(j->url, s->allow_http, err, errlen) != 0)
		goto fail;
	cache_open(j, s->cache_file);
	return j;
fail:
	jwks_close(j);
	return NULL;
}

void
jwks_close(struct jwks *j)
{
	if (j == NULL)
		return;
	jwks_set_free(j->set);
	json_object_put(j->doc);
	if (j->curl_ready)
		fetch_global_cleanup();
	free(j->url);
	free(j->file);
	free(j->cache_path);
	free(j->lock_path);
	free(j);
}

enum jwks_verdict
jwks_verify(struct jwks *j, const char *alg_name, const char *kid,
    const unsigned char *input, size_t input_len, const unsigned char *sig,
    size_t sig_len, time_t now)
{
	int alg = jwks_alg_from_name(alg_name);
	enum jwks_lookup found;

	/* Refused before any lookup, so it can never cause a fetch. */
	if (alg < 0 || (j->algorithms != 0 && (j->algorithms & 1u << alg) == 0))
		return JWKS_WRONG_KEY;
	found = j->file != NULL ? find_in_file(j, kid, alg, now) :
	    find_at_url(j, kid, alg, now);
	/*
	 * Never had a set (a worker started while the issuer is down, with
	 * no cache file to fall back on): no token of the issuer can be
	 * judged, and a 401 would log its user out for our outage.
	 */
	if (found == JWKS_KEY_NONE && j->set == NULL)
		return JWKS_UNAVAILABLE;
	if (found == JWKS_KEY_NONE)
		return JWKS_NO_KEY;
	if (found == JWKS_KEY_OTHER_ALG)
		return JWKS_WRONG_KEY;
	/* Kids should be unique; should two keys share one, either may sign. */
	for (size_t i = 0; i < j->set->n; i++) {
		const struct jwks_key *k = &j->set->keys[i];

		if ((int)k->alg == alg && strcmp(k->kid, kid) == 0 &&
		    verify_signature(k, input, input_len, sig, sig_len))
			return JWKS_OK;
	}
	return JWKS_BAD_SIGNATURE;
}

long
jwks_retry_after(const struct jwks *j, time_t now)
{
	long left = j->checked_at == 0 ? 1 :
	    (long)(j->checked_at + j->retry_seconds - now);

	/* A fetch that ended after this request began: a whole period. */
	return left < 1 ? 1 : left > j->retry_seconds ? j->retry_seconds : left;
}

void
jwks_replace_set(struct jwks *j, struct jwks_set *set,
    struct json_object *doc, time_t fetched_at)
{
	jwks_set_free(j->set);
	json_object_put(j->doc);
	j->set = set;
	j->doc = doc;
	j->fetched_at = fetched_at;
}

long
jwks_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L +
	    (now.tv_nsec - since->tv_nsec) / 1000000L;
}

void
jwks_log(const char *fmt, ...)
{
	va_list ap;

	fputs("taskapi: jwks: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* JWT_JWKS_FILE: read again only for a kid it did not have. */
static enum jwks_lookup
find_in_file(struct jwks *j, const char *kid, int alg, time_t now)
{
	enum jwks_lookup found;
	char err[256];

	/* A local file costs an open and an fstat to look at again. */
	if ((found = keyset_lookup(j->set, kid, alg)) != JWKS_KEY_NONE)
		return found;
	if (cache_sync_jwks_file(j, now, err, sizeof(err)) == 0)
		j->warned = 0;
	else if (!j->warned) {
		jwks_log("%s; the keys already read stay in use", err);
		j->warned = 1;
	}
	return keyset_lookup(j->set, kid, alg);
}

/*
 * JWT_JWKS_URL: whatever another process fetched is taken in at once (an
 * lstat when nothing changed), so every process serves the newest set: a
 * key the issuer removed goes everywhere. Fetched again for an unknown kid
 * or a stale set, as the refresh rules allow; a process with no set at all
 * also looks for a fetch under way (refresh waits a moment for it).
 */
static enum jwks_lookup
find_at_url(struct jwks *j, const char *kid, int alg, time_t now)
{
	enum jwks_lookup found;

	cache_sync(j);
	found = keyset_lookup(j->set, kid, alg);
	if ((found == JWKS_KEY_NONE || stale(j, now)) &&
	    (may_fetch(j, now) || j->set == NULL)) {
		refresh(j, now);
		found = keyset_lookup(j->set, kid, alg);
	}
	return found;
}

/* The set is older than the cache period, or from a clock ahead of ours. */
static int
stale(const struct jwks *j, time_t now)
{
	return j->set == NULL || now - j->fetched_at >= j->cache_seconds ||
	    j->fetched_at > now;
}

/*
 * At most one fetch per retry period, whatever asks for it: none while
 * one is under way (checked_at is its start), and none within the period
 * after it ended (checked_at is its end). Another process's fetch that
 * started or ended while this request ran is not a clock gone back; a
 * clock that went back further than a period and a fetch fetches at once.
 */
static int
may_fetch(const struct jwks *j, time_t now)
{
	return j->checked_at == 0 || now - j->checked_at >= j->retry_seconds ||
	    j->checked_at > now + j->retry_seconds + JWKS_FETCH_TIMEOUT_MS / 1000;
}

/*
 * Fetches the set once, under the cache file's lock. Its start goes to
 * the cache file before the GET, so the other processes see a fetch under
 * way and neither start another nor wait on the issuer: they answer from
 * the keys they have (a process that has none waits a moment for the
 * fetch, then answers 503). Its end goes there after, and the next fetch
 * comes a period later. So one request per period at most waits on the
 * issuer, at most JWKS_FETCH_TIMEOUT_MS, however slow it is.
 */
static void
refresh(struct jwks *j, time_t now)
{
	int lock = -2;

	if (j->cache_path != NULL) {
		lock = cache_lock(j, j->set == NULL ? JWKS_COLD_WAIT_MS : 0);
		/* Another's fetch, under way (-1) or just ended: its result
		 * and its times come through the cache file. */
		cache_sync(j);
		if (lock == -1)
			return;
	}
	if (may_fetch(j, now))
		fetch_timed(j, now);
	if (lock >= 0)
		close(lock);	/* releases the lock */
}

/* One fetch, its start and then its end told to the other processes. */
static void
fetch_timed(struct jwks *j, time_t now)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	j->checked_at = now;
	cache_write(j);
	fetch_set(j, now, JWKS_FETCH_TIMEOUT_MS);
	j->checked_at = now + jwks_elapsed_ms(&start) / 1000;
	cache_write(j);
}

/* One GET of the set within budget_ms: the new set taken, or why not logged. */
static void
fetch_set(struct jwks *j, time_t now, long budget_ms)
{
	struct jwks_set *set = NULL;
	struct json_object *doc;
	char why[JWKS_FETCH_WHY_MAX], note[256] = "";
	const char *keep;
	size_t len;
	char *text;

	/*
	 * libcurl is set up on the first fetch, not at start: a plain CGI
	 * process starts for each request, and most never fetch (about half a
	 * millisecond each, measured).
	 */
	if (!j->curl_ready && fetch_global_init() == 0)
		j->curl_ready = 1;
	/* What a failure leaves: the set in hand, or none (JWKS_UNAVAILABLE). */
	keep = j->set != NULL ? "the keys already known stay in use" :
	    "no keys yet: the issuer's tokens get 503 until a fetch works";
	if (!j->curl_ready) {
		jwks_log("cannot initialise libcurl; %s", keep);
		return;
	}
	if ((text = fetch_url(j->url, budget_ms, &len, why,
	    sizeof(why))) == NULL) {
		jwks_log("fetching %s failed: %s; %s", j->url, why, keep);
		return;
	}
	doc = keyset_parse_json(text, len);
	free(text);
	if (doc == NULL || keyset_from_json(doc, j->algorithms, &set, note,
	    sizeof(note)) != 0) {
		jwks_log("%s did not answer a JSON Web Key Set%s%s; %s",
		    j->url, note[0] != '\0' ? ": " : "", note, keep);
		json_object_put(doc);
		return;
	}
	if (note[0] != '\0')
		jwks_log("%s: %s", j->url, note);
	jwks_replace_set(j, set, doc, now);
}
