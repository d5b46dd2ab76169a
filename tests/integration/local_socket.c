/*
 * Integration: the programs are reached through nginx alone. A local user
 * who could speak FastCGI to a route's socket would skip nginx's rate
 * limit of register and login (docs/API.md "Rate limit") and its caps on
 * a request's size (docs/API.md "Limits of a request"). scripts/stack runs
 * the workers as an unprivileged user with no capabilities, and gives
 * their sockets to nginx's workers alone: a private folder and a socket
 * mode that grants nothing to other users.
 *
 * As root (make test on a fresh host) the test becomes another local user,
 * nobody, in a child process and tries every route's socket: the kernel
 * must refuse with EACCES. Not as root, the suite, nginx and the programs
 * are all the invoking user, and there is no other user the test could
 * become: it then checks what the kernel checks first for any other user,
 * that neither the sockets' folder nor a socket grants anything to group
 * or others. That reads modes instead of trying, and is the weaker check.
 *
 * Both instances of tests/run are checked: the main one and the one of
 * the external issuer alone.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support/procs.h"

/* More routes than cgi-bin/routes.txt has. */
#define ROUTES_MAX	32
#define ROUTE_NAME_MAX	64
#define WORKERS_MAX	16

struct routes {
	char name[ROUTES_MAX][ROUTE_NAME_MAX];
	int n;
};

/* The instances' folders (tests/run sets both). */
static const char *
instance_dir(int i)
{
	const char *d = getenv(i == 0 ? "TASKAPI_TEST_RUN_DIR" :
	    "TASKAPI_TEST_JWKS_ONLY_DIR");

	cr_assert(d != NULL, "TASKAPI_TEST_RUN_DIR or _JWKS_ONLY_DIR is not set: run make test");
	return d;
}

/* The routes an instance runs: one pid file each (scripts/stack). */
static void
routes_of(const char *dir, struct routes *out)
{
	char path[1024];
	struct dirent *e;
	size_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/pids", dir);
	cr_assert_not_null(d = opendir(path), "no %s", path);
	out->n = 0;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".pid") != 0 ||
		    len - 4 >= ROUTE_NAME_MAX || out->n >= ROUTES_MAX)
			continue;
		snprintf(out->name[out->n++], ROUTE_NAME_MAX, "%.*s",
		    (int)(len - 4), e->d_name);
	}
	closedir(d);
	cr_assert_geq(out->n, 7, "%s runs %d routes", dir, out->n);
}

/* connect(2) to the socket at path: 0, or the errno it failed with. */
static int
socket_connect_errno(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, rc;

	if (len >= sizeof(a.sun_path))
		return ENAMETOOLONG;
	memcpy(a.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return errno;
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

/*
 * The errno another local user (who) meets connecting to path: a child
 * process drops every group and becomes who, then tries. Root only.
 */
static int
connect_errno_as(const struct passwd *who, const char *path)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork");
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(who->pw_gid) != 0 ||
		    setuid(who->pw_uid) != 0 || getuid() == 0)
			_exit(255);
		_exit(socket_connect_errno(path));
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "the child as %s did not exit", who->pw_name);
	cr_assert_neq(WEXITSTATUS(status), 255, "could not become %s", who->pw_name);
	return WEXITSTATUS(status);
}

/* The socket of route is there (so a refusal is not for a missing file). */
static void
socket_exists(const char *dir, const char *route, char *path, size_t len)
{
	struct stat st;

	snprintf(path, len, "%s/fcgi/%s.sock", dir, route);
	cr_assert_eq(stat(path, &st), 0, "no socket %s", path);
	cr_assert(S_ISSOCK(st.st_mode), "%s is not a socket", path);
}

/* path's mode grants nothing to others (nor to group, when group_too). */
static void
mode_is_private(const char *path, int group_too)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "no %s", path);
	cr_assert_eq(st.st_mode & (group_too ? 0077 : 0007), 0,
	    "%s has mode %04o", path, (unsigned)(st.st_mode & 07777));
}

Test(local_socket, another_local_user_cannot_connect_to_a_route)
{
	struct passwd *nobody = getpwnam("nobody");
	char path[1024];
	struct routes rs;
	int root = geteuid() == 0;

	for (int i = 0; i < 2; i++) {
		const char *dir = instance_dir(i);

		routes_of(dir, &rs);
		for (int r = 0; r < rs.n; r++) {
			socket_exists(dir, rs.name[r], path, sizeof(path));
			if (root) {
				int e;

				cr_assert_not_null(nobody, "no user nobody");
				e = connect_errno_as(nobody, path);
				cr_assert_eq(e, EACCES, "nobody connecting to %s: %s",
				    path, e == 0 ? "connected" : strerror(e));
			}
			/* nginx's workers are the group (as root) or the
			 * owner (not as root): no one else. */
			mode_is_private(path, !root);
		}
		/* Not as root, the folder is the invoking user's alone. */
		snprintf(path, sizeof(path), "%s/fcgi", dir);
		mode_is_private(path, !root);
	}
}

/* A "Name:" line of /proc/<pid>/status, after the name; 0 if none. */
static int
proc_status_line(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], line[512];
	size_t n = strlen(name);
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	cr_assert_not_null(f = fopen(path, "r"), "no %s", path);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			snprintf(out, len, "%s", line + n + 1);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * pid runs as an unprivileged user: its real, effective, saved and
 * file-system ids, user and group, are not root's (as root: the workers'
 * user; otherwise the invoking user's, all of them), it holds no
 * capability, effective, permitted or ambient, and it can gain none
 * (no_new_privs: a set-user-ID or file-capability program it runs does
 * not raise it, as systemd's NoNewPrivileges=).
 */
static void
process_is_unprivileged(pid_t pid, const char *what)
{
	static const char *const caps[] = { "CapEff", "CapPrm", "CapAmb" };
	static const char *const ids[] = { "Uid", "Gid" };
	char v[512];
	long id[4];

	for (int i = 0; i < 2; i++) {
		cr_assert(proc_status_line(pid, ids[i], v, sizeof(v)));
		cr_assert_eq(sscanf(v, "%ld %ld %ld %ld", &id[0], &id[1],
		    &id[2], &id[3]), 4, "%s: %s", ids[i], v);
		for (int k = 0; k < 4; k++) {
			long want = i == 0 ? (long)getuid() : (long)getgid();

			if (geteuid() == 0)
				cr_assert_neq(id[k], 0, "%s runs with %s %s", what, ids[i], v);
			else
				cr_assert_eq(id[k], want, "%s runs with %s %s", what, ids[i], v);
		}
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		cr_assert(proc_status_line(pid, caps[i], v, sizeof(v)));
		cr_assert_eq(strtoull(v, NULL, 16), 0, "%s has %s %s", what,
		    caps[i], v);
	}
	cr_assert(proc_status_line(pid, "NoNewPrivs", v, sizeof(v)));
	cr_assert_eq(atoi(v), 1, "%s may gain privileges: NoNewPrivs %s",
	    what, v);
}

Test(local_socket, workers_run_unprivileged_with_no_capabilities)
{
	pid_t sup, w[WORKERS_MAX];
	char what[256];
	struct routes rs;
	int n;

	for (int i = 0; i < 2; i++) {
		const char *dir = instance_dir(i);

		routes_of(dir, &rs);
		for (int r = 0; r < rs.n; r++) {
			sup = route_supervisor(dir, rs.name[r]);
			snprintf(what, sizeof(what), "%s's supervisor", rs.name[r]);
			process_is_unprivileged(sup, what);
			n = route_workers(sup, w, WORKERS_MAX);
			cr_assert_gt(n, 0, "%s has no workers", rs.name[r]);
			for (int k = 0; k < n; k++) {
				snprintf(what, sizeof(what), "%s's worker %ld",
				    rs.name[r], (long)w[k]);
				process_is_unprivileged(w[k], what);
			}
		}
	}
}

/* A variable of pid's environment, into out; 0 if it has none. */
static int
proc_environ_get(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], env[65536];
	size_t n, k = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	cr_assert_not_null(f = fopen(path, "rb"), "no %s", path);
	n = fread(env, 1, sizeof(env) - 1, f);
	fclose(f);
	env[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(env + i) + 1) {
		if (strncmp(env + i, name, k) == 0 && env[i + k] == '=') {
			snprintf(out, len, "%s", env + i + k + 1);
			return 1;
		}
	}
	return 0;
}

/*
 * The workers' cache folder (CACHE_DIRECTORY, as systemd's CacheDirectory=
 * sets it: where the JWKS cache file lives by default) is theirs and
 * private: owned by their user, nothing for group or others. So is the
 * folder of the cache file tests/run names (JWT_JWKS_CACHE_FILE).
 */
Test(local_socket, workers_have_a_private_cache_folder)
{
	pid_t sup, w[WORKERS_MAX];
	char dir[4096], file[4096], path[1024];
	struct stat st, wst;

	sup = route_supervisor(instance_dir(0), "auth_me");
	cr_assert_gt(route_workers(sup, w, WORKERS_MAX), 0);
	snprintf(path, sizeof(path), "/proc/%ld", (long)w[0]);
	cr_assert_eq(stat(path, &wst), 0);
	cr_assert(proc_environ_get(w[0], "CACHE_DIRECTORY", dir, sizeof(dir)),
	    "the workers have no CACHE_DIRECTORY");
	cr_assert(proc_environ_get(w[0], "JWT_JWKS_CACHE_FILE", file,
	    sizeof(file)), "the workers have no JWT_JWKS_CACHE_FILE");
	cr_assert(file[0] == '/', "JWT_JWKS_CACHE_FILE=%s", file);
	*strrchr(file, '/') = '\0';
	for (int i = 0; i < 2; i++) {
		const char *d = i == 0 ? dir : file;

		cr_assert_eq(stat(d, &st), 0, "no folder %s", d);
		cr_assert(S_ISDIR(st.st_mode), "%s is not a folder", d);
		cr_assert_eq(st.st_uid, wst.st_uid, "%s is uid %ld's, the workers are %ld",
		    d, (long)st.st_uid, (long)wst.st_uid);
		cr_assert_eq(st.st_mode & 0077, 0, "%s has mode %04o", d,
		    (unsigned)(st.st_mode & 07777));
	}
}
