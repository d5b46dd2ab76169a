/*
 * raw.h: raw HTTP over TCP, for what libcurl will not send (a lying
 * Content-Length, a Transfer-Encoding of its own, a stalled body, a
 * request Apache's parser refuses) to the instance tests/run started
 * (TASKAPI_TEST_URL).
 */
#ifndef TASKAPI_TEST_RAW_H
#define TASKAPI_TEST_RAW_H

#include <stddef.h>

struct raw_reply {
	char *data;		/* every byte received, NUL-terminated (free()) */
	size_t len;
	int closed;		/* the server closed the connection */
	double seconds;		/* from the call until then (or the deadline) */
};

/*
 * A connection to the instance, from this test's own client address
 * (http_client_address()), as its libcurl requests come: the per-address
 * limits count it with them, not with every other test's.
 */
int raw_connect(void);
/*
 * Sends all of buf; 0, or -1 when the peer has gone. Whether that is an
 * error is the caller's: a server that answered and closed may well cut a
 * body it will not read short.
 */
int raw_send(int fd, const char *buf, size_t len);
/* Reads into out until the server closes the connection or ms pass. */
void raw_read(int fd, int ms, struct raw_reply *out);

#endif
