/*
 * body.c: JSON request bodies on json-c, with the checks json-c leaves to
 * us: strict UTF-8 on the raw bytes (400) and, inside strings, no U+0000
 * and no lone surrogates (422), lengths counted in code points.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "http/body.h"
#include "http/request.h"
#include "json/json.h"
#include "text/text.h"

static int body_check_text(const struct request *req, const char **detail);
static long long body_now_ms(void);

int
body_is_json_type(const char *ct)
{
	static const char media[] = "application/json";
	const char *p;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, media, sizeof(media) - 1) != 0)
		return 0;
	p = ct + sizeof(media) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	/* Parameters: only a UTF-8 charset may be named. */
	while (*p == ';') {
		const char *name, *val;
		size_t nlen, vlen;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		nlen = (size_t)(p - name);
		while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		if (*p != '=') {
			if (nlen != 0)
				return 0;
			continue;
		}
		val = ++p;
		while (*p != '\0' && *p != ';')
			p++;
		vlen = (size_t)(p - val);
		while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			vlen--;
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val++;
			vlen -= 2;
		}
		if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    !((vlen == 5 && strncasecmp(val, "utf-8", 5) == 0) ||
		    (vlen == 4 && strncasecmp(val, "utf8", 4) == 0)))
			return 0;
	}
	return *p == '\0';
}

/*
 * The strict checks of the body's bytes, before json-c sees them: 400 for
 * bytes that are not UTF-8 or JSON, 422 for a name escaping U+0000 or a
 * string escaping a lone surrogate. Returns 0 or the status, with *detail.
 */
static int
body_check_text(const struct request *req, const char **detail)
{
	static char message[96];
	char field[48];

	*detail = "Invalid JSON body";
	if (req->body_len == 0 ||
	    text_utf8_check(req->body, req->body_len, NULL) != 0)
		return 400;
	switch (json_syntax_check(req->body, req->body_len, JSON_DEPTH_MAX,
	    field, sizeof(field))) {
	case JSON_OK:
		return 0;
	case JSON_TOO_DEEP:
		/* docs/API.md "Request bodies" has one 400 for bodies: JSON
		 * nested deeper than we parse is JSON that does not parse (and
		 * 100,000 "[" is not even well-formed). */
		return 400;
	case JSON_NUL_NAME:
		/* docs/API.md "Strings and characters": a string containing
		 * U+0000 is 422; a name is one. */
		*detail = "Field names must not contain U+0000";
		return 422;
	case JSON_LONE_SURROGATE:
		/* docs/API.md "Strings and characters": 422 names the field.
		 * One process serves one request at a time, so a static buffer
		 * is enough. */
		if (field[0] != '\0') {
			snprintf(message, sizeof(message),
			    "%s must not contain lone surrogates", field);
			*detail = message;
		} else
			*detail = "Strings must not contain lone surrogates";
		return 422;
	default:
		return 400;
	}
}

int
body_parse_object(const struct request *req, struct json_object **out,
    const char **detail)
{
	struct json_object *obj;
	const char *p;
	int status;

	*out = NULL;
	switch (req->body_state) {
	case BODY_OK:
		break;
	case BODY_TOO_LARGE:
		*detail = "Request body too large";
		return 413;
	case BODY_BAD_LENGTH:
	case BODY_SHORT:
		*detail = "Invalid JSON body";
		return 400;
	}
	if (!body_is_json_type(req->content_type)) {
		*detail = "Content-Type must be application/json";
		return 415;
	}
	if ((status = body_check_text(req, detail)) != 0)
		return status;
	for (p = req->body; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p != '{') {
		*detail = "Request body must be a JSON object";
		return 422;
	}
	/* The syntax is checked: json-c only builds the object. */
	obj = json_build(req->body, req->body_len, JSON_DEPTH_MAX);
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return 400;
	}
	*out = obj;
	return 0;
}

static long long
body_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
body_cgi_input_init(struct body_cgi_input *in, int fd, long seconds)
{
	in->fd = fd;
	in->deadline_ms = body_now_ms() + (long long)seconds * 1000;
	in->timed_out = 0;
}

/*
 * Waits in poll for what is left of the deadline, then reads what came:
 * a client that sends a byte now and then never makes one read wait long,
 * so only a deadline on the whole body ends it.
 */
int
body_cgi_read(void *ctx, char *buf, int n)
{
	struct body_cgi_input *in = ctx;
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
	long long left;
	ssize_t got;
	int ready;

	for (;;) {
		left = in->deadline_ms - body_now_ms();
		if (left <= 0) {
			in->timed_out = 1;
			return -1;
		}
		ready = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ready < 0 && errno != EINTR)
			return -1;
		if (ready <= 0)
			continue;	/* interrupted, or the time is up */
		got = read(in->fd, buf, (size_t)n);
		if (got < 0 && errno == EINTR)
			continue;
		return (int)got;
	}
}
