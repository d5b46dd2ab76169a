/*
 * procs.h: the processes of a test instance (scripts/stack): each route's
 * supervisor (multiwatch, its pid in RUN_DIR/pids/<route>.pid) and the
 * workers it keeps, found in /proc.
 */
#ifndef TASKAPI_TEST_PROCS_H
#define TASKAPI_TEST_PROCS_H

#include <sys/types.h>

/* The pid of the multiwatch that supervises route's workers in the
 * instance whose RUN_DIR is run_dir. */
pid_t route_supervisor(const char *run_dir, const char *route);
/* The live children of parent, at most max of them into out; -1 if /proc
 * cannot be read. */
int route_workers(pid_t parent, pid_t *out, int max);
/* Whether pid runs the program of that name (not, say, a fork of the
 * supervisor that has yet to exec it). */
int runs_program(pid_t pid, const char *program);
/*
 * Ends every worker of route (SIGTERM: each finishes the request in hand
 * and exits) and waits until its supervisor runs as many new ones, none
 * of them an old one, each running the route's program: they start cold,
 * with nothing in memory. Fails the test after timeout_s.
 */
void route_restart(const char *run_dir, const char *route, double timeout_s);

#endif
