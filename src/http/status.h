/*
 * status.h: the HTTP statuses this API answers, in one table: the reason
 * phrase of a response's Status line, and the detail of an error that has
 * nothing more precise to say. The details are the words of nginx's own
 * answers (nginx/errors.conf), so a client cannot tell whether nginx,
 * Apache (http_error) or a program answered.
 */
#ifndef TASKAPI_STATUS_H
#define TASKAPI_STATUS_H

/*
 * docs/API.md "General": a 503 carries Retry-After. A restarting program
 * or database is back within seconds, and a client that waits this long
 * does not hammer it meanwhile. nginx's @unavailable page
 * (nginx/errors.conf) sends the same number; tests/lint/routes checks it.
 */
#define STATUS_RETRY_AFTER_SECONDS 2

/* The reason phrase of status; "Internal Server Error" for one not listed. */
const char *status_reason(int status);
/*
 * The detail of an error answer with status when nothing more precise
 * applies ("Not Found"); the reason phrase for a status without one.
 */
const char *status_detail(int status);

#endif
