/*
 * procs.c: the processes of a test instance (procs.h).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "support/helpers.h"
#include "support/procs.h"

/* More than any instance runs for one route. */
#define WORKERS_MAX 16

pid_t
route_supervisor(const char *dir, const char *route)
{
	char path[1024];
	long pid = 0;
	FILE *f;

	cr_assert(dir != NULL, "TASKAPI_TEST_RUN_DIR is not set: run the suite with make test");
	snprintf(path, sizeof(path), "%s/pids/%s.pid", dir, route);
	cr_assert_not_null(f = fopen(path, "r"), "no %s", path);
	cr_assert_eq(fscanf(f, "%ld", &pid), 1, "%s holds no pid", path);
	fclose(f);
	cr_assert_gt(pid, 1);
	return (pid_t)pid;
}

/*
 * The live children of parent (zombies, which have died but are not yet
 * reaped, do not count), found by their parent pid in /proc/<pid>/stat.
 */
int
route_workers(pid_t parent, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[1024], state;
		const char *p;
		long ppid;
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;	/* it has just exited */
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		/* The command name may hold spaces and parentheses: the
		 * fields after it start at the last ')'. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
			continue;
		if (ppid == (long)parent && state != 'Z' && n < max)
			out[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}

/* Whether pid runs the route program of that name (not, say, a fork of
 * the supervisor that has yet to exec it). */
int
runs_program(pid_t pid, const char *program)
{
	char path[64], cmd[4096];
	const char *base;
	size_t n;
	FILE *f;

	/*
	 * The command line, not the executable: under tests/run --valgrind a
	 * worker is valgrind running the program, which is then one of the
	 * arguments. Any argument whose last path element is program counts.
	 */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
		base = strrchr(cmd + i, '/');
		base = base != NULL ? base + 1 : cmd + i;
		if (strcmp(base, program) == 0)
			return 1;
	}
	return 0;
}

void
route_restart(const char *dir, const char *route, double timeout_s)
{
	pid_t sup = route_supervisor(dir, route), old[WORKERS_MAX],
	    now[WORKERS_MAX];
	double t0 = test_monotonic_s();
	int n = route_workers(sup, old, WORKERS_MAX), m;

	cr_assert_gt(n, 0, "%s has no workers under %ld", route, (long)sup);
	for (int i = 0; i < n; i++)
		cr_assert_eq(kill(old[i], SIGTERM), 0, "kill %ld", (long)old[i]);
	for (;;) {
		int fresh = 0;

		m = route_workers(sup, now, WORKERS_MAX);
		for (int i = 0; i < m; i++) {
			int seen = 0;

			for (int j = 0; j < n; j++)
				seen |= now[i] == old[j];
			fresh += !seen && runs_program(now[i], route);
		}
		if (m == n && fresh == n)
			return;
		cr_assert_lt(test_monotonic_s() - t0, timeout_s,
		    "%s: %d of %d workers replaced after %.1f s", route, fresh,
		    n, timeout_s);
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
}
