/*
 * issuer.c: the integration tests' external issuer (see issuer.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/issuer.h"
#include "support/jwks_server.h"
#include "support/keys.h"

static const char *
issuer_dir(void)
{
	const char *d = getenv("TASKAPI_TEST_JWKS_DIR");

	cr_assert(d != NULL, "TASKAPI_TEST_JWKS_DIR is not set: run the suite with make test");
	return d;
}

EVP_PKEY *
issuer_key(const char *name, char kid[33])
{
	char path[4096], *pem, *id;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/keys/%s.pem", issuer_dir(), name);
	cr_assert_not_null(pem = key_read_file(path), "no key %s", path);
	snprintf(path, sizeof(path), "%s/keys/%s.kid", issuer_dir(), name);
	cr_assert_not_null(id = key_read_file(path), "no kid %s", path);
	snprintf(kid, 33, "%s", id);
	k = key_from_pem(pem);
	free(pem);
	free(id);
	return k;
}

const char *
issuer_alg(const char *name)
{
	static const char *const map[][2] = { { "ed25519", "EdDSA" },
	    { "p256", "ES256" }, { "p521", "ES512" }, { "rs256", "RS256" },
	    { "ps256", "PS256" } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], name) == 0)
			return map[i][1];
	cr_assert_fail("no stable key %s", name);
	return NULL;
}

char *
issuer_payload(const char *sub, const char *email, const char *aud, long exp)
{
	char *p, mail[300];

	if (email != NULL)
		snprintf(mail, sizeof(mail), "\"%s\"", email);
	else
		snprintf(mail, sizeof(mail), "null");
	cr_assert(asprintf(&p, "{\"name\":\"Test User\",\"email\":%s,"
	    "\"emailVerified\":false,\"image\":null,"
	    "\"createdAt\":\"2026-11-25T10:00:00.000Z\","
	    "\"updatedAt\":\"2026-11-25T10:00:00.000Z\",\"id\":\"%s\","
	    "\"iat\":%ld,\"sub\":\"%s\",\"exp\":%ld,\"iss\":\"%s\",\"aud\":\"%s\"}",
	    mail, sub, exp - ISSUER_LIFETIME, sub, exp, ISSUER_URL, aud) > 0);
	return p;
}

char *
issuer_sign(EVP_PKEY *k, const char *alg, const char *kid, const char *payload)
{
	char header[128];

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
	return jws_sign(k, alg, header, payload);
}

char *
issuer_token(EVP_PKEY *k, const char *alg, const char *kid, const char *sub,
    const char *email)
{
	char *p = issuer_payload(sub, email, ISSUER_URL,
	    (long)time(NULL) + ISSUER_LIFETIME);
	char *t = issuer_sign(k, alg, kid, p);

	free(p);
	return t;
}

void
issuer_publish(const char *const *extra, size_t n)
{
	char path[4096], *stable;
	struct json_object *set, *keys;

	snprintf(path, sizeof(path), "%s/stable.json", issuer_dir());
	cr_assert_not_null(stable = key_read_file(path));
	cr_assert_not_null(set = json_tokener_parse(stable));
	cr_assert(json_object_object_get_ex(set, "keys", &keys));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(keys, json_tokener_parse(extra[i]));
	snprintf(path, sizeof(path), "%s/jwks.json", issuer_dir());
	cr_assert_eq(key_write_file(path, json_object_to_json_string_ext(set,
	    JSON_C_TO_STRING_PLAIN)), 0);
	json_object_put(set);
	free(stable);
}

void
issuer_restore(void)
{
	issuer_publish(NULL, 0);
}

int
issuer_fetches(void)
{
	return jwks_server_requests(issuer_dir());
}

void
issuer_signal(int sig)
{
	const char *pid = getenv("TASKAPI_TEST_JWKS_PID");

	cr_assert(pid != NULL, "TASKAPI_TEST_JWKS_PID is not set: run make test");
	cr_assert_eq(kill((pid_t)atol(pid), sig), 0);
}
