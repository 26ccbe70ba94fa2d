/*
 * base64.t - the one base64 codec: RFC 4648's test vectors, strict and
 * lenient decoding, both alphabets, decoding a piece at a time.
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "../tap.h"

/* RFC 4648 section 10. */
static const struct {
	const char	*raw;
	const char	*b64;
	const char	*nopad;
} vec[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

/* Malformed for the strict decoder, standard alphabet with padding. */
static const char *const bad[] = {
	"Z",			/* one letter left over */
	"Zg=",			/* padding short of the quantum */
	"Zm8==",		/* too much padding */
	"Zg===",		/* three '=' */
	"====",			/* padding only */
	"Zh==",			/* spare bits not zero */
	"Zm9=",			/* spare bits not zero */
	"Zm=9v",		/* data after the padding */
	"Zm9v\r\nYmFy",		/* a line break */
	"Zm9v YmFy",		/* a space */
	"Zm9v,",		/* the IMAP letter */
	"Zm9v-",		/* the URL-safe letter */
	"Zm9v\x80",		/* 8-bit */
};

/* Lenient (MIME): junk skipped, the first '=' ends the text. */
static const struct {
	const char	*b64;
	const char	*raw;
} lenient[] = {
	{ "Zm9v\r\nYmFy\r\n", "foobar" },
	{ "Zm9v YmE=junk", "fooba" },
	{ "Z", "" },
	{ "Zh", "f" },
	{ "*Zm*9v*", "foo" },
	{ "=Zm9v", "" },
	{ "Zm9v,YmFy", "foobar" },
};

/* shown - text for a test's name: line breaks and 8-bit bytes escaped */
static const char *
shown(const char *text)
{
	static char out[128];
	size_t n = 0;

	for (; *text != '\0' && n + 5 < sizeof(out); text++) {
		if (*text == '\r' || *text == '\n')
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\%c",
			    *text == '\r' ? 'r' : 'n');
		else if ((unsigned char)*text >= 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\x%02x",
			    (unsigned char)*text);
		else
			out[n++] = *text;
	}
	out[n] = '\0';
	return out;
}

/* decode - text through base64_decode_code into a string, or "(bad)" */
static const char *
decode(struct buf *b, const char *text, const struct base64_code *code,
    int flags)
{
	buf_reset(b);
	if (base64_decode_code(b, text, strlen(text), code, flags) < 0)
		return "(bad)";
	return buf_str(b);
}

int
main(void)
{
	struct buf *b = buf_new(64, 0), *big = buf_new(64, 0);
	unsigned char all[256], piece[3];
	const char *p, *end;
	char name[128];
	ssize_t k;
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		buf_reset(b);
		base64_encode(b, vec[i].raw, strlen(vec[i].raw));
		snprintf(name, sizeof(name), "encode \"%s\"", vec[i].raw);
		is_str(buf_str(b), vec[i].b64, name);
		buf_reset(b);
		base64_encode_code(b, vec[i].raw, strlen(vec[i].raw),
		    &base64_rfc4648, BASE64_NOPAD);
		snprintf(name, sizeof(name), "encode \"%s\" unpadded",
		    vec[i].raw);
		is_str(buf_str(b), vec[i].nopad, name);
		snprintf(name, sizeof(name), "decode %s", vec[i].b64);
		is_str(decode(b, vec[i].b64, &base64_rfc4648, 0), vec[i].raw,
		    name);
		snprintf(name, sizeof(name), "decode %s (padding left off)",
		    vec[i].nopad);
		is_str(decode(b, vec[i].nopad, &base64_rfc4648, 0),
		    vec[i].raw, name);
		snprintf(name, sizeof(name), "decode %s leniently", vec[i].b64);
		is_str(decode(b, vec[i].b64, &base64_rfc4648, BASE64_LENIENT),
		    vec[i].raw, name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "strict refuses \"%s\"",
		    shown(bad[i]));
		is_str(decode(b, bad[i], &base64_rfc4648, 0), "(bad)", name);
	}
	for (i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
		snprintf(name, sizeof(name), "lenient \"%s\"",
		    shown(lenient[i].b64));
		is_str(decode(b, lenient[i].b64, &base64_rfc4648,
		    BASE64_LENIENT), lenient[i].raw, name);
	}

	/* The two alphabets differ in their last letter. */
	buf_reset(b);
	base64_encode(b, "\xfb\xff", 2);
	is_str(buf_str(b), "+/8=", "standard alphabet: + and /");
	buf_reset(b);
	base64_encode_code(b, "\xfb\xff", 2, &base64_imap, BASE64_NOPAD);
	is_str(buf_str(b), "+,8", "IMAP alphabet: + and ,");
	is_str(decode(b, "+,8", &base64_imap, BASE64_NOPAD), "\xfb\xff",
	    "IMAP decodes ,");
	is_str(decode(b, "+/8", &base64_imap, BASE64_NOPAD), "(bad)",
	    "IMAP refuses /");
	is_str(decode(b, "+,8=", &base64_imap, BASE64_NOPAD), "(bad)",
	    "IMAP without padding refuses =");
	is_str(decode(b, "+,8", &base64_rfc4648, 0), "(bad)",
	    "standard refuses ,");

	/* Every byte value through both alphabets, in every length. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	for (i = 0; i <= sizeof(all); i += 37) {
		int good = 1, flags;
		const struct base64_code *code;

		for (flags = 0; flags <= BASE64_NOPAD; flags++) {
			code = flags ? &base64_imap : &base64_rfc4648;
			buf_reset(big);
			base64_encode_code(big, all, i, code, flags);
			buf_reset(b);
			if (base64_decode_code(b, buf_str(big), buf_len(big),
			    code, flags) < 0 || buf_len(b) != i ||
			    memcmp(buf_str(b), all, i) != 0) {
				printf("# %s alphabet: \"%s\" decodes to "
				    "%zu bytes, not the %zu encoded\n",
				    flags ? "IMAP" : "standard", buf_str(big),
				    buf_len(b), i);
				good = 0;
			}
		}
		snprintf(name, sizeof(name), "%zu bytes round trip", i);
		ok(good, name);
	}

	/* Longer than one internal chunk (768 bytes). */
	buf_reset(big);
	for (i = 0; i < 1000; i++)
		buf_putc(big, (int)(i * 7 % 256));
	buf_reset(b);
	base64_encode(b, buf_str(big), buf_len(big));
	is_int((long long)buf_len(b), 1336, "1000 bytes: 1336 letters");
	{
		struct buf *back = buf_new(64, 0);

		is_int(base64_decode(back, buf_str(b), buf_len(b)), 0,
		    "1000 bytes decode across chunks");
		is_int((long long)buf_len(back), 1000, "  all 1000 bytes");
		ok(buf_len(back) == 1000 &&
		    memcmp(buf_str(back), buf_str(big), 1000) == 0,
		    "  the same 1000 bytes");
		buf_free(&back);
	}

	/* A piece at a time: whole quanta, then the short one. */
	p = "Zm9vYmE";
	end = p + strlen(p);
	k = base64_decode_some(&p, end, piece, sizeof(piece), &base64_rfc4648,
	    0);
	is_int(k, 3, "piece 1: 3 bytes");
	ok(memcmp(piece, "foo", 3) == 0 && p == end - 3,
	    "piece 1: foo, stopped before the last quantum");
	k = base64_decode_some(&p, end, piece, sizeof(piece), &base64_rfc4648,
	    0);
	is_int(k, 2, "piece 2: 2 bytes");
	ok(memcmp(piece, "ba", 2) == 0 && p == end, "piece 2: ba, the end");
	p = "Zm9v!";
	end = p + strlen(p);
	is_int(base64_decode_some(&p, end, piece, sizeof(piece),
	    &base64_rfc4648, 0), -1, "a piece with a bad letter: -1");

	buf_free(&b);
	buf_free(&big);
	return done_testing();
}
