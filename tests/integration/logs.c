/*
 * Integration: secrets and tokens never reach a log. tests/run runs this
 * suite alone, after every other test, so it reads the logs of a whole run:
 * nginx's access and error logs, every route program's log, PostgreSQL's
 * log and the stack's own output. None may hold the signing secrets, a
 * token (every JWT starts with "eyJ", the base64 of '{"'), or a bearer
 * credential.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "support/helpers.h"
#include "support/keys.h"

/* Whether needle occurs in the first len bytes of hay (which may hold NULs). */
static int
contains(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static void
scan(const char *path, size_t *bytes, int *files)
{
	const char *secrets[] = { getenv("JWT_SECRET"),
	    getenv("JWT_SECRET_PREVIOUS") };
	size_t len;
	char *text = key_read_file_len(path, &len);

	cr_assert_not_null(text, "cannot read %s", path);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		cr_assert(secrets[i] != NULL && strlen(secrets[i]) >= 32);
		cr_expect(!contains(text, len, secrets[i]),
		    "%s holds a signing secret", path);
	}
	cr_expect(!contains(text, len, "eyJ"), "%s holds a token", path);
	cr_expect(!contains(text, len, "Bearer "), "%s holds a credential", path);
	*bytes += len;
	(*files)++;
	free(text);
}

/* Every file of a log folder. */
static void
scan_dir(const char *dir, size_t *bytes, int *files)
{
	char path[8192];
	struct dirent *e;
	DIR *d;

	cr_assert((d = opendir(dir)) != NULL, "no log folder %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		scan(path, bytes, files);
	}
	closedir(d);
}

Test(logs, hold_no_secret_and_no_token)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	char dir[4096], path[8192];
	size_t bytes = 0, min_bytes;
	int files = 0, min_files;

	cr_assert(run != NULL, "TASKAPI_TEST_RUN_DIR is not set: run make test");
	snprintf(dir, sizeof(dir), "%s/log", run);
	scan_dir(dir, &bytes, &files);
	/* The second instance, behind the external issuer alone. */
	snprintf(dir, sizeof(dir), "%s/jwks-only/log", run);
	scan_dir(dir, &bytes, &files);
	snprintf(path, sizeof(path), "%s/stack.log", run);
	scan(path, &bytes, &files);
	fprintf(stderr, "logs: scanned %d files, %zu bytes\n", files, bytes);
	/* The run happened: nginx logged the suite's requests, and every
	 * route program and PostgreSQL have a log (through Apache, the
	 * programs' stderr is in its error log: tests/run says how many). A
	 * shorter run (the browser's session) says how much it logs at least. */
	min_bytes = getenv("TASKAPI_TEST_LOG_MIN_BYTES") != NULL ?
	    strtoul(getenv("TASKAPI_TEST_LOG_MIN_BYTES"), NULL, 10) : 20000;
	min_files = getenv("TASKAPI_TEST_LOG_FILES") != NULL ?
	    atoi(getenv("TASKAPI_TEST_LOG_FILES")) : 10;
	cr_expect_geq(files, min_files, "only %d log files", files);
	cr_expect_gt(bytes, min_bytes, "only %zu bytes of logs", bytes);
}
