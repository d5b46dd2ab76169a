/*
 * folder.c: where the key set's cache file lives when JWT_JWKS_CACHE_FILE
 * does not say. Whoever can write that file or its folder can make us
 * accept any token, or take the keys away: so never a folder anyone may
 * create (such as one under /tmp, which another local user could make
 * first), and only a folder of our own user that nobody else can write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

/* place()'s answer past its last place. */
#define FOLDER_NO_MORE (-1)
/* The hex digits of SHA-256(url) that name the default cache file. */
#define FOLDER_NAME_HEX 16

static int place(int i, char *dir, size_t len);
static int parent_made(const char *home);
static void beside_program(char *dir, size_t len);
static int folder_ok(const char *dir, char *why, size_t whylen);
static int url_name(const char *url, char name[FOLDER_NAME_HEX + 1]);

/*
 * <folder>/jwks-<hash of the URL>.json, in the first folder of
 * place() that is set and that we alone can write. Said once, in one
 * line, when a folder is refused: a process reads this once.
 */
char *
folder_cache_path(const char *url)
{
	char *path = NULL;
	char dir[4096], name[FOLDER_NAME_HEX + 1], why[4096 + 128];
	int refused = 0;

	for (int i = 0; place(i, dir, sizeof(dir)) != FOLDER_NO_MORE; i++) {
		if (dir[0] == '\0')
			continue;
		if (folder_ok(dir, refused ? NULL : why, sizeof(why))
		    != 0) {
			refused = 1;
			continue;
		}
		if (url_name(url, name) == 0 &&
		    asprintf(&path, "%s/jwks-%s.json", dir, name) < 0)
			path = NULL;
		if (refused && path != NULL)
			jwks_log("%s; the cache file is %s instead", why, path);
		return path;
	}
	/* Still serves: each process then keeps its own rules. */
	jwks_log("no cache file (%s): each process fetches the set for "
	    "itself and keeps it in memory", refused ? why :
	    "neither CACHE_DIRECTORY nor a home folder is set");
	return NULL;
}

/*
 * The i-th place for the default cache folder, in dir ("" when unset):
 * systemd's CacheDirectory= (its first folder), the user's cache folder
 * (XDG_CACHE_HOME, else ~/.cache) under taskapi/, and, for a CGI program
 * whose environment has none of these, a private folder beside the env
 * file or the program. Never a shared folder such as /tmp, where another
 * user could make the folder first.
 */
static int
place(int i, char *dir, size_t len)
{
	const char *v;

	dir[0] = '\0';
	switch (i) {
	case 0:
		if ((v = getenv("CACHE_DIRECTORY")) != NULL && v[0] == '/')
			snprintf(dir, len, "%.*s", (int)strcspn(v, ":"), v);
		return 0;
	case 1:
		if ((v = getenv("XDG_CACHE_HOME")) != NULL && v[0] == '/')
			snprintf(dir, len, "%s/taskapi", v);
		else if ((v = getenv("HOME")) != NULL && v[0] == '/' &&
		    strcmp(v, "/") != 0 && parent_made(v) == 0)
			snprintf(dir, len, "%s/.cache/taskapi", v);
		return 0;
	case 2:
		beside_program(dir, len);
		return 0;
	default:
		return FOLDER_NO_MORE;
	}
}

/* Makes ~/.cache (mode 0700) when it is missing; 0, else -1. */
static int
parent_made(const char *home)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/.cache", home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * .taskapi-cache beside the env file TASKAPI_ENV_FILE names, else beside
 * the program (where taskapi.env is read from): on shared hosting, a
 * folder of the account's own.
 */
static void
beside_program(char *dir, size_t len)
{
	const char *env = getenv("TASKAPI_ENV_FILE");
	char path[4096];
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] == '/')
		snprintf(path, sizeof(path), "%s", env);
	else if ((n = readlink("/proc/self/exe", path,
	    sizeof(path) - 1)) > 0)
		path[n] = '\0';
	else
		return;
	if ((slash = strrchr(path, '/')) == NULL)
		return;
	*slash = '\0';
	/* A name cut short would be another folder: none then. */
	if (snprintf(dir, len, "%s/.taskapi-cache", path) >= (int)len)
		dir[0] = '\0';
}

/*
 * Makes dir (mode 0700) unless it exists, then takes it only if it is a
 * folder, not a link, of our own user, that group and others cannot
 * write: else whoever made it could feed us keys, or take them away.
 * 0, else -1 with why (when why is not NULL).
 */
static int
folder_ok(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	const char *what = NULL;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		what = strerror(errno);
	else if (lstat(dir, &st) != 0)
		what = strerror(errno);
	else if (S_ISLNK(st.st_mode))
		what = "a symbolic link";
	else if (!S_ISDIR(st.st_mode))
		what = "not a folder";
	else if (st.st_uid != geteuid())
		what = "owned by another user";
	else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		what = "writable by group or others";
	if (what == NULL)
		return 0;
	if (why != NULL)
		snprintf(why, whylen, "cache folder %s refused: %s", dir, what);
	return -1;
}

/* The first FOLDER_NAME_HEX hex digits of SHA-256(url); 0, else -1. */
static int
url_name(const char *url, char name[FOLDER_NAME_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (int i = 0; i < FOLDER_NAME_HEX / 2; i++)
		snprintf(name + 2 * i, 3, "%02x", md[i]);
	return 0;
}
