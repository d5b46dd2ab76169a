/*
 * fuzz.h: what the fuzz targets share: libFuzzer's entry point, a check
 * that stops the run when an invariant breaks (libFuzzer then keeps the
 * input as a crash), and a NUL-terminated copy of the input.
 */
#ifndef TASKAPI_FUZZ_H
#define TASKAPI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A wrong answer is as much a finding as a crash: abort() turns it into
 * one, with the condition in the report.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * The input as a C string, as the parsers that take one receive it: an
 * embedded NUL ends it, as it would in a FastCGI parameter. To free().
 */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
