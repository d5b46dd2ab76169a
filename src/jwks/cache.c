/*
 * cache.c: the files keys are read from. For a URL, one cache file shared
 * by every process of the host, with the set, when it was fetched and when
 * a fetch was last tried, and a lock beside it that one fetching process
 * holds: so CGI and FastCGI processes alike fetch about once per
 * JWKS_DEFAULT_CACHE_SECONDS, and an unknown kid (a rotation, or a flood of
 * made-up ones) costs the issuer at most one fetch per retry period. Else
 * JWT_JWKS_FILE, read again when it changes.
 * Whoever can write the cache file can make us accept any token: it is
 * written atomically with mode 0600 and read only when our user owns it and
 * nobody else can write it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "json/json.h"
#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

/* The cache file: the set plus a few small fields. */
#define JWKS_CACHE_MAX (JWKS_FETCH_MAX + 4096)
/* Waiting for another process's fetch: polled at this interval. */
#define JWKS_LOCK_POLL_MS 10

static int cache_changed(struct jwks *j);
static struct json_object *cache_read(struct jwks *j);
static void cache_take(struct jwks *j, struct json_object *doc);
static struct json_object *cache_document(const struct jwks *j);
static int replace_file(const char *path, const char *text, size_t len,
    struct stat *st);
static int write_all(int fd, const char *text, size_t len);
static int open_trusted(const char *path, int nofollow, int root_ok,
    struct jwks_file_id *id, char *why, size_t whylen);
static char *read_fd(int fd, size_t max, size_t *len);
static void id_from_stat(struct jwks_file_id *id, const struct stat *st);
static int same_file(const struct jwks_file_id *a,
    const struct jwks_file_id *b);

/*
 * Names the cache file of j->url and its lock: cache_file, else the
 * default (folder.c). Without a usable one, j still serves, with the
 * rules of one process: the set it fetched stays in its memory.
 */
void
cache_open(struct jwks *j, const char *cache_file)
{
	if (cache_file != NULL)
		j->cache_path = strdup(cache_file);
	else
		j->cache_path = folder_cache_path(j->url);
	if (j->cache_path != NULL &&
	    asprintf(&j->lock_path, "%s.lock", j->cache_path) < 0) {
		j->lock_path = NULL;
		free(j->cache_path);
		j->cache_path = NULL;
	}
}

/*
 * JWT_JWKS_FILE: read again whenever it changed. Symbolic links are
 * followed (configuration mounts use them); root may own it.
 */
int
cache_sync_jwks_file(struct jwks *j, time_t now, char *err, size_t errlen)
{
	struct jwks_file_id id = { 0 };
	struct jwks_set *set;
	struct json_object *doc;
	char note[256], why[512];
	size_t len;
	char *text;
	int fd;

	if ((fd = open_trusted(j->file, 0, 1, &id, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s", why);
		return -1;
	}
	if (same_file(&id, &j->seen)) {
		close(fd);
		return 0;
	}
	text = read_fd(fd, JWKS_FETCH_MAX, &len);
	close(fd);
	if (text == NULL) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s cannot be read or is "
		    "over %d bytes", j->file, JWKS_FETCH_MAX);
		return -1;
	}
	note[0] = '\0';
	doc = keyset_parse_json(text, len);
	free(text);
	if (doc == NULL || keyset_from_json(doc, j->algorithms, &set, note,
	    sizeof(note)) != 0) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s is not a JSON Web Key "
		    "Set%s%s", j->file, note[0] != '\0' ? ": " : "", note);
		json_object_put(doc);
		return -1;
	}
	if (note[0] != '\0')
		jwks_log("JWT_JWKS_FILE: %s", note);
	jwks_replace_set(j, set, doc, now);
	j->seen = id;
	return 0;
}

/*
 * Takes in what another process wrote to the cache file: a newer set, and
 * the time of the last fetch attempt. A file we cannot trust is ignored
 * (and said so once); the next fetch replaces it.
 */
void
cache_sync(struct jwks *j)
{
	struct json_object *doc;

	if (j->cache_path == NULL || !cache_changed(j))
		return;
	if ((doc = cache_read(j)) == NULL)
		return;
	cache_take(j, doc);
	json_object_put(doc);
}

/* The hot path: one lstat tells the file is the one we last read or wrote. */
static int
cache_changed(struct jwks *j)
{
	struct jwks_file_id id = { 0 };
	struct stat st;

	if (lstat(j->cache_path, &st) != 0)
		return 1;
	id_from_stat(&id, &st);
	return !same_file(&id, &j->seen);
}

/*
 * The cache file's JSON, or NULL when it is gone, untrusted, unchanged
 * after all, unreadable or not JSON. Read once per change, whatever it
 * holds.
 */
static struct json_object *
cache_read(struct jwks *j)
{
	struct jwks_file_id id = { 0 };
	struct json_object *doc;
	char why[512];
	size_t len;
	char *text;
	int fd;

	if ((fd = open_trusted(j->cache_path, 1, 0, &id, why, sizeof(why))) < 0) {
		if (errno != ENOENT && !j->warned) {
			jwks_log("cache file refused: %s", why);
			j->warned = 1;
		}
		return NULL;
	}
	j->warned = 0;
	if (same_file(&id, &j->seen)) {
		close(fd);
		return NULL;
	}
	text = read_fd(fd, JWKS_CACHE_MAX, &len);
	close(fd);
	if (text == NULL)
		return NULL;
	doc = keyset_parse_json(text, len);
	free(text);
	j->seen = id;
	return doc;
}

/* The fetch times and, when newer than ours, the set of our URL's doc. */
static void
cache_take(struct jwks *j, struct json_object *doc)
{
	struct json_object *v, *keys = NULL;
	struct jwks_set *set = NULL;
	time_t fetched_at = 0, checked_at = 0;
	const char *source;

	if (!json_object_is_type(doc, json_type_object) ||
	    (source = json_member_string(doc, "source")) == NULL ||
	    strcmp(source, j->url) != 0)
		return;	/* another URL's, or not ours at all */
	if (json_object_object_get_ex(doc, "fetched_at", &v) &&
	    json_object_is_type(v, json_type_int))
		fetched_at = (time_t)json_object_get_int64(v);
	if (json_object_object_get_ex(doc, "checked_at", &v) &&
	    json_object_is_type(v, json_type_int))
		checked_at = (time_t)json_object_get_int64(v);
	if (checked_at > j->checked_at)
		j->checked_at = checked_at;
	if (json_object_object_get_ex(doc, "jwks", &keys) && keys != NULL &&
	    (j->set == NULL || fetched_at > j->fetched_at) &&
	    keyset_from_json(keys, j->algorithms, &set, NULL, 0) == 0)
		jwks_replace_set(j, set, json_object_get(keys), fetched_at);
}

/* Writes the set and the fetch times for the other processes. */
void
cache_write(struct jwks *j)
{
	struct json_object *o;
	struct stat st;
	const char *text;

	if (j->cache_path == NULL || (o = cache_document(j)) == NULL)
		return;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (replace_file(j->cache_path, text, strlen(text), &st) == 0)
		/* Our own write needs no reading back. */
		id_from_stat(&j->seen, &st);
	else
		jwks_log("cannot write the cache file %s: %s", j->cache_path,
		    strerror(errno));
	json_object_put(o);
}

/* {"source", "fetched_at", "checked_at", "jwks"}: what cache_take reads. */
static struct json_object *
cache_document(const struct jwks *j)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "source", json_object_new_string(j->url));
	json_object_object_add(o, "fetched_at",
	    json_object_new_int64((int64_t)j->fetched_at));
	json_object_object_add(o, "checked_at",
	    json_object_new_int64((int64_t)j->checked_at));
	json_object_object_add(o, "jwks", json_object_get(j->doc));
	return o;
}

/*
 * Writes text to a new file of mode 0600 beside path, then renames it over
 * path, so a reader sees the old file or the new one, never half of one.
 * Returns 0 with the new file's stat in *st, or -1 with errno.
 */
static int
replace_file(const char *path, const char *text, size_t len, struct stat *st)
{
	char *tmp = NULL;
	int fd = -1, saved, rc;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		goto fail;
	}
	/* mkstemp creates the file with mode 0600, and only if new. */
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0600) != 0 ||
	    write_all(fd, text, len) != 0)
		goto fail;
	if (fstat(fd, st) != 0)
		goto fail;
	/* A failed close has still released the descriptor. */
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		goto fail;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	/* The caller reports the failure's errno, not the clean-up's. */
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL && tmp[0] != '\0')
		unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* 0 when all of text is written to fd, else -1 with errno. */
static int
write_all(int fd, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * The fetch lock, a file beside the cache file: the descriptor holding it,
 * -1 when another process held it for the whole budget (0: one try, no
 * wait), or -2 when there is no usable lock file (the fetch then goes
 * ahead unlocked).
 */
int
cache_lock(struct jwks *j, long budget_ms)
{
	struct timespec start, pause = { 0, JWKS_LOCK_POLL_MS * 1000000L };
	struct stat st;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = open(j->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -2;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return -2;
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -2;
		}
		if (jwks_elapsed_ms(&start) >= budget_ms) {
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

/*
 * Opens a file we are to trust: a regular file, owned by our user (or by
 * root when root_ok), that neither group nor others can write.
 */
static int
open_trusted(const char *path, int nofollow, int root_ok,
    struct jwks_file_id *id, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		goto refuse;
	}
	if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0)) {
		snprintf(why, whylen, "%s is owned by another user", path);
		goto refuse;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, whylen, "%s is writable by group or others", path);
		goto refuse;
	}
	id_from_stat(id, &st);
	return fd;
refuse:
	close(fd);
	errno = EPERM;
	return -1;
}

/* The whole file, NUL-terminated (free()), or NULL when over max bytes. */
static char *
read_fd(int fd, size_t max, size_t *len)
{
	char *buf = malloc(max + 2);
	size_t n = 0;
	ssize_t got;

	if (buf == NULL)
		return NULL;
	while (n <= max && (got = read(fd, buf + n, max + 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
id_from_stat(struct jwks_file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->valid = 1;
}

static int
same_file(const struct jwks_file_id *a, const struct jwks_file_id *b)
{
	return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}
