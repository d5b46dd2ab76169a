/*
 * fuzz_request: the request reader (request_parse) fed a fuzzed set of
 * FastCGI parameters and a fuzzed body stream, then the body rules
 * (body_parse_object) on what it read, as a route program runs them.
 *
 * Input: a head of lines, a blank line, then the body.
 *   NAME=VALUE   a parameter (REQUEST_METHOD, CONTENT_LENGTH, CONTENT_TYPE...)
 *   @chunk=N     the stream hands out at most N bytes a read (0: no limit)
 *   @repeat=N    the body is sent N times, so a short input can pass the cap
 *   @fail=N      the stream fails (-1) once N bytes have been read
 * The body state is checked against a model of docs/API.md "Request bodies".
 */
#include <json-c/json.h>

#include "http/body.h"
#include "fuzz.h"
#include "http/request.h"
#include "domain/task.h"
#include "text/text.h"
#include "json/json.h"

/* More parameters than nginx ever sends; the rest of the head is ignored. */
#define PARAMS_MAX 32
/* Enough to pass REQUEST_BODY_MAX twice over, and keep each run short. */
#define STREAM_MAX (4 * REQUEST_BODY_MAX)
/* Counts in the head saturate here: anything larger acts the same. */
#define COUNT_MAX (8 * REQUEST_BODY_MAX)

struct stream {
	const char *names[PARAMS_MAX];
	const char *values[PARAMS_MAX];
	size_t nparams;
	const char *body;
	size_t body_len;
	size_t total;		/* body_len * repeat */
	size_t chunk;		/* 0: no limit */
	size_t fail_at;		/* SIZE_MAX: never */
	size_t served;
};

static void stream_setup(struct stream *st, char *head, size_t head_len);
static size_t count_value(const char *s);
static const char *fake_param(void *ctx, const char *name);
static int fake_read(void *ctx, char *buf, int n);
static void check_body_state(const struct stream *st, const struct request *r);
static void check_body_rules(const struct request *r);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream st;
	struct request r;
	char *copy = fuzz_cstring(data, size);
	size_t head_len = size;

	/* The head ends at the first empty line. */
	for (size_t i = 0; i < size; i++) {
		if (copy[i] == '\n' && (i == 0 || copy[i - 1] == '\n')) {
			head_len = i;
			break;
		}
	}
	memset(&st, 0, sizeof(st));
	st.body = copy + head_len + (head_len < size);
	st.body_len = size - head_len - (head_len < size);
	stream_setup(&st, copy, head_len);

	FUZZ_CHECK(request_parse(&r, fake_param, fake_read, &st) == 0);
	check_body_state(&st, &r);
	check_body_rules(&r);
	request_free(&r);
	free(copy);
	return 0;
}

/* Splits the head in place into parameters and stream settings. */
static void
stream_setup(struct stream *st, char *head, size_t head_len)
{
	size_t repeat = 1;
	char *line = head, *end = head + head_len;

	st->fail_at = SIZE_MAX;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *eq;

		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if ((eq = strchr(line, '=')) != NULL) {
			*eq = '\0';
			if (strcmp(line, "@chunk") == 0)
				st->chunk = count_value(eq + 1);
			else if (strcmp(line, "@repeat") == 0)
				repeat = count_value(eq + 1);
			else if (strcmp(line, "@fail") == 0)
				st->fail_at = count_value(eq + 1);
			else if (st->nparams < PARAMS_MAX) {
				st->names[st->nparams] = line;
				st->values[st->nparams++] = eq + 1;
			}
		}
		line = nl + 1;
	}
	if (st->body_len > 0 && repeat > STREAM_MAX / st->body_len)
		repeat = STREAM_MAX / st->body_len;
	st->total = st->body_len * repeat;
}

static size_t
count_value(const char *s)
{
	size_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v >= COUNT_MAX ? COUNT_MAX : v * 10 + (size_t)(*s - '0');
	return v;
}

/* The first parameter of that name wins, as FCGX_GetParam's does. */
static const char *
fake_param(void *ctx, const char *name)
{
	struct stream *st = ctx;

	for (size_t i = 0; i < st->nparams; i++)
		if (strcmp(st->names[i], name) == 0)
			return st->values[i];
	return NULL;
}

static int
fake_read(void *ctx, char *buf, int n)
{
	struct stream *st = ctx;
	size_t take, done = 0;

	FUZZ_CHECK(n > 0);
	if (st->served >= st->fail_at)
		return -1;
	take = st->total - st->served;
	if ((size_t)n < take)
		take = (size_t)n;
	if (st->chunk > 0 && st->chunk < take)
		take = st->chunk;
	if (st->fail_at - st->served < take)
		take = st->fail_at - st->served;
	while (done < take) {
		size_t at = (st->served + done) % st->body_len;
		size_t piece = st->body_len - at;

		if (piece > take - done)
			piece = take - done;
		memcpy(buf + done, st->body + at, piece);
		done += piece;
	}
	st->served += take;
	return (int)take;
}

/* A model of request.h: what state and which bytes the request must hold. */
static void
check_body_state(const struct stream *st, const struct request *r)
{
	const char *cl = fake_param((void *)st, "CONTENT_LENGTH");
	const char *ct = fake_param((void *)st, "CONTENT_TYPE");
	size_t avail = st->fail_at < st->total ? st->fail_at : st->total;
	size_t want = 0;
	int digits = cl != NULL && cl[0] != '\0';

	FUZZ_CHECK(r->method != NULL && r->query != NULL);
	FUZZ_CHECK(r->content_type == NULL || r->content_type[0] != '\0');
	FUZZ_CHECK((ct == NULL || ct[0] == '\0') == (r->content_type == NULL));
	FUZZ_CHECK(r->body != NULL && r->body[r->body_len] == '\0');
	for (const char *p = cl; digits && *p != '\0'; p++)
		digits = *p >= '0' && *p <= '9';
	if (digits)
		want = count_value(cl);

	if (cl == NULL || cl[0] == '\0') {
		/* No length (a chunked body): read to the end, keep the cap. */
		if (avail > REQUEST_BODY_MAX) {
			FUZZ_CHECK(r->body_state == BODY_TOO_LARGE);
			FUZZ_CHECK(r->body_len == REQUEST_BODY_MAX + 1);
		} else {
			FUZZ_CHECK(r->body_state == BODY_OK);
			FUZZ_CHECK(r->body_len == avail);
		}
	} else if (!digits) {
		FUZZ_CHECK(r->body_state == BODY_BAD_LENGTH);
		FUZZ_CHECK(r->body_len == 0);
	} else if (want > REQUEST_BODY_MAX) {
		/* Refused before a byte is read. */
		FUZZ_CHECK(r->body_state == BODY_TOO_LARGE);
		FUZZ_CHECK(r->body_len == 0 && st->served == 0);
	} else if (avail < want) {
		FUZZ_CHECK(r->body_state == BODY_SHORT);
		FUZZ_CHECK(r->body_len == avail);
	} else {
		FUZZ_CHECK(r->body_state == BODY_OK);
		FUZZ_CHECK(r->body_len == want);
		/* Never a byte past Content-Length. */
		FUZZ_CHECK(st->served == want);
	}
	for (size_t i = 0; i < r->body_len; i++)
		FUZZ_CHECK(r->body[i] == st->body[i % st->body_len]);
}

/*
 * docs/API.md "Order of checks": 413, then 400 for a broken length, then
 * 415, then JSON.
 */
static void
check_body_rules(const struct request *r)
{
	struct json_object *obj = NULL;
	const char *detail = NULL;
	struct task_input in;
	int status = body_parse_object(r, &obj, &detail);

	switch (r->body_state) {
	case BODY_TOO_LARGE:
		FUZZ_CHECK(status == 413);
		break;
	case BODY_BAD_LENGTH:
	case BODY_SHORT:
		FUZZ_CHECK(status == 400);
		break;
	case BODY_OK:
		if (!body_is_json_type(r->content_type))
			FUZZ_CHECK(status == 415);
		else
			FUZZ_CHECK(status == 0 || status == 400 || status == 422);
		break;
	}
	FUZZ_CHECK((status == 0) == (obj != NULL));
	if (status != 0) {
		FUZZ_CHECK(detail != NULL && detail[0] != '\0');
		return;
	}
	FUZZ_CHECK(json_object_is_type(obj, json_type_object));
	/* The {id} of the path and a task body, as task_item reads them. */
	(void)task_id_valid(r->task_id);
	if (task_input_read(obj, TASK_PATCH, &in, &detail) == 0)
		task_input_free(&in);
	else
		FUZZ_CHECK(detail != NULL);
	json_object_put(obj);
}
