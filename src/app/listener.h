/*
 * listener.h: where a route program's FastCGI listening socket comes from.
 * libfcgi serves the socket on fd 0, where spawn-fcgi and systemd's
 * StandardInput=socket put it; a socket that systemd (or anything that
 * speaks its protocol) passes as fd 3 with LISTEN_FDS is moved there first.
 */
#ifndef TASKAPI_LISTENER_H
#define TASKAPI_LISTENER_H

#include <stddef.h>

/*
 * Adopts a socket passed by socket activation (LISTEN_PID is this process,
 * LISTEN_FDS is 1) as fd 0, and removes the LISTEN_* variables. Without
 * them it does nothing. Returns 0, or -1 with a message in err for what
 * the program cannot serve on (several sockets, fd 3 not a listening
 * stream socket).
 */
int listener_adopt(char *err, size_t errlen);

#endif
