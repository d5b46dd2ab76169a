/*
 * jwks_server.c: the tests' stand-in for an issuer's JWKS endpoint (see
 * jwks_server.h). One connection at a time, Connection: close: a JWKS
 * fetch is one small GET.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "support/jwks_server.h"

/* A request head larger than this is not a JWKS fetch. */
#define SERVER_HEAD_MAX 8192
/* A client that sends nothing for this long is dropped. */
#define SERVER_READ_TIMEOUT_S 2
#define SERVER_POLL_MS 100

static volatile sig_atomic_t want_close, want_open, want_stop;

static void on_signal(int sig);
static void handle(int conn, const char *dir);
static int name_ok(const char *name);
static char *read_small(const char *path, size_t *len);
static void send_all(int fd, const char *buf, size_t len);
static void pause_ms(long ms);

int
jwks_server_listen(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
jwks_server_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	return ntohs(a.sin_port);
}

void
jwks_server_serve(int fd, const char *dir)
{
	struct sigaction sa;
	int port = jwks_server_port(fd);

	/* No SA_RESTART: poll() returns at once when told to change. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!want_stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		int conn;

		if (want_close) {
			want_close = 0;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		if (want_open) {
			want_open = 0;
			if (fd < 0)
				fd = jwks_server_listen(port);
		}
		if (fd < 0) {
			poll(NULL, 0, SERVER_POLL_MS);
			continue;
		}
		if (poll(&p, 1, SERVER_POLL_MS) <= 0)
			continue;
		if ((conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		handle(conn, dir);
		close(conn);
	}
	if (fd >= 0)
		close(fd);
}

pid_t
jwks_server_fork(const char *dir, int *port)
{
	int fd = jwks_server_listen(0);
	pid_t pid;

	if (fd < 0)
		return -1;
	*port = jwks_server_port(fd);
	if ((pid = fork()) == 0) {
		jwks_server_serve(fd, dir);
		_exit(0);
	}
	close(fd);
	return pid;
}

int
jwks_server_requests(const char *dir)
{
	char path[4096];
	int n = 0, ch;
	FILE *f;

	snprintf(path, sizeof(path), "%s/requests.log", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_close = 1;
	else if (sig == SIGUSR2)
		want_open = 1;
	else
		want_stop = 1;
}

static void
handle(int conn, const char *dir)
{
	struct timeval tv = { SERVER_READ_TIMEOUT_S, 0 };
	char head[SERVER_HEAD_MAX + 1], name[256], path[4096], line[4400];
	char *body = NULL, *extra = NULL;
	size_t n = 0, blen = 0, elen;
	int status = 200, logfd;
	ssize_t got;

	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < SERVER_HEAD_MAX) {
		if ((got = read(conn, head + n, SERVER_HEAD_MAX - n)) <= 0)
			return;
		n += (size_t)got;
		head[n] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(head, "GET /%255[^ ?] HTTP/1.", name) != 1)
		name[0] = '\0';
	snprintf(path, sizeof(path), "%s/requests.log", dir);
	if ((logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) >= 0) {
		int len = snprintf(line, sizeof(line), "GET /%s\n", name);

		if (write(logfd, line, (size_t)len) < 0)
			perror("jwks-server: requests.log");
		close(logfd);
	}
	if (!name_ok(name)) {
		status = 404;
		goto answer;
	}
	snprintf(path, sizeof(path), "%s/%s.delay", dir, name);
	if ((extra = read_small(path, &elen)) != NULL)
		pause_ms(atol(extra));
	free(extra);
	snprintf(path, sizeof(path), "%s/%s.status", dir, name);
	if ((extra = read_small(path, &elen)) != NULL)
		status = atoi(extra);
	free(extra);
	snprintf(path, sizeof(path), "%s/%s.location", dir, name);
	if ((extra = read_small(path, &elen)) != NULL) {
		extra[strcspn(extra, "\r\n")] = '\0';
		n = (size_t)snprintf(line, sizeof(line), "HTTP/1.1 302 Found\r\n"
		    "Location: %s\r\nContent-Length: 0\r\nConnection: close\r\n"
		    "\r\n", extra);
		free(extra);
		send_all(conn, line, n);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((body = read_small(path, &blen)) == NULL)
		status = 404;
answer:
	n = (size_t)snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, status == 200 ? "OK" : "Other",
	    blen);
	send_all(conn, line, n);
	if (body != NULL)
		send_all(conn, body, blen);
	free(body);
}

/* A file of the folder: letters, digits, '.', '-', '_'; no dot first. */
static int
name_ok(const char *name)
{
	if (name[0] == '\0' || name[0] == '.')
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			return 0;
	return 1;
}

static char *
read_small(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t got;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (n < (size_t)st.st_size &&
	    (got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* A slow issuer: ms of silence before the answer, whatever signals come. */
static void
pause_ms(long ms)
{
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&left, &left) != 0)
		;
}
