/*
 * jwks_server.h: a small HTTP/1.1 server that plays an issuer's JWKS
 * endpoint for the tests. GET /<name> answers the file DIR/<name> (200,
 * application/json); DIR/<name>.status holds another status to answer
 * with, DIR/<name>.location a redirect target, DIR/<name>.delay the
 * milliseconds to wait before answering (a slow issuer; one connection is
 * served at a time, so the others wait too). Every request line is
 * appended to DIR/requests.log, so a test can count the fetches.
 * The issuer going away: SIGUSR1 closes the listening socket (connections
 * are refused) and SIGUSR2 opens it again on the same port; SIGSTOP makes
 * it hang (connections are accepted by the kernel and never answered).
 */
#ifndef TASKAPI_TEST_JWKS_SERVER_H
#define TASKAPI_TEST_JWKS_SERVER_H

#include <sys/types.h>

/* A listening socket on 127.0.0.1:port (0: any free port), or -1. */
int jwks_server_listen(int port);
/* The port a listening socket is bound to. */
int jwks_server_port(int fd);
/* Serves DIR on fd until SIGTERM or SIGINT. */
void jwks_server_serve(int fd, const char *dir);
/* For a unit test: a child process serving dir; its port in *port. */
pid_t jwks_server_fork(const char *dir, int *port);
/* Requests served so far (lines of DIR/requests.log). */
int jwks_server_requests(const char *dir);

#endif
