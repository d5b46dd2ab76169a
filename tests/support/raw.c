/*
 * raw.c: raw HTTP over TCP to the instance under test (raw.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "support/helpers.h"
#include "support/raw.h"

/* An IPv4 address and port from TASKAPI_TEST_URL (http://host:port). */
static void
raw_instance(struct sockaddr_in *sa)
{
	const char *url = getenv("TASKAPI_TEST_URL");
	const char *host, *colon;
	char addr[64];

	cr_assert(url != NULL && strncmp(url, "http://", 7) == 0,
	    "TASKAPI_TEST_URL is not set: run the suite with tests/run");
	host = url + 7;
	colon = strchr(host, ':');
	cr_assert(colon != NULL && (size_t)(colon - host) < sizeof(addr));
	snprintf(addr, sizeof(addr), "%.*s", (int)(colon - host), host);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(colon + 1));
	cr_assert_eq(inet_pton(AF_INET, addr, &sa->sin_addr), 1, "host %s", addr);
}

int
raw_connect(void)
{
	struct sockaddr_in sa, me;
	char client[32];
	int fd;

	raw_instance(&sa);
	/* Read once: the address bound is the one a failure names, even if
	 * another thread switches clients meanwhile. */
	snprintf(client, sizeof(client), "%s", http_client_address());
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	cr_assert_eq(inet_pton(AF_INET, client, &me.sin_addr), 1);
	cr_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0,
	    "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0,
	    "bind %s: %s", client, strerror(errno));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	    "connect: %s", strerror(errno));
	return fd;
}

int
raw_send(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a peer gone is -1 here, not a SIGPIPE. */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void
raw_read(int fd, int ms, struct raw_reply *out)
{
	double start = test_monotonic_s();
	size_t cap = 4096;

	memset(out, 0, sizeof(*out));
	cr_assert_not_null(out->data = malloc(cap));
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = ms - (int)((test_monotonic_s() - start) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		if (out->len + 4096 > cap) {
			cap *= 2;
			cr_assert_not_null(out->data = realloc(out->data, cap));
		}
		n = recv(fd, out->data + out->len, cap - out->len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out->closed = 1;
			break;
		}
		out->len += (size_t)n;
	}
	out->seconds = test_monotonic_s() - start;
	out->data[out->len] = '\0';
}
