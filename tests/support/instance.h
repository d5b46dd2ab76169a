/*
 * instance.h: a second instance of the API for a test, started with
 * scripts/stack beside the one tests/run started, on the same PostgreSQL
 * (its programs' DATABASE_URL and any other setting are the test's), under
 * TASKAPI_TEST_RUN_DIR, so the run's cleanup and log checks see it.
 */
#ifndef TASKAPI_TEST_INSTANCE_H
#define TASKAPI_TEST_INSTANCE_H

struct instance {
	char run_dir[512];
	char url[64];		/* http://127.0.0.1:PORT */
};

/*
 * Starts the instance name (a folder name) with one worker a route and
 * the environment assignments env ("KEY='value' KEY2='value'", quoted
 * for the shell), after tests/run's own. Fails the test if it does not
 * come up healthy.
 */
void instance_start(struct instance *in, const char *name, const char *env);
/* Stops it (its nginx and programs; the database is the run's). */
void instance_stop(struct instance *in);

/* A TCP port of 127.0.0.1 that nothing listens on, just now. */
int instance_free_port(void);

#endif
