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

#endif
