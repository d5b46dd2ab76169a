/*
 * listener.c: socket activation without libsystemd. The protocol is three
 * environment variables and a file descriptor (sd_listen_fds(3)): when
 * LISTEN_PID names this process, LISTEN_FDS sockets start at fd 3. A
 * route serves one socket, so exactly one is accepted, and it is moved to
 * fd 0, where libfcgi listens; the rest of the program cannot tell how it
 * was started.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/listener.h"
#include "text/text.h"

/* sd_listen_fds(3): the first passed descriptor. */
#define LISTENER_FD_START 3
/*
 * The longest LISTEN_PID or LISTEN_FDS taken: nine digits hold any pid
 * (at most 4194304, PID_MAX_LIMIT) and any count; a longer one, even of
 * leading zeros, was never taken.
 */
#define LISTENER_DIGITS_MAX 9

static int parse_count(const char *s, long *out);

int
listener_adopt(char *err, size_t errlen)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	long pid, fds;
	int accepting = 0, type = 0;
	socklen_t len;

	if (pid_s == NULL || fds_s == NULL)
		return 0;
	/* Meant for another process (multiwatch, our parent): not ours. */
	if (parse_count(pid_s, &pid) != 0 || pid != (long)getpid())
		return 0;
	if (parse_count(fds_s, &fds) != 0) {
		snprintf(err, errlen, "LISTEN_FDS is not a number: '%s'", fds_s);
		return -1;
	}
	/* Ours alone: nothing this process starts may take them. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (fds == 0)
		return 0;
	if (fds != 1) {
		snprintf(err, errlen, "%ld sockets passed (LISTEN_FDS); a route "
		    "serves exactly one", fds);
		return -1;
	}
	len = sizeof(accepting);
	if (getsockopt(LISTENER_FD_START, SOL_SOCKET, SO_ACCEPTCONN, &accepting,
	    &len) != 0 || !accepting) {
		snprintf(err, errlen, "fd %d (LISTEN_FDS) is not a listening "
		    "socket", LISTENER_FD_START);
		return -1;
	}
	len = sizeof(type);
	if (getsockopt(LISTENER_FD_START, SOL_SOCKET, SO_TYPE, &type,
	    &len) != 0 || type != SOCK_STREAM) {
		snprintf(err, errlen, "fd %d (LISTEN_FDS) is not a stream "
		    "socket (ListenStream=)", LISTENER_FD_START);
		return -1;
	}
	if (dup2(LISTENER_FD_START, 0) != 0) {
		snprintf(err, errlen, "cannot move the passed socket to fd 0: %s",
		    strerror(errno));
		return -1;
	}
	close(LISTENER_FD_START);
	return 0;
}

/* A whole decimal number of at most nine digits; a pid or a count. */
static int
parse_count(const char *s, long *out)
{
	if (strlen(s) > LISTENER_DIGITS_MAX ||
	    text_parse_long(s, 0, LONG_MAX, out) != TEXT_NUMBER_OK)
		return -1;
	return 0;
}
