/*
 * mail.h: one plain-text message, built with its headers and sent through
 * an SMTP server with libcurl (docs/API.md "Password reset"). The
 * addresses come from settings and from accounts, never from a header a
 * client wrote, and still none may hold a line break: that would add
 * headers or recipients of the sender's choosing.
 */
#ifndef TASKAPI_MAIL_H
#define TASKAPI_MAIL_H

#include <stddef.h>
#include <time.h>

/* Room for a failure's reason: libcurl's message and a few words. */
#define MAIL_WHY_MAX 512

/*
 * The server: SMTP_URL (smtp://, smtps://; user and password in its
 * userinfo), SMTP_FROM, and SMTP_TIMEOUT_SECONDS for the connection and
 * for the whole message each.
 */
struct mail_server {
	const char *url;
	const char *from;
	long timeout_seconds;
};

/*
 * from may be "addr@host" or "Name <addr@host>"; to is one address. body
 * is UTF-8 text, its lines ending in "\n" or "\r\n".
 */
struct mail_message {
	const char *from;
	const char *to;
	const char *subject;
	const char *body;
};

/*
 * The message as it goes on the wire, before the server's dot-stuffing
 * (libcurl's): From, To, Subject, Date (now, in UTC), Message-ID,
 * MIME-Version, Content-Type (text/plain; charset=UTF-8) and
 * Content-Transfer-Encoding (8bit), a blank line and the body, every line
 * ending in CRLF. Returns a NUL-terminated buffer to free() with its
 * length in *len, or NULL with why: an address or the subject holding a
 * control character (CR and LF among them), an address that is no
 * addr@host, out of memory.
 */
char *mail_build(const struct mail_message *m, time_t now, size_t *len,
    char *why, size_t whylen);

/*
 * The envelope's address of from: what is between "<" and ">", or all of
 * it. Returns 0 with it in out (outlen bytes at most, NUL included), or -1
 * when it is no addr@host without control characters, spaces or angle
 * brackets.
 */
int mail_address(const char *from, char *out, size_t outlen);

/*
 * Whether url is an SMTP_URL the programs take: smtp:// or smtps:// and a
 * host, as libcurl reads it. Returns 0, or -1 with why.
 */
int mail_url_check(const char *url, char *why, size_t whylen);

/*
 * Sends m through server: TLS from the start (smtps://), or STARTTLS,
 * required unless the host is a loopback one (smtp:// to 127.0.0.0/8, ::1
 * or localhost is also taken in the clear); the certificate is checked.
 * At most server->timeout_seconds to connect, and as long for the whole
 * exchange. Returns 0 once the server accepted the message, or -1 with
 * why (never the message's text).
 */
int mail_send(const struct mail_server *server, const struct mail_message *m,
    char *why, size_t whylen);

#endif
