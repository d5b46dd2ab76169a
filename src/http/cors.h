/*
 * cors.h: the Access-Control-* headers for an Origin that the settings
 * allow (docs/API.md "CORS"), the same for every program and http_error.
 * An Origin not on the list, or no settings at all, gets none of them and
 * no Vary: Origin.
 */
#ifndef TASKAPI_CORS_H
#define TASKAPI_CORS_H

#include "config/config.h"
#include "http/response.h"

/* A preflight (OPTIONS): Access-Control-Allow-Methods is allow. */
void cors_preflight(struct response *res, const struct config *cfg,
    const char *origin, const char *allow);
/* Any other answer of a program: the headers a script may read exposed. */
void cors_answer(struct response *res, const struct config *cfg,
    const char *origin);
/*
 * An answer the web server makes itself (nginx/errors.conf, Apache's
 * http_error): Access-Control-Allow-Origin and Vary only. cfg may be NULL
 * (settings that could not be read): then nothing.
 */
void cors_error_page(struct response *res, const struct config *cfg,
    const char *origin);

#endif
