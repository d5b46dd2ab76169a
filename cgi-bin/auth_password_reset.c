/*
 * auth_password_reset: POST /api/auth/password-reset, a reset link by
 * mail for an account registered here (docs/API.md "Password reset").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/reset.h"
#include "domain/user.h"
#include "json/json.h"
#include "mail/mail.h"

/* What the mail needs once the answer has gone: the request is gone then. */
struct reset_mail {
	char to[USER_EMAIL_BYTES];
	char token[RESET_TOKEN_LEN + 1];
};

static void request_reset(struct ctx *c);
static void send_reset_mail(const struct config *cfg, void *arg);

static const struct app_handler handlers[] = {
	{ "POST", request_reset },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_password_reset", handlers);
}

/*
 * docs/API.md "Password reset": 202 and the same answer whether or not
 * the account exists, in about the same time. Both ways make a token and
 * run the one statement (sql/014_password_resets.sql keeps their costs
 * alike); the mail goes after the answer (ctx_after_set), so neither the
 * mail server's pace nor its failure shows in the answer.
 */
static void
request_reset(struct ctx *c)
{
	struct json_object *body;
	char email[USER_EMAIL_BYTES], key[USER_EMAIL_KEY_BYTES];
	char token[RESET_TOKEN_LEN + 1], hash[RESET_HASH_TEXT_BYTES];
	const char *raw, *params[2];
	struct reset_mail *job;
	size_t len;
	PGresult *res = NULL;

	if (!user_answer_reset_here(c) || (body = ctx_body(c)) == NULL)
		return;
	/*
	 * An address that no account could have is told as register tells
	 * it: that depends on the text alone, not on any account, and a
	 * typing mistake is then shown, not mailed nowhere.
	 */
	if (json_member_text(body, "email", 1, (size_t)-1, &raw, &len) != JSON_TEXT_OK ||
	    user_email_normalize(raw, len, email) != 0 ||
	    user_email_key(email, key) != 0) {
		response_error(c->res, 422, "email must be a valid email address "
		    "of at most 254 characters");
		goto out;
	}
	if (reset_token_new(token, hash) != 0) {
		ctx_internal(c, "reset token", "no random bytes");
		goto out;
	}
	params[0] = key;
	params[1] = hash;
	if ((res = ctx_rows(c, STMT_RESET_REQUEST, 2, params,
	    "reset request")) == NULL)
		goto out;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		if ((job = malloc(sizeof(*job))) == NULL) {
			ctx_internal(c, "reset mail", "out of memory");
			goto out;
		}
		snprintf(job->to, sizeof(job->to), "%s", PQgetvalue(res, 0, 0));
		memcpy(job->token, token, sizeof(job->token));
		ctx_after_set(c, send_reset_mail, job);
	}
	response_error(c->res, 202, "If the account exists, an email is on "
	    "its way");
out:
	OPENSSL_cleanse(token, sizeof(token));
	PQclear(res);
	json_object_put(body);
}

/*
 * After the answer: the mail with the link. A failure is logged without
 * the address or the token; the user may ask again.
 */
static void
send_reset_mail(const struct config *cfg, void *arg)
{
	struct reset_mail *job = arg;
	struct mail_server server = { cfg->smtp_url, cfg->smtp_from,
	    cfg->smtp_timeout_seconds };
	struct mail_message m = { cfg->smtp_from, job->to, RESET_MAIL_SUBJECT,
	    NULL };
	char why[MAIL_WHY_MAX], *text;

	if ((text = reset_mail_body(cfg->password_reset_url, job->token)) == NULL)
		snprintf(why, sizeof(why), "out of memory");
	else {
		m.body = text;
		if (mail_send(&server, &m, why, sizeof(why)) == 0)
			why[0] = '\0';
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	if (why[0] != '\0')
		fprintf(stderr, "taskapi[auth_password_reset]: a reset mail was "
		    "not sent: %s\n", why);
	OPENSSL_cleanse(job, sizeof(*job));
}
