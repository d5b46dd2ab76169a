/*
 * helpers.c: the integration tests' client side. Every request goes over
 * real HTTP to the nginx of the instance tests/run started; tokens are
 * signed with libjwt, the same library a real issuer would use.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <jwt.h>

#include "support/helpers.h"

struct buf {
	char *data;
	size_t len;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;
	char *p = realloc(b->data, b->len + n + 1);

	cr_assert_not_null(p);
	memcpy(p + b->len, ptr, n);
	b->len += n;
	p[b->len] = '\0';
	b->data = p;
	return n;
}

/* Another instance's base URL for this test's requests (NULL: the main one). */
static const char *base_override;

void
http_use_base(const char *url)
{
	base_override = url;
}

static const char *
base_url(void)
{
	const char *u = base_override != NULL ? base_override :
	    getenv("TASKAPI_TEST_URL");

	cr_assert(u != NULL, "TASKAPI_TEST_URL is not set: run the suite with make test");
	return u;
}

/*
 * Each test process is its own client, with its own loopback address
 * (all of 127.0.0.0/8 reaches nginx on Linux): the rate limit of register
 * and login is per client address, as it is for real clients. Tests that
 * send from several threads share it, so it is only read or changed under
 * the lock, and each request binds a copy.
 */
static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;
static char client_addr[32];

static void
new_client_locked(void)
{
	unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	static unsigned n;

	seed ^= ++n * 40503u;
	snprintf(client_addr, sizeof(client_addr), "127.%u.%u.%u",
	    1 + seed % 254, (seed >> 8) % 256, 1 + (seed >> 16) % 254);
}

/* Copies this process's client address into out (at least 32 bytes). */
static void
client_address_copy(char *out, size_t size)
{
	pthread_mutex_lock(&client_lock);
	if (client_addr[0] == '\0')
		new_client_locked();
	snprintf(out, size, "%s", client_addr);
	pthread_mutex_unlock(&client_lock);
}

const char *
http_client_address(void)
{
	static __thread char copy[32];

	client_address_copy(copy, sizeof(copy));
	return copy;
}

void
http_new_client(void)
{
	pthread_mutex_lock(&client_lock);
	new_client_locked();
	pthread_mutex_unlock(&client_lock);
}

int http_retry_429 = 1;

static struct http_res *http_once(const char *method, const char *path,
    const char *const *headers, const char *body, size_t body_len);

/*
 * docs/API.md "Rate limit": a 429 says when to come back (Retry-After).
 * The suite does as a well-behaved client would, unless a test turns it
 * off to see the 429.
 */
struct http_res *
http_req(const char *method, const char *path, const char *const *headers,
    const char *body, size_t body_len)
{
	struct http_res *r;
	const char *after;

	for (int tries = 0;; tries++) {
		r = http_once(method, path, headers, body, body_len);
		if (r->status != 429 || !http_retry_429 || tries == 30)
			return r;
		after = http_header(r, "Retry-After");
		cr_assert_not_null(after, "429 without Retry-After");
		fprintf(stderr, "helpers: 429 from %s for %s, retrying after %s s\n",
		    path, http_client_address(), after);
		sleep((unsigned)atoi(after));
		http_free(r);
	}
}

static struct http_res *
http_once(const char *method, const char *path, const char *const *headers,
    const char *body, size_t body_len)
{
	struct http_res *r = calloc(1, sizeof(*r));
	struct buf hb = { NULL, 0 }, bb = { NULL, 0 };
	struct curl_slist *hl = NULL;
	char url[8192], addr[32], iface[48];
	CURLcode rc;
	CURL *c;

	cr_assert_not_null(r);
	snprintf(url, sizeof(url), "%s%s", base_url(), path);
	c = curl_easy_init();
	cr_assert_not_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	client_address_copy(addr, sizeof(addr));
	snprintf(iface, sizeof(iface), "host!%s", addr);
	curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	/* curl adds "Expect: 100-continue" to large bodies; nginx does not need it. */
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (body != NULL) {
		if (body_len == (size_t)-1)
			body_len = strlen(body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body_len);
	}
	rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r->headers = hb.data != NULL ? hb.data : strdup("");
	r->body = bb.data != NULL ? bb.data : strdup("");
	r->body_len = bb.len;
	r->json = r->body_len > 0 ? json_tokener_parse(r->body) : NULL;
	return r;
}

struct http_res *
http_json(const char *method, const char *path, const char *token,
    const char *json_body)
{
	char auth[16384];
	const char *h[3] = { NULL, NULL, NULL };
	size_t n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (json_body != NULL)
		h[n++] = "Content-Type: application/json";
	return http_req(method, path, h, json_body, (size_t)-1);
}

void
http_free(struct http_res *r)
{
	if (r == NULL)
		return;
	json_object_put(r->json);
	free(r->headers);
	free(r->body);
	free(r);
}

const char *
http_header(const struct http_res *r, const char *name)
{
	static __thread char value[4096];
	size_t nlen = strlen(name);
	const char *p = r->headers;

	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");
		size_t llen = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (llen > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			size_t vlen;

			while (*v == ' ')
				v++;
			vlen = (size_t)(p + llen - v);
			if (vlen >= sizeof(value))
				vlen = sizeof(value) - 1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return value;
		}
		p = eol != NULL ? eol + 2 : NULL;
	}
	return NULL;
}

static struct json_object *
field(const struct http_res *r, const char *key)
{
	struct json_object *v;

	if (r->json == NULL || !json_object_is_type(r->json, json_type_object) ||
	    !json_object_object_get_ex(r->json, key, &v))
		return NULL;
	return v;
}

const char *
json_str(const struct http_res *r, const char *key)
{
	struct json_object *v = field(r, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

int
json_flag(const struct http_res *r, const char *key)
{
	struct json_object *v = field(r, key);

	return v != NULL && json_object_is_type(v, json_type_boolean) ?
	    json_object_get_boolean(v) : -1;
}

int
json_is_null(const struct http_res *r, const char *key)
{
	struct json_object *v;

	return r->json != NULL && json_object_object_get_ex(r->json, key, &v) &&
	    v == NULL;
}

const char *
detail(const struct http_res *r)
{
	const char *d = json_str(r, "detail");

	return d != NULL ? d : "(no detail)";
}

const char *
obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int
is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

int
is_timestamp(const char *s)
{
	int y, mo, d, h, mi, se, us, n = -1;

	if (s == NULL || strlen(s) != 27 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ%n", &y, &mo, &d, &h, &mi,
	    &se, &us, &n) != 7 || n != 27)
		return 0;
	return y >= 2000 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	    h <= 23 && mi <= 59 && se <= 60;
}

const char *
test_secret(void)
{
	const char *s = getenv("JWT_SECRET");

	cr_assert(s != NULL && strlen(s) >= 32, "JWT_SECRET is not set: run the suite with make test");
	return s;
}

void
test_uuid(char out[37])
{
	unsigned char b[16];
	FILE *f = fopen("/dev/urandom", "rb");

	cr_assert_not_null(f);
	cr_assert_eq(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
test_email(char *out, size_t len)
{
	char id[37];

	test_uuid(id);
	snprintf(out, len, "user-%.8s@example.com", id);
}

char *
token_sign(const char *payload_json, const char *key, const char *alg)
{
	jwt_t *jwt = NULL;
	char *out;

	cr_assert_eq(jwt_new(&jwt), 0);
	cr_assert_eq(jwt_add_grants_json(jwt, payload_json), 0, "bad payload %s", payload_json);
	cr_assert_eq(jwt_set_alg(jwt, jwt_str_alg(alg), (const unsigned char *)key,
	    (int)strlen(key)), 0);
	out = jwt_encode_str(jwt);
	cr_assert_not_null(out);
	jwt_free(jwt);
	return out;
}

char *
token_for(const char *subject)
{
	char payload[1024];
	long now = (long)time(NULL);

	snprintf(payload, sizeof(payload),
	    "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}", subject, now, now + 3600);
	return token_sign(payload, test_secret(), "HS256");
}

char *
register_user(const char *email, const char *password, char id[64])
{
	char body[512];
	struct http_res *r;
	struct json_object *user, *v;
	char *token;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	r = http_json("POST", "/api/auth/register", NULL, body);
	cr_assert_eq(r->status, 201, "register: %ld %s", r->status, r->body);
	cr_assert_not_null(json_str(r, "access_token"));
	token = strdup(json_str(r, "access_token"));
	cr_assert(json_object_object_get_ex(r->json, "user", &user));
	cr_assert(json_object_object_get_ex(user, "id", &v));
	snprintf(id, 64, "%s", json_object_get_string(v));
	http_free(r);
	return token;
}

void
create_task(const char *token, const char *title, char id[37])
{
	char body[1024];
	struct http_res *r;

	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	r = http_json("POST", "/api/tasks", token, body);
	cr_assert_eq(r->status, 201, "create: %ld %s", r->status, r->body);
	cr_assert_not_null(json_str(r, "id"));
	snprintf(id, 37, "%s", json_str(r, "id"));
	http_free(r);
}

char *
b64url(const char *data, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len * 4 / 3 + 4);
	size_t o = 0, i;

	cr_assert_not_null(out);
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16 |
		    (unsigned char)data[i + 1] << 8 | (unsigned char)data[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned char)data[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned char)data[i] << 16 |
		    (unsigned char)data[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

int
stack_command(const char *what)
{
	char cmd[512];
	const char *stack = getenv("TASKAPI_TEST_STACK");

	cr_assert(stack != NULL, "TASKAPI_TEST_STACK is not set: run the suite with make test");
	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", stack, what);
	return system(cmd);
}

int
stack_output(const char *what, char *out, size_t outlen)
{
	char cmd[512];
	const char *stack = getenv("TASKAPI_TEST_STACK");
	size_t n;
	FILE *p;

	cr_assert(stack != NULL, "TASKAPI_TEST_STACK is not set: run the suite with make test");
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", stack, what);
	cr_assert_not_null(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	return pclose(p);
}

char *
str_repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	char *s = malloc(pl + ul * n + sl + 1), *p = s;

	cr_assert_not_null(s);
	memcpy(p, prefix, pl);
	p += pl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, suffix, sl + 1);
	return s;
}

double
test_recovery_s(void)
{
	const char *s = getenv("TASKAPI_TEST_RECOVERY_S");
	char *end;
	double v;

	if (s == NULL || s[0] == '\0')
		return 0;
	v = strtod(s, &end);
	cr_assert(*end == '\0' && v >= 0 && v < 60,
	    "TASKAPI_TEST_RECOVERY_S is not a number of seconds: %s", s);
	return v;
}

double
test_monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct http_res *
http_bearer(const char *method, const char *path, const char *token,
    const char *body, const char *h1, const char *h2)
{
	char auth[4096];
	const char *hdrs[5];
	size_t n = 0;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[n++] = auth;
	if (body != NULL)
		hdrs[n++] = "Content-Type: application/json";
	if (h1 != NULL)
		hdrs[n++] = h1;
	if (h2 != NULL)
		hdrs[n++] = h2;
	hdrs[n] = NULL;
	return http_req(method, path, hdrs, body, body != NULL ?
	    strlen(body) : 0);
}

const char *
task_path(const char *id, const char *suffix)
{
	static __thread char buf[4][256];
	static __thread int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "/api/tasks/%s%s", id, suffix);
	return p;
}
