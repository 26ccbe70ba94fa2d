/* authc.t.c - unit tests of lib/base64.c and the pure parts of lib/authc.c */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "params.h"
#include "../tap.h"

int
main(void)
{
	static const struct {
		const char *raw, *b64;
	} vec[] = {	/* RFC 4648, section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = {
		"Zg=", "Z", "Zm9vY", "Zm9v\r\n", "Zm 9v", "Zm9v====", "=",
		"Zm9v=Zm9v", "Zh==", "Zm9=", "Zm-v", "Zm9v\n",
	};
	static const struct {
		const char *b64, *authzid, *user, *pass;	/* NULL: bad */
	} plain[] = {
		/* "\0ana\0secret", "ana@mired.org\0ana\0secret" */
		{ "AGFuYQBzZWNyZXQ=", "", "ana", "secret" },
		{ "YW5hQG1pcmVkLm9yZwBhbmEAc2VjcmV0", "ana@mired.org", "ana",
		    "secret" },
		{ "AGFuYQBzZWNyZXQ", "", "ana", "secret" },	/* no padding */
		{ "AGFuYQA=", NULL, NULL, NULL },	/* "\0ana\0": no password */
		{ "AABzZWNyZXQ=", NULL, NULL, NULL },	/* "\0\0secret": no user */
		{ "YW5hAHNlY3JldA==", NULL, NULL, NULL },	/* one NUL */
		{ "AGFuYQBzZWMAcmV0", NULL, NULL, NULL },	/* three NULs */
		{ "AGFuYQBzZWNyZXQ=!", NULL, NULL, NULL },	/* bad base64 */
		{ "", NULL, NULL, NULL },
	};
	struct buf *b = buf_new(64, 0), *z = buf_new(64, 0);
	struct buf *u = buf_new(64, 0), *p = buf_new(64, 0), *big;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	struct sockaddr_un su;
	size_t i;
	int r;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		buf_reset(b);
		base64_encode(b, vec[i].raw, strlen(vec[i].raw));
		is_str(buf_str(b), vec[i].b64, "base64 encodes RFC 4648 vector");
		buf_reset(b);
		r = base64_decode(b, vec[i].b64, strlen(vec[i].b64));
		ok(r == 0 && strcmp(buf_str(b), vec[i].raw) == 0,
		    "base64 decodes RFC 4648 vector");
	}
	buf_reset(b);
	base64_encode(b, "\0\377\376", 3);
	is_str(buf_str(b), "AP/+", "binary bytes encode");
	buf_reset(b);
	ok(base64_decode(b, "AP/+", 4) == 0 && buf_len(b) == 3 &&
	    memcmp(buf_str(b), "\0\377\376", 3) == 0, "and decode back");
	buf_reset(b);
	ok(base64_decode(b, "Zm9vYg", 6) == 0 && strcmp(buf_str(b), "foob")
	    == 0, "missing padding is accepted");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(b);
		ok(base64_decode(b, bad[i], strlen(bad[i])) < 0,
		    "malformed base64 is refused");
	}

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		r = authc_sasl_plain_decode(plain[i].b64, z, u, p);
		if (plain[i].user == NULL) {
			ok(r < 0 && buf_len(z) == 0 && buf_len(u) == 0 &&
			    buf_len(p) == 0, "malformed SASL PLAIN refused");
			continue;
		}
		ok(r == 0 && strcmp(buf_str(z), plain[i].authzid) == 0 &&
		    strcmp(buf_str(u), plain[i].user) == 0 &&
		    strcmp(buf_str(p), plain[i].pass) == 0,
		    "SASL PLAIN splits authzid, user, password");
	}
	ok(authc_sasl_plain_decode(NULL, z, u, p) < 0, "NULL is refused");
	/* A password of AUTHC_FIELD_MAX bytes is one too many. */
	big = buf_new(4096, 0);
	buf_reset(b);
	buf_append(b, "\0ana\0", 5);
	for (i = 0; i < AUTHC_FIELD_MAX; i++)
		buf_putc(b, 'x');
	base64_encode(big, buf_str(b), buf_len(b));
	ok(authc_sasl_plain_decode(buf_str(big), z, u, p) < 0,
	    "an over-long password is refused");
	buf_truncate(b, buf_len(b) - 1);
	buf_reset(big);
	base64_encode(big, buf_str(b), buf_len(b));
	ok(authc_sasl_plain_decode(buf_str(big), z, u, p) == 0 &&
	    buf_len(p) == AUTHC_FIELD_MAX - 1, "the longest password passes");

	var_auth_mechanisms = "plain login";
	ok(authc_mech_enabled("PLAIN") && authc_mech_enabled("login"),
	    "mechanisms match without regard to case");
	ok(!authc_mech_enabled("CRAM-MD5") && !authc_mech_enabled("") &&
	    !authc_mech_enabled("PLAI"), "others do not");

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	var_disable_plaintext_auth = 1;
	ok(authc_plaintext_allowed((struct sockaddr *)&s4, 0),
	    "loopback may send passwords in the clear");
	ok(authc_plaintext_allowed((struct sockaddr *)&su, 0),
	    "so may a Unix socket");
	ok(!authc_plaintext_allowed((struct sockaddr *)&s6, 0),
	    "a remote client may not");
	ok(authc_plaintext_allowed((struct sockaddr *)&s6, 1),
	    "unless under TLS");
	ok(!authc_plaintext_allowed(NULL, 0), "nor may an unknown one");
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	ok(authc_plaintext_allowed((struct sockaddr *)&s6, 0),
	    "IPv6 loopback may");
	var_disable_plaintext_auth = 0;
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	ok(authc_plaintext_allowed((struct sockaddr *)&s6, 0),
	    "with disable_plaintext_auth = no anyone may");

	buf_free(&b);
	buf_free(&z);
	buf_free(&u);
	buf_free(&p);
	buf_free(&big);
	return done_testing();
}
