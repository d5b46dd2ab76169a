/*
 * jwks-server DIR: the test instance's issuer (tests/run starts it; see
 * jwks_server.h). The first start makes the issuer's stable keys, one per
 * algorithm the suite signs with: DIR/keys/<name>.pem (private) and
 * <name>.kid, and their public set in DIR/jwks.json (served) and
 * DIR/stable.json (to restore it). Then it listens on a free loopback port,
 * writes it to DIR/port, and serves DIR until SIGTERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/jwks_server.h"
#include "support/keys.h"

static const struct {
	const char *name, *kind, *alg;
} stable[] = {
	{ "ed25519", "Ed25519", "EdDSA" },
	{ "p256", "P-256", "ES256" },
	{ "p521", "P-521", "ES512" },
	{ "rs256", "RSA", "RS256" },
	{ "ps256", "RSA", "PS256" },
};
#define NSTABLE (sizeof(stable) / sizeof(stable[0]))

static void
put(const char *dir, const char *name, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (key_write_file(path, text) != 0) {
		fprintf(stderr, "jwks-server: cannot write %s\n", path);
		exit(1);
	}
}

static void
make_keys(const char *dir)
{
	char *jwks[NSTABLE], *set, name[64], kid[33];

	for (size_t i = 0; i < NSTABLE; i++) {
		EVP_PKEY *k = key_new(stable[i].kind);
		char *pem = key_pem(k);

		key_random_id(kid);
		snprintf(name, sizeof(name), "keys/%s.pem", stable[i].name);
		put(dir, name, pem);
		snprintf(name, sizeof(name), "keys/%s.kid", stable[i].name);
		put(dir, name, kid);
		jwks[i] = key_jwk(k, kid, stable[i].alg);
		free(pem);
		EVP_PKEY_free(k);
	}
	set = key_set((const char *const *)jwks, NSTABLE);
	put(dir, "stable.json", set);
	put(dir, "jwks.json", set);
	free(set);
	for (size_t i = 0; i < NSTABLE; i++)
		free(jwks[i]);
}

int
main(int argc, char **argv)
{
	char keys[4096], port[16];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: jwks-server DIR\n");
		return 2;
	}
	snprintf(keys, sizeof(keys), "%s/keys", argv[1]);
	if (mkdir(keys, 0700) == 0)
		make_keys(argv[1]);
	else if (errno != EEXIST) {
		perror("jwks-server: mkdir");
		return 1;
	}
	if ((fd = jwks_server_listen(0)) < 0) {
		perror("jwks-server: listen");
		return 1;
	}
	snprintf(port, sizeof(port), "%d", jwks_server_port(fd));
	put(argv[1], "port", port);
	jwks_server_serve(fd, argv[1]);
	return 0;
}
