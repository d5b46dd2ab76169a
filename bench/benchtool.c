/*
 * benchtool: what bench/run needs from the project's own code, so that the
 * benchmark signs, hashes and queries exactly as the programs do: tokens
 * issued by token_issue() with the instance's settings, the time of one
 * password check by password_verify() at the API's scrypt parameters (the
 * floor of the login route is cores / that time), and the statements of
 * src/db/statements.c's table, read through db_stmt_text so the SQL floor
 * cannot drift from what the programs prepare.
 *
 *   benchtool tokens            one token per line read from stdin: a
 *                               subject, and after a tab the session id
 *                               its token carries (none: no sid)
 *   benchtool hash-time N       the fastest and the median time of N
 *                               password checks, seconds
 *   benchtool sql NAME VAR...   statement STMT_NAME as a pgbench command,
 *                               its $1, $2... written :VAR...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/password.h"
#include "auth/token.h"
#include "config/config.h"
#include "db/db.h"

/*
 * A subject is at most 255 characters (docs/API.md "Subjects"), a session
 * id a UUID; longer lines are refused.
 */
#define SUBJECT_LINE_BYTES (TOKEN_SUBJECT_BYTES + TOKEN_SID_BYTES + 2)
/* Enough checks for a stable median, few enough to cost a few seconds. */
#define HASH_RUNS_MAX 51

/* The statements a route runs on the benchmark's paths, by enum name. */
static const struct {
	const char *name;
	enum db_stmt stmt;
} stmt_names[] = {
	{ "SET_SUBJECT", STMT_SET_SUBJECT },
	{ "SET_SUBJECT_GENERIC", STMT_SET_SUBJECT_GENERIC },
	{ "USER_BY_EMAIL", STMT_USER_BY_EMAIL },
	{ "TASK_LIST", STMT_TASK_LIST },
	{ "TASK_PAGE", STMT_TASK_PAGE },
	/* The list without q: -created_at, all tasks, from an offset. */
	{ "TASK_SORTED", DB_STMT_SORTED(1, 0, 0) },
	{ "TASK_COUNT", STMT_TASK_COUNT },
	{ "TASK_INSERT", STMT_TASK_INSERT },
	{ "TASK_GET", STMT_TASK_GET },
	{ "TASK_PATCH", STMT_TASK_PATCH },
	{ "TASK_DELETE", STMT_TASK_DELETE },
};

static int tokens(void);
static int hash_time(int runs);
static int sql(const char *name, int nvars, char *vars[]);
static void put_literal(FILE *out, const char *s, size_t len);
static int compare_double(const void *a, const void *b);
static double now_seconds(void);
static void usage(void);

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "tokens") == 0)
		return tokens();
	if (argc == 3 && strcmp(argv[1], "hash-time") == 0)
		return hash_time(atoi(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "sql") == 0)
		return sql(argv[2], argc - 3, argv + 3);
	usage();
	return 2;
}

static void
usage(void)
{
	fprintf(stderr, "usage: benchtool tokens < subjects\n"
	    "       benchtool hash-time runs\n"
	    "       benchtool sql STATEMENT [variable ...]\n");
}

/*
 * Signs with the same configuration the programs load (JWT_SECRET from the
 * environment or TASKAPI_ENV_FILE), so the tokens are the programs' own.
 */
static int
tokens(void)
{
	struct config cfg;
	char err[256], line[SUBJECT_LINE_BYTES];
	time_t now = time(NULL);
	char *token, *sid;
	size_t len;
	int rc = 0;

	if (config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "benchtool: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\r\n");
		if (line[len] == '\0' || len == 0) {
			fprintf(stderr, "benchtool: empty or overlong subject\n");
			rc = 1;
			break;
		}
		line[len] = '\0';
		if ((sid = strchr(line, '\t')) != NULL)
			*sid++ = '\0';
		if ((token = token_issue(&cfg, line, NULL, sid, now)) == NULL) {
			fprintf(stderr, "benchtool: cannot sign for %s\n", line);
			rc = 1;
			break;
		}
		printf("%s\n", token);
		free(token);
	}
	config_free(&cfg);
	return rc;
}

/*
 * A login for an unknown email checks against the fixed hash, at the same
 * cost as a real account: that is the work of one login, timed here on one
 * core. Prints the fastest and the median of the runs: on a shared machine
 * the fastest is the closest to the cost of the hash alone.
 */
static int
hash_time(int runs)
{
	double t[HASH_RUNS_MAX], start;

	if (runs < 1 || runs > HASH_RUNS_MAX) {
		fprintf(stderr, "benchtool: runs must be 1 to %d\n",
		    HASH_RUNS_MAX);
		return 2;
	}
	for (int i = 0; i < runs; i++) {
		start = now_seconds();
		if (password_verify(password_dummy_hash, "not the password") != 0) {
			fprintf(stderr, "benchtool: the check did not fail\n");
			return 1;
		}
		t[i] = now_seconds() - start;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), compare_double);
	printf("%.6f %.6f\n", t[0], t[runs / 2]);
	return 0;
}

/*
 * pgbench names parameters :var and, in prepared mode, turns every :word of
 * the text into one, even inside a string literal: the timestamp format
 * 'HH24:MI:SS' would gain two. Such a literal is written as the same
 * string in escape syntax (E'...\072...'), which parses to the same
 * constant, so the plan and its cost are the programs' own.
 */
static int
sql(const char *name, int nvars, char *vars[])
{
	const char *s = NULL, *end;
	char *buf = NULL, *e;
	size_t i, len = 0;
	long n;
	FILE *out;
	int rc = 0;

	for (i = 0; i < sizeof(stmt_names) / sizeof(stmt_names[0]); i++)
		if (strcmp(stmt_names[i].name, name) == 0)
			s = db_stmt_text(stmt_names[i].stmt);
	if (s == NULL) {
		fprintf(stderr, "benchtool: no statement %s\n", name);
		return 2;
	}
	/* Written to memory first: a statement is printed whole or not. */
	if ((out = open_memstream(&buf, &len)) == NULL)
		return 1;
	while (rc == 0 && *s != '\0') {
		if (*s == '\'') {
			/* A doubled quote inside ends one literal and starts
			 * the next, which spells the same string. */
			if ((end = strchr(s + 1, '\'')) == NULL) {
				fprintf(stderr, "benchtool: unterminated literal\n");
				rc = 1;
				break;
			}
			put_literal(out, s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else if (*s == '$' && s[1] >= '1' && s[1] <= '9') {
			n = strtol(s + 1, &e, 10);
			if (n > nvars) {
				fprintf(stderr, "benchtool: %s has $%ld: name it\n",
				    name, n);
				rc = 2;
				break;
			}
			fprintf(out, ":%s", vars[n - 1]);
			s = e;
		} else
			fputc(*s++, out);
	}
	fclose(out);
	if (rc == 0)
		printf("%s\n", buf);
	free(buf);
	return rc;
}

static void
put_literal(FILE *out, const char *s, size_t len)
{
	if (memchr(s, ':', len) == NULL && memchr(s, '\\', len) == NULL) {
		fprintf(out, "'%.*s'", (int)len, s);
		return;
	}
	fputs("E'", out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			fputs("\\072", out);
		else if (s[i] == '\\')
			fputs("\\\\", out);
		else
			fputc(s[i], out);
	}
	fputc('\'', out);
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
