/*
 * Unit: the mail module's message (src/mail/message.c), the reset mail's
 * text and token (src/auth/reset.c), and the settings of the mail server
 * (docs/API.md "Password reset"). Sending is the integration suite's
 * (tests/integration/password_reset.c), against a real SMTP server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "auth/reset.h"
#include "config/config.h"
#include "mail/mail.h"

static char *
build(const char *from, const char *to, const char *subject, const char *body,
    char *why, size_t whylen)
{
	struct mail_message m = { from, to, subject, body };
	size_t len = 0;
	char *text;

	/* 2026-12-06 11:04:47 UTC, a Sunday. */
	text = mail_build(&m, (time_t)1796555087, &len, why, whylen);
	if (text != NULL)
		cr_assert_eq(strlen(text), len);
	return text;
}

Test(mail, headers_then_the_body_every_line_in_crlf)
{
	char why[MAIL_WHY_MAX], *text, *id;

	text = build("Task API <noreply@taskapi.example>", "ada@example.com",
	    "Reset your password", "first\nsecond\r\nthird\rlast", why,
	    sizeof(why));
	cr_assert_not_null(text, "%s", why);
	static const char head[] = "From: Task API <noreply@taskapi.example>\r\n"
	    "To: ada@example.com\r\nSubject: Reset your password\r\n"
	    "Date: Sun, 06 Dec 2026 11:04:47 +0000\r\nMessage-ID: <";
	cr_assert(strncmp(text, head, sizeof(head) - 1) == 0, "%s", text);
	cr_assert_not_null(id = strstr(text, "Message-ID: <"));
	/* 32 hex digits, then the sender's domain. */
	cr_assert_eq(strspn(id + 13, "0123456789abcdef"), 32, "%s", id);
	cr_assert(strncmp(id + 45, "@taskapi.example>\r\n", 19) == 0, "%s", id);
	cr_assert(strstr(text, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "first\r\nsecond\r\nthird\r\nlast\r\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\r\n\r\nfirst")[strlen("\r\n\r\nfirst\r\nsecond"
	    "\r\nthird\r\nlast\r\n")] == '\0');
	free(text);
}

Test(mail, two_messages_have_two_ids)
{
	char why[MAIL_WHY_MAX], *a, *b;

	a = build("a@x.example", "b@y.example", "S", "x", why, sizeof(why));
	b = build("a@x.example", "b@y.example", "S", "x", why, sizeof(why));
	cr_assert(a != NULL && b != NULL);
	cr_assert_str_neq(strstr(a, "Message-ID:"), strstr(b, "Message-ID:"));
	free(a);
	free(b);
}

/*
 * A line break (or any control character) in an address or the subject
 * would start a header, or an SMTP command, of someone else's making.
 */
Test(mail, line_breaks_and_odd_addresses_are_refused)
{
	static const char *const bad_to[] = {
		"ada@example.com\r\nBcc: eve@example.com",
		"ada@example.com\nBcc: eve@example.com",
		"ada@example.com\r",
		"ada@exam\tple.com",
		"ada@example.com\x7f",
		"Ada <ada@example.com>",	/* the recipient is one address */
		"ada@example.com, eve@example.com",
		"ada example.com",
		"@example.com",
		"ada@",
		"ada@b@example.com",
		"",
	};
	char why[MAIL_WHY_MAX], *text;

	for (size_t i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
		text = build("a@x.example", bad_to[i], "S", "x", why, sizeof(why));
		cr_assert_null(text, "took %s", bad_to[i]);
		cr_assert_str_eq(why, "the recipient is no single address");
	}
	cr_assert_null(build("a@x.example\r\nBcc: e@x.example", "b@y.example",
	    "S", "x", why, sizeof(why)));
	cr_assert_str_eq(why, "the sender is no single address");
	cr_assert_null(build("Name <a@x.example> tail", "b@y.example", "S",
	    "x", why, sizeof(why)));
	cr_assert_null(build("a@x.example", "b@y.example",
	    "Hi\r\nBcc: e@x.example", "x", why, sizeof(why)));
	cr_assert_str_eq(why, "the subject is not printable ASCII");
}

Test(mail, the_envelope_address_of_a_sender)
{
	char out[64];

	cr_assert_eq(mail_address("noreply@x.example", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "noreply@x.example");
	cr_assert_eq(mail_address("Task API <noreply@x.example>", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "noreply@x.example");
	cr_assert_eq(mail_address("<>", out, sizeof(out)), -1);
	cr_assert_eq(mail_address("x <a@b> <c@d>", out, sizeof(out)), -1);
	/* Too long for out: refused, not cut. */
	cr_assert_eq(mail_address("abcdefghij@klmnopqrstuvwxyz.example", out, 16),
	    -1);
}

Test(mail, smtp_urls)
{
	char why[MAIL_WHY_MAX];

	cr_assert_eq(mail_url_check("smtp://127.0.0.1:2525", why, sizeof(why)), 0);
	cr_assert_eq(mail_url_check("smtps://user:p%40ss@mail.example:465", why,
	    sizeof(why)), 0);
	cr_assert_eq(mail_url_check("https://mail.example", why, sizeof(why)), -1);
	cr_assert(strstr(why, "SMTP_URL") != NULL, "%s", why);
	cr_assert_eq(mail_url_check("smtp://", why, sizeof(why)), -1);
	cr_assert_eq(mail_url_check("mail.example:25", why, sizeof(why)), -1);
}

Test(reset, tokens_are_43_url_safe_characters_hashed_for_the_database)
{
	char a[RESET_TOKEN_LEN + 1], b[RESET_TOKEN_LEN + 1];
	char ha[RESET_HASH_TEXT_BYTES], hb[RESET_HASH_TEXT_BYTES];

	cr_assert_eq(reset_token_new(a, ha), 0);
	cr_assert_eq(reset_token_new(b, hb), 0);
	cr_assert_eq(strlen(a), 43);
	cr_assert_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"), 43, "%s", a);
	cr_assert_str_neq(a, b);
	cr_assert_eq(strlen(ha), 66);
	cr_assert(strncmp(ha, "\\x", 2) == 0);
	/* The hash of what the client sends back is the one stored. */
	cr_assert_eq(reset_token_hash(a, strlen(a), hb), 0);
	cr_assert_str_eq(ha, hb);
	cr_assert_eq(reset_token_hash("abc", 3, hb), -1);
	cr_assert_eq(reset_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    43, hb), -1);
	cr_assert_eq(reset_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    44, hb), -1);
}

Test(reset, the_mail_holds_the_link_with_the_token)
{
	char *body = reset_mail_body("https://app.example/r?t={token}&again={token}",
	    "TOKEN");

	cr_assert_not_null(body);
	cr_assert(strstr(body, "\nhttps://app.example/r?t=TOKEN&again=TOKEN\n")
	    != NULL, "%s", body);
	cr_assert(strstr(body, "{token}") == NULL);
	free(body);
}

static void
mail_env(const char *url, const char *from, const char *link)
{
	static const char *const names[] = { "SMTP_URL", "SMTP_FROM",
	    "PASSWORD_RESET_URL", "SMTP_TIMEOUT_SECONDS", "JWT_JWKS_URL",
	    "JWT_JWKS_FILE", "JWT_SECRET_PREVIOUS", "TASKAPI_ENV_FILE" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
	setenv("TASKAPI_ENV_FILE", "/dev/null", 1);
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	if (url != NULL)
		setenv("SMTP_URL", url, 1);
	if (from != NULL)
		setenv("SMTP_FROM", from, 1);
	if (link != NULL)
		setenv("PASSWORD_RESET_URL", link, 1);
}

Test(reset, the_mail_settings_are_checked_at_start)
{
	struct config cfg;
	char err[256];

	mail_env(NULL, NULL, NULL);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(cfg.smtp_url);
	cr_assert_eq(cfg.smtp_timeout_seconds, 10);
	config_free(&cfg);
	mail_env("smtp://127.0.0.1:25", "noreply@x.example",
	    "https://x.example/r?token={token}");
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	config_free(&cfg);
	mail_env("http://127.0.0.1:25", "noreply@x.example",
	    "https://x.example/r?token={token}");
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "SMTP_URL") != NULL, "%s", err);
	config_free(&cfg);
	mail_env("smtp://127.0.0.1:25", NULL, "https://x.example/r?token={token}");
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "SMTP_FROM") != NULL, "%s", err);
	config_free(&cfg);
	mail_env("smtp://127.0.0.1:25", "noreply@x.example", "https://x.example/r");
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "PASSWORD_RESET_URL") != NULL, "%s", err);
	config_free(&cfg);
	mail_env("smtp://127.0.0.1:25", "noreply@x.example", NULL);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	config_free(&cfg);
	mail_env(NULL, NULL, NULL);
	setenv("SMTP_TIMEOUT_SECONDS", "0", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "SMTP_TIMEOUT_SECONDS") != NULL, "%s", err);
	config_free(&cfg);
	unsetenv("SMTP_TIMEOUT_SECONDS");
}
