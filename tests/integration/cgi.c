/*
 * Integration: the route programs run as plain CGI programs (RFC 3875),
 * as Apache's mod_cgi runs them on shared hosting: one request from the
 * environment and stdin, the answer on stdout, exit 0. Each test execs the
 * built programs itself (under WORKER_WRAPPER, valgrind in tests/run
 * --valgrind; the ASan build checks them as it checks the workers),
 * against the run's PostgreSQL as the programs' role. tests/run --apache
 * runs the whole suite through a real Apache on top of this.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"

#define ALLOWED "http://localhost:3000"
#define OR_EMPTY(s) ((s) != NULL ? (s) : "")
/* Room for one program's environment. */
#define CGI_ENV_MAX 32
/* What one run may print; the largest answer here is well under it. */
#define CGI_OUT_MAX (256 * 1024)

struct cgi_run {
	int exit_code;		/* -1 when ended by a signal */
	long status;		/* from the Status line */
	char *out;		/* all of stdout */
	size_t out_len;
	char *err;		/* all of stderr */
	struct http_res res;	/* headers and body, for helpers' accessors */
};

struct cgi_env {
	const char *vars[CGI_ENV_MAX];
	size_t n;
	char storage[CGI_ENV_MAX][16384];
};

static void
env_add(struct cgi_env *e, const char *name, const char *value)
{
	cr_assert(e->n < CGI_ENV_MAX - 1);
	snprintf(e->storage[e->n], sizeof(e->storage[e->n]), "%s=%s", name, value);
	e->vars[e->n] = e->storage[e->n];
	e->vars[++e->n] = NULL;
}

/*
 * What Apache gives every CGI program, plus what the test process must
 * pass on for sanitizers; settings=1 adds the programs' settings as
 * environment variables (else they come from an env file).
 */
static void
env_base(struct cgi_env *e, const char *method, int settings)
{
	static const char *const passed[] = { "PATH", "ASAN_OPTIONS",
	    "UBSAN_OPTIONS", NULL };

	e->n = 0;
	e->vars[0] = NULL;
	env_add(e, "GATEWAY_INTERFACE", "CGI/1.1");
	env_add(e, "SERVER_PROTOCOL", "HTTP/1.1");
	env_add(e, "REQUEST_METHOD", method);
	for (size_t i = 0; passed[i] != NULL; i++)
		if (getenv(passed[i]) != NULL)
			env_add(e, passed[i], getenv(passed[i]));
	if (settings) {
		cr_assert_not_null(getenv("TASKAPI_TEST_APP_DB"));
		env_add(e, "JWT_SECRET", test_secret());
		env_add(e, "DATABASE_URL", getenv("TASKAPI_TEST_APP_DB"));
		env_add(e, "CORS_ALLOWED_ORIGINS", ALLOWED);
	}
}

static void
bearer(struct cgi_env *e, const char *name, const char *token)
{
	char v[8192];

	snprintf(v, sizeof(v), "Bearer %s", token);
	env_add(e, name, v);
}

/* The built program's path (tests/run exports BIN_DIR). */
static void
program_path(const char *name, char *out, size_t len)
{
	const char *dir = getenv("BIN_DIR");

	cr_assert(dir != NULL, "BIN_DIR is not set: run the suite with make test");
	snprintf(out, len, "%s/%s", dir, name);
}

/* Appends what fd has to *buf; returns 0 at end of file. */
static int
drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	cr_assert(*len + (size_t)n < CGI_OUT_MAX, "a CGI answer over %d bytes",
	    CGI_OUT_MAX);
	cr_assert_not_null(*buf = realloc(*buf, *len + (size_t)n + 1));
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 1;
}

/*
 * Runs path as Apache's mod_cgi would: env only, body on stdin (closed
 * after it), stdout and stderr collected until the program exits. The
 * program may stop reading its body early (a refused one): that is fine.
 */
static struct cgi_run *
cgi_exec(const char *path, const struct cgi_env *e, const char *body,
    size_t body_len)
{
	struct cgi_run *r = calloc(1, sizeof(*r));
	int in[2], out[2], err[2], wstatus;
	char *argv[16], *wrapper = NULL;
	size_t argc = 0, sent = 0, err_len = 0;
	pid_t pid;
	int out_open = 1, err_open = 1;

	cr_assert_not_null(r);
	/* tests/run --valgrind: each program under valgrind, as the workers. */
	if (getenv("WORKER_WRAPPER") != NULL) {
		cr_assert_not_null(wrapper = strdup(getenv("WORKER_WRAPPER")));
		for (char *t = strtok(wrapper, " \t\n"); t != NULL;
		    t = strtok(NULL, " \t\n")) {
			cr_assert(argc < 14);
			argv[argc++] = t;
		}
	}
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	cr_assert(pipe(in) == 0 && pipe(out) == 0 && pipe(err) == 0);
	signal(SIGPIPE, SIG_IGN);
	cr_assert((pid = fork()) >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(argv[0], argv, (char *const *)e->vars);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (body == NULL || body_len == 0) {
		close(in[1]);
		in[1] = -1;
	} else
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (out_open || err_open) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 },
		    { in[1], POLLOUT, 0 } };

		if (!out_open)
			p[0].fd = -1;
		if (!err_open)
			p[1].fd = -1;
		cr_assert(poll(p, 3, 60000) > 0, "%s: no end within 60 s", path);
		if (p[0].revents != 0)
			out_open = drain(out[0], &r->out, &r->out_len);
		if (p[1].revents != 0)
			err_open = drain(err[0], &r->err, &err_len);
		if (in[1] >= 0 && p[2].revents != 0) {
			ssize_t n = write(in[1], body + sent, body_len - sent);

			if (n > 0)
				sent += (size_t)n;
			/* Done, or the program stopped reading (EPIPE). */
			if (sent == body_len || (n < 0 && errno != EAGAIN)) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	close(err[0]);
	cr_assert(waitpid(pid, &wstatus, 0) == pid);
	r->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	if (r->out == NULL)
		cr_assert_not_null(r->out = strdup(""));
	if (r->err == NULL)
		cr_assert_not_null(r->err = strdup(""));
	free(wrapper);
	return r;
}

/* Splits the CGI answer: "Status: N reason", header lines, blank, body. */
static void
cgi_parse(struct cgi_run *r, const char *what)
{
	const char *eoh = strstr(r->out, "\r\n\r\n");

	cr_assert(r->exit_code == 0, "%s: exit %d, stderr: %s", what,
	    r->exit_code, r->err);
	cr_assert_not_null(eoh, "%s: no end of headers in %s", what, r->out);
	cr_assert(sscanf(r->out, "Status: %ld ", &r->status) == 1,
	    "%s: no Status line first: %s", what, r->out);
	r->res.status = r->status;
	cr_assert_not_null(r->res.headers = strndup(r->out, (size_t)(eoh - r->out) + 2));
	cr_assert_not_null(r->res.body = strdup(eoh + 4));
	r->res.body_len = r->out_len - (size_t)(eoh + 4 - r->out);
	r->res.json = r->res.body_len > 0 ? json_tokener_parse(r->res.body) : NULL;
}

static void
cgi_free(struct cgi_run *r)
{
	json_object_put(r->res.json);
	free(r->res.headers);
	free(r->res.body);
	free(r->out);
	free(r->err);
	free(r);
}

/* One request to the built program name; the answer, parsed. */
static struct cgi_run *
cgi(const char *name, const struct cgi_env *e, const char *body)
{
	char path[4096];
	struct cgi_run *r;

	program_path(name, path, sizeof(path));
	r = cgi_exec(path, e, body, body != NULL ? strlen(body) : 0);
	cgi_parse(r, name);
	return r;
}

static void
header_is(const struct cgi_run *r, const char *name, const char *want)
{
	const char *v = http_header(&r->res, name);

	cr_assert(v != NULL, "no %s in %s", name, r->out);
	cr_assert_str_eq(v, want, "%s: %s", name, r->out);
}

static void
json_body(struct cgi_env *e, const char *body)
{
	char len[32];

	snprintf(len, sizeof(len), "%zu", strlen(body));
	env_add(e, "CONTENT_TYPE", "application/json");
	env_add(e, "CONTENT_LENGTH", len);
}

Test(cgi, serves_one_request_and_exits_0)
{
	struct cgi_env e;
	struct cgi_run *r;

	env_base(&e, "GET", 1);
	r = cgi("health", &e, NULL);
	cr_assert_eq(r->status, 200, "%s", r->out);
	header_is(r, "Content-Type", "application/json");
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "status")), "ok", "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "database")), "ok", "%s", r->out);
	cr_assert_str_eq(r->err, "", "stderr: %s", r->err);
	cgi_free(r);

	env_base(&e, "OPTIONS", 1);
	r = cgi("tasks", &e, NULL);
	cr_assert_eq(r->status, 204, "%s", r->out);
	header_is(r, "Allow", "GET, POST, OPTIONS");
	cr_assert_eq(r->res.body_len, 0, "%s", r->out);
	cgi_free(r);
}

/*
 * docs/API.md "Order of checks" holds as under FastCGI: a 401 or a 405
 * needs no database, so the program does not connect for one (start-up is
 * cheap).
 * The database named here does not exist: a connection would show.
 */
Test(cgi, a_401_or_405_never_connects)
{
	struct cgi_env e;
	struct cgi_run *r;

	env_base(&e, "GET", 0);
	env_add(&e, "JWT_SECRET", test_secret());
	env_add(&e, "DATABASE_URL", "host=/nonexistent-taskapi-socket dbname=none");
	r = cgi("tasks", &e, NULL);
	cr_assert_eq(r->status, 401, "%s", r->out);
	header_is(r, "WWW-Authenticate", "Bearer");
	cr_assert_str_eq(r->err, "", "it connected: %s", r->err);
	cgi_free(r);

	env_base(&e, "DELETE", 0);
	env_add(&e, "JWT_SECRET", test_secret());
	env_add(&e, "DATABASE_URL", "host=/nonexistent-taskapi-socket dbname=none");
	r = cgi("health", &e, NULL);
	cr_assert_eq(r->status, 405, "%s", r->out);
	header_is(r, "Allow", "GET, OPTIONS");
	cr_assert_str_eq(r->err, "", "it connected: %s", r->err);
	cgi_free(r);
}

/*
 * Apache hands a CGI program what an .htaccess rewrite set (the
 * Authorization fallback, the {id}) as REDIRECT_*; the plain names win.
 */
Test(cgi, rewrite_variables_reach_the_program)
{
	char subject[37], id[37], body[] = "{\"title\":\"through CGI\"}";
	char *token;
	struct cgi_env e;
	struct cgi_run *r;

	test_uuid(subject);
	token = token_for(subject);

	env_base(&e, "POST", 1);
	bearer(&e, "REDIRECT_HTTP_AUTHORIZATION", token);
	json_body(&e, body);
	r = cgi("tasks", &e, body);
	cr_assert_eq(r->status, 201, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "user_id")), subject);
	snprintf(id, sizeof(id), "%s", OR_EMPTY(json_str(&r->res, "id")));
	cr_assert(is_uuid(id), "%s", r->out);
	cgi_free(r);

	env_base(&e, "GET", 1);
	bearer(&e, "REDIRECT_HTTP_AUTHORIZATION", token);
	env_add(&e, "REDIRECT_TASK_ID", id);
	r = cgi("task_item", &e, NULL);
	cr_assert_eq(r->status, 200, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "title")), "through CGI");
	cgi_free(r);

	/* CGIPassAuth's HTTP_AUTHORIZATION wins over the rewrite's copy. */
	env_base(&e, "PATCH", 1);
	bearer(&e, "HTTP_AUTHORIZATION", token);
	bearer(&e, "REDIRECT_HTTP_AUTHORIZATION", "not.a.token");
	env_add(&e, "TASK_ID", id);
	env_add(&e, "REDIRECT_TASK_ID", "00000000-0000-0000-0000-000000000000");
	r = cgi("task_complete", &e, NULL);
	cr_assert_eq(r->status, 200, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "id")), id);
	cr_assert_eq(json_flag(&r->res, "is_completed"), 1, "%s", r->out);
	cgi_free(r);

	/* Without either, the request is not authenticated. */
	env_base(&e, "GET", 1);
	env_add(&e, "REDIRECT_TASK_ID", id);
	r = cgi("task_item", &e, NULL);
	cr_assert_eq(r->status, 401, "%s", r->out);
	cgi_free(r);
	free(token);
}

/*
 * docs/API.md "Request bodies": a body over 64 KiB is 413, refused before
 * it is read.
 */
Test(cgi, a_body_over_64_kib_is_413)
{
	char subject[37], *token, *body;
	struct cgi_env e;
	struct cgi_run *r;
	char path[4096];

	test_uuid(subject);
	token = token_for(subject);
	body = str_repeat("{\"title\":\"x\",\"pad\":\"", "p", 64 * 1024, "\"}");
	env_base(&e, "POST", 1);
	bearer(&e, "HTTP_AUTHORIZATION", token);
	json_body(&e, body);
	program_path("tasks", path, sizeof(path));
	r = cgi_exec(path, &e, body, strlen(body));
	cgi_parse(r, "tasks");
	cr_assert_eq(r->status, 413, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(detail(&r->res)), "Request body too large");
	cgi_free(r);
	free(body);
	free(token);
}

/* A temporary folder with a copy of the built program name in it. */
static void
program_copy(const char *name, char dir[64], char path[128])
{
	char from[4096], buf[65536];
	ssize_t n;
	int in, out;

	snprintf(dir, 64, "%s/taskapi-cgi.XXXXXX", "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(path, 128, "%s/%s", dir, name);
	program_path(name, from, sizeof(from));
	cr_assert((in = open(from, O_RDONLY)) >= 0);
	cr_assert((out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/*
 * Configuration without environment access (docs/API.md "Env file"): the
 * env file beside the program, or the one TASKAPI_ENV_FILE names (SetEnv
 * in .htaccess); with neither, the program refuses to serve and says why
 * on stderr.
 */
Test(cgi, settings_from_an_env_file)
{
	char dir[64], path[128], beside[256], named[256], text[1024];
	struct cgi_env e;
	struct cgi_run *r;

	program_copy("health", dir, path);
	snprintf(beside, sizeof(beside), "%s/taskapi.env", dir);
	snprintf(text, sizeof(text), "# beside the program\nJWT_SECRET=%s\n"
	    "DATABASE_URL=\"%s\"\n", test_secret(), getenv("TASKAPI_TEST_APP_DB"));
	write_file(beside, text);

	env_base(&e, "GET", 0);
	r = cgi_exec(path, &e, NULL, 0);
	cgi_parse(r, "health beside its env file");
	cr_assert_eq(r->status, 200, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(json_str(&r->res, "database")), "ok");
	cgi_free(r);

	/* A named file wins, and the one beside is not read at all. */
	snprintf(named, sizeof(named), "%s/elsewhere.env", dir);
	snprintf(text, sizeof(text), "JWT_SECRET=%s\nDATABASE_URL=%s\n",
	    test_secret(), "host=/nonexistent-taskapi-socket dbname=none");
	write_file(named, text);
	env_base(&e, "GET", 0);
	env_add(&e, "TASKAPI_ENV_FILE", named);
	r = cgi_exec(path, &e, NULL, 0);
	cgi_parse(r, "health with TASKAPI_ENV_FILE");
	cr_assert_eq(r->status, 503, "the named file was not used: %s", r->out);
	cgi_free(r);

	/* No settings at all: no answer, exit 1, the reason on stderr
	 * (Apache then answers 500, which http_error turns into a 503). */
	cr_assert_eq(unlink(beside), 0);
	env_base(&e, "GET", 0);
	r = cgi_exec(path, &e, NULL, 0);
	cr_assert_eq(r->exit_code, 1, "exit %d: %s", r->exit_code, r->out);
	cr_assert_eq(r->out_len, 0, "an answer without settings: %s", r->out);
	cr_assert(strstr(r->err, "JWT_SECRET is not set") != NULL, "%s", r->err);
	cgi_free(r);

	unlink(named);
	unlink(path);
	rmdir(dir);
}

/* http_error answers as Apache's ErrorDocument runs it. */
static struct cgi_run *
apache_error(const char *redirect_status, const char *url, const char *origin,
    int settings)
{
	struct cgi_env e;

	env_base(&e, "GET", settings);
	if (!settings)
		env_add(&e, "TASKAPI_ENV_FILE", "/nonexistent/taskapi.env");
	if (redirect_status != NULL)
		env_add(&e, "REDIRECT_STATUS", redirect_status);
	if (url != NULL)
		env_add(&e, "REDIRECT_URL", url);
	if (origin != NULL)
		env_add(&e, "HTTP_ORIGIN", origin);
	return cgi("http_error", &e, NULL);
}

Test(cgi, http_error_answers_apaches_own_errors_as_json)
{
	static const struct {
		const char *from, *url;
		long status;
		const char *detail, *allow;
	} cases[] = {
		{ "404", "/api/nope", 404, "Not Found", NULL },
		{ "403", "/api/.htaccess", 404, "Not Found", NULL },
		{ NULL, NULL, 404, "Not Found", NULL },
		{ "400", "/api/tasks", 400, "Bad request", NULL },
		{ "431", "/api/tasks", 400, "Bad request", NULL },
		{ "413", "/api/tasks", 413, "Request body too large", NULL },
		{ "414", NULL, 414, "URI too long", NULL },
		{ "405", "/api/tasks", 405, "Method Not Allowed", "GET, POST, OPTIONS" },
		{ "405", "/api/health", 405, "Method Not Allowed", "GET, OPTIONS" },
		{ "405", "/api/tasks/abc", 405, "Method Not Allowed",
		    "GET, PUT, PATCH, DELETE, OPTIONS" },
		{ "405", "/api/tasks/abc/complete", 405, "Method Not Allowed",
		    "PATCH, OPTIONS" },
		{ "405", "/api/tasks/", 405, "Method Not Allowed", NULL },
		{ "405", "/api/tasks/a/b", 405, "Method Not Allowed", NULL },
		{ "405", "/api/nope", 405, "Method Not Allowed", NULL },
		{ "500", "/api/tasks", 503, "Service temporarily unavailable", NULL },
		{ "502", "/api/tasks", 503, "Service temporarily unavailable", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cgi_run *r = apache_error(cases[i].from, cases[i].url,
		    ALLOWED, 1);

		cr_assert_eq(r->status, cases[i].status, "%s %s: %s",
		    cases[i].from, cases[i].url, r->out);
		header_is(r, "Content-Type", "application/json");
		cr_assert_str_eq(OR_EMPTY(detail(&r->res)), cases[i].detail,
		    "%s: %s", cases[i].from, r->out);
		if (cases[i].allow != NULL)
			header_is(r, "Allow", cases[i].allow);
		else
			cr_assert_null(http_header(&r->res, "Allow"), "%s", r->out);
		if (cases[i].status == 503)
			header_is(r, "Retry-After", "2");
		header_is(r, "Access-Control-Allow-Origin", ALLOWED);
		header_is(r, "Vary", "Origin");
		cgi_free(r);
	}
}

/*
 * An error page must be answered even when the settings cannot be read
 * (a program that could not start is one such 500): without CORS then.
 */
Test(cgi, http_error_answers_without_settings)
{
	struct cgi_run *r = apache_error("500", "/api/tasks", ALLOWED, 0);

	cr_assert_eq(r->status, 503, "%s", r->out);
	cr_assert_str_eq(OR_EMPTY(detail(&r->res)), "Service temporarily unavailable");
	cr_assert_null(http_header(&r->res, "Access-Control-Allow-Origin"));
	cr_assert(strstr(r->err, "env file") != NULL, "the reason is not logged: %s",
	    r->err);
	cgi_free(r);

	r = apache_error("404", "/api/nope", "http://evil.example", 1);
	cr_assert_eq(r->status, 404, "%s", r->out);
	cr_assert_null(http_header(&r->res, "Access-Control-Allow-Origin"));
	cgi_free(r);
}
