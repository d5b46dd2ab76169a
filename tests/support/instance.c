/*
 * instance.c: a second instance for a test (instance.h).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support/instance.h"

int
instance_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Port 0: the kernel picks one that is free. */
	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void
instance_start(struct instance *in, const char *name, const char *env)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	const char *stack = getenv("TASKAPI_TEST_STACK");
	const char *owner = getenv("TASKAPI_TEST_DB");
	char cmd[4096];
	int port = instance_free_port(), rc;

	cr_assert(run != NULL && stack != NULL && owner != NULL,
	    "TASKAPI_TEST_* is not set: run the suite with tests/run");
	snprintf(in->run_dir, sizeof(in->run_dir), "%s/%s", run, name);
	snprintf(in->url, sizeof(in->url), "http://127.0.0.1:%d", port);
	/*
	 * The migrations run as the owner, through its own socket (they are
	 * applied already: this only checks). The key set's cache is the
	 * instance's own, as the JWKS-only instance's is.
	 */
	snprintf(cmd, sizeof(cmd), "env RUN_DIR='%s' PORT=%d WORKERS=1 "
	    "ENV_FILE='%s/taskapi.env' MIGRATE_DATABASE_URL='%s' "
	    "JWT_JWKS_CACHE_FILE='%s/cache/jwks-cache.json' %s "
	    "'%s' start >'%s.log' 2>&1", in->run_dir, port, in->run_dir, owner,
	    in->run_dir, env, stack, in->run_dir);
	rc = system(cmd);
	cr_assert(rc == 0, "the instance %s did not start: see %s.log", name,
	    in->run_dir);
}

void
instance_stop(struct instance *in)
{
	const char *stack = getenv("TASKAPI_TEST_STACK");
	char cmd[2048];

	if (in->run_dir[0] == '\0' || stack == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "RUN_DIR='%s' '%s' stop >>'%s.log' 2>&1",
	    in->run_dir, stack, in->run_dir);
	/* Nothing to do about a stop that failed: the run's cleanup follows. */
	if (system(cmd) != 0) {
		fprintf(stderr, "instance: %s did not stop cleanly:\n", in->run_dir);
		snprintf(cmd, sizeof(cmd), "tail -n 5 '%s.log' >&2", in->run_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "instance: no log\n");
	}
	in->run_dir[0] = '\0';
}
