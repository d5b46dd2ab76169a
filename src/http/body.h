/*
 * body.h: a request's JSON body, under the contract's body rules: 413, 415,
 * 400 "Invalid JSON body", 422. The JSON itself is read by json/json.h.
 */
#ifndef TASKAPI_BODY_H
#define TASKAPI_BODY_H

struct json_object;
struct request;

/*
 * Checks the request's body state and Content-Type, then parses the body as
 * one JSON object. Returns 0 with *out owned by the caller, or the HTTP
 * status (413, 415, 400, 422) with a constant message in *detail.
 */
int body_parse_object(const struct request *req, struct json_object **out,
    const char **detail);

/* Whether a Content-Type header names application/json (charset utf-8 ok). */
int body_is_json_type(const char *content_type);

/*
 * A plain CGI program's body, read from the web server's pipe against a
 * deadline for the whole body (docs/API.md "Shared hosting (Apache)"): under
 * CGI the program reads the body as the client sends it, and a client
 * that trickles it must not keep the process for longer. nginx buffers a
 * whole body before a FastCGI worker sees any, so workers read without it.
 */
struct body_cgi_input {
	int fd;
	long long deadline_ms;	/* CLOCK_MONOTONIC */
	int timed_out;		/* the deadline passed before the body's end */
};

/* Starts the clock: the whole body is due within seconds from now. */
void body_cgi_input_init(struct body_cgi_input *in, int fd, long seconds);

/*
 * A request_read_fn (http/request.h) on a struct body_cgi_input: up to n
 * bytes, 0 at the end of input, -1 on an error or, with timed_out set,
 * when the deadline passed.
 */
int body_cgi_read(void *ctx, char *buf, int n);

#endif
