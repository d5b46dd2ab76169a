/*
 * Unit: a plain CGI program's body read against its deadline
 * (http/body.h, docs/API.md "Shared hosting (Apache)"), on a real pipe as the
 * web server's, through request_parse as serve_cgi reads it.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "http/body.h"
#include "http/request.h"

static const char *
body_cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "CONTENT_LENGTH") == 0)
		return "7";
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "POST";
	return NULL;
}

/* A body all there in time is read whole, as without a deadline. */
Test(body_cgi, a_body_in_time_is_read_whole)
{
	struct body_cgi_input in;
	struct request req;
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], "{\"a\":1}", 7), 7);
	close(fds[1]);
	body_cgi_input_init(&in, fds[0], 5);
	cr_assert_eq(request_parse(&req, body_cgi_param, body_cgi_read, &in), 0);
	cr_expect_eq(in.timed_out, 0);
	cr_expect_eq(req.body_state, BODY_OK);
	cr_expect_eq(req.body_len, 7);
	cr_expect_str_eq(req.body, "{\"a\":1}");
	request_free(&req);
	close(fds[0]);
}

/*
 * A body that stops coming (the writer keeps the pipe open, as Apache
 * does for a client that trickles) ends at the deadline, marked as such,
 * not at the end of input; a bounded wait, not a measured speed.
 */
Test(body_cgi, a_stalled_body_ends_at_the_deadline, .timeout = 10)
{
	struct body_cgi_input in;
	struct request req;
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], "{\"a\"", 4), 4);
	body_cgi_input_init(&in, fds[0], 1);
	cr_assert_eq(request_parse(&req, body_cgi_param, body_cgi_read, &in), 0);
	cr_expect_eq(in.timed_out, 1);
	cr_expect_eq(req.body_len, 4);
	cr_expect_eq(req.body_state, BODY_SHORT);
	request_free(&req);
	close(fds[0]);
	close(fds[1]);
}

/* The end of input before the deadline is the end, not a time-out. */
Test(body_cgi, an_early_end_is_no_timeout)
{
	struct body_cgi_input in;
	char buf[8];
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	close(fds[1]);
	body_cgi_input_init(&in, fds[0], 5);
	cr_expect_eq(body_cgi_read(&in, buf, sizeof(buf)), 0);
	cr_expect_eq(in.timed_out, 0);
	close(fds[0]);
}
