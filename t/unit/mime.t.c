/*
 * mime.t.c - the MIME parser and the IMAP forms built on it: BODY and
 * BODYSTRUCTURE, ENVELOPE and BODY[section] on real-world message shapes
 * (Thunderbird's multipart/alternative, attachments with RFC 2231 names,
 * forwarded message/rfc822, Apple Mail's related-in-alternative, digests)
 * and broken ones (no closing boundary, a boundary never seen, none at
 * all, lookalike boundary lines, empty parts, 8-bit headers); bounded
 * nesting and part counts; the section syntax.  IMAP strings, header
 * helpers and decoding are in mime_decode.t.c.
 *
 * The expected BODYSTRUCTURE, BODY and ENVELOPE strings were compared
 * with Dovecot 2.3's output for the same messages; they agree except
 * where noted (12-boundary-prefix: a line that only starts with the
 * boundary is text here, as RFC 2046 5.1.1 says; Dovecot takes it as a
 * delimiter; 16-rfc822-base64: Dovecot counts the line break before the
 * delimiter in that size; 17-repeated-fields: the ENVELOPE subject is
 * the first Subject field here, the last one in Dovecot).  RFC 3501's own
 * examples are checked byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "util.h"
#include "../tap.h"

struct shape {
	const char	*name;
	const char	*msg;		/* LF line ends: made CRLF here */
	const char	*bodystructure;
	const char	*body;
	const char	*envelope;
};

struct section {
	const char	*shape;
	const char	*spec;
	const char	*want;		/* NULL: the section does not exist */
};

static const struct shape shapes[] = {
	{ "01-plain",
	    "Return-Path: <bob@mired.org>\n"
	    "Delivered-To: ana@mired.org\n"
	    "Received: from mail.mired.org (localhost [127.0.0.1])\n"
	    "\tby mail.mired.org (cartero) with ESMTP id 1A2B3C\n"
	    "\tfor <ana@mired.org>; Mon, 23 Nov 2026 04:29:37 +0000\n"
	    "From: Bob Smith <bob@mired.org>\n"
	    "To: Ana <ana@mired.org>\n"
	    "Subject: Prueba\n"
	    "Date: Mon, 23 Nov 2026 04:29:37 +0000\n"
	    "Message-ID: <20261123042937.1A2B3C@mired.org>\n"
	    "\n"
	    "Hola Ana,\n"
	    "esto es una prueba.\n",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 32 2 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 32 2)",
	    "(\"Mon, 23 Nov 2026 04:29:37 +0000\" \"Prueba\" ((\"Bob Smith\""
	    " NIL \"bob\" \"mired.org\")) ((\"Bob Smith\" NIL \"bob\""
	    " \"mired.org\")) ((\"Bob Smith\" NIL \"bob\" \"mired.org\"))"
	    " ((\"Ana\" NIL \"ana\" \"mired.org\")) NIL NIL NIL"
	    " \"<20261123042937.1A2B3C@mired.org>\")" },
	{ "02-alternative",
	    "From: =?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?= <jose@example.com>\n"
	    "To: ana@mired.org, \"Bob, the builder\" <bob@mired.org>\n"
	    "Cc: team: carol@example.com, dave@example.com;\n"
	    "Subject: =?UTF-8?B?wr9RdcOpIHRhbD8=?=\n"
	    "Date: Tue, 24 Nov 2026 10:00:00 +0100\n"
	    "Message-ID: <abc123@example.com>\n"
	    "In-Reply-To: <20261123042937.1A2B3C@mired.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative;\n"
	    "\tboundary=\"------------0123456789ABCDEF\"\n"
	    "\n"
	    "This is a multi-part message in MIME format.\n"
	    "--------------0123456789ABCDEF\n"
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "=C2=BFQu=C3=A9 tal? Todo bien por aqu=C3=AD, una l=C3=ADnea muy"
	    " larga q=\n"
	    "ue sigue.\n"
	    "\n"
	    "--------------0123456789ABCDEF\n"
	    "Content-Type: text/html; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "<html><body><p>\302\277Qu\303\251 tal?</p></body></html>\n"
	    "\n"
	    "--------------0123456789ABCDEF--\n",
	    "((\"text\" \"plain\" (\"charset\" \"UTF-8\" \"format\""
	    " \"flowed\") NIL NIL \"quoted-printable\" 85 2 NIL NIL NIL"
	    " NIL)(\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"8bit\""
	    " 46 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\""
	    " \"------------0123456789ABCDEF\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"UTF-8\" \"format\""
	    " \"flowed\") NIL NIL \"quoted-printable\" 85 2)(\"text\" \"html\""
	    " (\"charset\" \"UTF-8\") NIL NIL \"8bit\" 46 1) \"alternative\")",
	    "(\"Tue, 24 Nov 2026 10:00:00 +0100\""
	    " \"=?UTF-8?B?wr9RdcOpIHRhbD8=?=\""
	    " ((\"=?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?=\" NIL \"jose\""
	    " \"example.com\")) ((\"=?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?=\" NIL"
	    " \"jose\" \"example.com\"))"
	    " ((\"=?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?=\" NIL \"jose\""
	    " \"example.com\")) ((NIL NIL \"ana\" \"mired.org\")(\"Bob, the"
	    " builder\" NIL \"bob\" \"mired.org\")) ((NIL NIL \"team\""
	    " NIL)(NIL NIL \"carol\" \"example.com\")(NIL NIL \"dave\""
	    " \"example.com\")(NIL NIL NIL NIL)) NIL"
	    " \"<20261123042937.1A2B3C@mired.org>\" \"<abc123@example.com>\")" },
	{ "03-attachment",
	    "From: ana@mired.org\n"
	    "To: bob@mired.org\n"
	    "Subject: Informe\n"
	    "Date: Wed, 25 Nov 2026 09:15:00 +0100\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"=_mixed_1\"\n"
	    "\n"
	    "--=_mixed_1\n"
	    "Content-Type: text/plain; charset=\"iso-8859-1\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "Te env=EDo el informe.\n"
	    "--=_mixed_1\n"
	    "Content-Type: application/pdf; name=\"informe final.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"informe final.pdf\";"
	    " size=12\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "JVBERi0xLjQKJcOkw7zDtsOfCg==\n"
	    "--=_mixed_1\n"
	    "Content-Type: image/png; name*=UTF-8''foto%20ni%C3%B1o.png\n"
	    "Content-Disposition: inline; filename*0*=UTF-8''foto%20;\n"
	    " filename*1*=ni%C3%B1o.png\n"
	    "Content-ID: <img1@mired.org>\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "iVBORw0KGgo=\n"
	    "--=_mixed_1--\n",
	    "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL"
	    " \"quoted-printable\" 22 0 NIL NIL NIL NIL)(\"application\""
	    " \"pdf\" (\"name\" \"informe final.pdf\") NIL NIL \"base64\" 28"
	    " NIL (\"attachment\" (\"filename\" \"informe final.pdf\" \"size\""
	    " \"12\")) NIL NIL)(\"image\" \"png\" (\"name*\""
	    " \"UTF-8''foto%20ni%C3%B1o.png\") \"<img1@mired.org>\" NIL"
	    " \"base64\" 12 NIL (\"inline\" (\"filename*\""
	    " \"UTF-8''foto%20ni%C3%B1o.png\")) NIL NIL) \"mixed\""
	    " (\"boundary\" \"=_mixed_1\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL"
	    " \"quoted-printable\" 22 0)(\"application\" \"pdf\" (\"name\""
	    " \"informe final.pdf\") NIL NIL \"base64\" 28)(\"image\" \"png\""
	    " (\"name*\" \"UTF-8''foto%20ni%C3%B1o.png\") \"<img1@mired.org>\""
	    " NIL \"base64\" 12) \"mixed\")",
	    "(\"Wed, 25 Nov 2026 09:15:00 +0100\" \"Informe\" ((NIL NIL"
	    " \"ana\" \"mired.org\")) ((NIL NIL \"ana\" \"mired.org\")) ((NIL"
	    " NIL \"ana\" \"mired.org\")) ((NIL NIL \"bob\" \"mired.org\"))"
	    " NIL NIL NIL NIL)" },
	{ "04-forward",
	    "From: bob@mired.org\n"
	    "To: ana@mired.org\n"
	    "Subject: Fwd: Prueba\n"
	    "Date: Thu, 26 Nov 2026 12:00:00 +0000\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=outer\n"
	    "\n"
	    "--outer\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "Mira esto.\n"
	    "\n"
	    "--outer\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Disposition: inline\n"
	    "\n"
	    "From: Carol <carol@example.com>\n"
	    "To: bob@mired.org\n"
	    "Subject: Original\n"
	    "Date: Wed, 25 Nov 2026 08:00:00 +0000\n"
	    "Message-ID: <orig@example.com>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=inner\n"
	    "\n"
	    "--inner\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "hello\n"
	    "--inner\n"
	    "Content-Type: text/html; charset=us-ascii\n"
	    "\n"
	    "<p>hello</p>\n"
	    "--inner--\n"
	    "\n"
	    "--outer--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 12 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL"
	    " \"7bit\" 357 (\"Wed, 25 Nov 2026 08:00:00 +0000\" \"Original\""
	    " ((\"Carol\" NIL \"carol\" \"example.com\")) ((\"Carol\" NIL"
	    " \"carol\" \"example.com\")) ((\"Carol\" NIL \"carol\""
	    " \"example.com\")) ((NIL NIL \"bob\" \"mired.org\")) NIL NIL NIL"
	    " \"<orig@example.com>\") ((\"text\" \"plain\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)(\"text\""
	    " \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL"
	    " NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL"
	    " NIL) 17 NIL (\"inline\" NIL) NIL NIL) \"mixed\" (\"boundary\""
	    " \"outer\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 12 1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 357 (\"Wed, 25"
	    " Nov 2026 08:00:00 +0000\" \"Original\" ((\"Carol\" NIL \"carol\""
	    " \"example.com\")) ((\"Carol\" NIL \"carol\" \"example.com\"))"
	    " ((\"Carol\" NIL \"carol\" \"example.com\")) ((NIL NIL \"bob\""
	    " \"mired.org\")) NIL NIL NIL \"<orig@example.com>\") ((\"text\""
	    " \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5"
	    " 0)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 12 0) \"alternative\") 17) \"mixed\")",
	    "(\"Thu, 26 Nov 2026 12:00:00 +0000\" \"Fwd: Prueba\" ((NIL NIL"
	    " \"bob\" \"mired.org\")) ((NIL NIL \"bob\" \"mired.org\")) ((NIL"
	    " NIL \"bob\" \"mired.org\")) ((NIL NIL \"ana\" \"mired.org\"))"
	    " NIL NIL NIL NIL)" },
	{ "05-related",
	    "From: Dave <dave@example.com>\n"
	    "To: ana@mired.org\n"
	    "Subject: Foto\n"
	    "Date: Fri, 27 Nov 2026 18:30:00 -0500\n"
	    "Mime-Version: 1.0 (Mac OS X Mail 16.0)\n"
	    "Content-Type: multipart/alternative; boundary=\"Apple-Mail=_A\"\n"
	    "\n"
	    "--Apple-Mail=_A\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "Content-Type: text/plain;\n"
	    "\tcharset=us-ascii\n"
	    "\n"
	    "See the photo.\n"
	    "\n"
	    "--Apple-Mail=_A\n"
	    "Content-Type: multipart/related;\n"
	    "\ttype=\"text/html\";\n"
	    "\tboundary=\"Apple-Mail=_B\"\n"
	    "\n"
	    "--Apple-Mail=_B\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "Content-Type: text/html;\n"
	    "\tcharset=us-ascii\n"
	    "\n"
	    "<html><body>See the photo.<img src=\"cid:p1\"></body></html>\n"
	    "--Apple-Mail=_B\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: inline;\n"
	    "\tfilename=photo.jpg\n"
	    "Content-Type: image/jpeg;\n"
	    "\tname=\"photo.jpg\"\n"
	    "Content-Id: <p1>\n"
	    "\n"
	    "/9j/4AAQSkZJRg==\n"
	    "--Apple-Mail=_B--\n"
	    "\n"
	    "--Apple-Mail=_A--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 16 1 NIL NIL NIL NIL)((\"text\" \"html\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 58 0 NIL NIL NIL NIL)(\"image\""
	    " \"jpeg\" (\"name\" \"photo.jpg\") \"<p1>\" NIL \"base64\" 16 NIL"
	    " (\"inline\" (\"filename\" \"photo.jpg\")) NIL NIL) \"related\""
	    " (\"type\" \"text/html\" \"boundary\" \"Apple-Mail=_B\") NIL NIL"
	    " NIL) \"alternative\" (\"boundary\" \"Apple-Mail=_A\") NIL NIL"
	    " NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 16 1)((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 58 0)(\"image\" \"jpeg\" (\"name\" \"photo.jpg\")"
	    " \"<p1>\" NIL \"base64\" 16) \"related\") \"alternative\")",
	    "(\"Fri, 27 Nov 2026 18:30:00 -0500\" \"Foto\" ((\"Dave\" NIL"
	    " \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\""
	    " \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\"))"
	    " ((NIL NIL \"ana\" \"mired.org\")) NIL NIL NIL NIL)" },
	{ "06-noend",
	    "From: spam@example.net\n"
	    "Subject: cut short\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "first\n"
	    "--b1\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>second, and the message ends without the closing boundary\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 5 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 62 1 NIL NIL NIL NIL) \"mixed\""
	    " (\"boundary\" \"b1\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 5 0)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 62 1) \"mixed\")",
	    "(NIL \"cut short\" ((NIL NIL \"spam\" \"example.net\")) ((NIL NIL"
	    " \"spam\" \"example.net\")) ((NIL NIL \"spam\" \"example.net\"))"
	    " NIL NIL NIL NIL NIL)" },
	{ "07-badboundary",
	    "From: x@example.net\n"
	    "Subject: boundary never seen\n"
	    "Content-Type: multipart/mixed; boundary=\"real\"\n"
	    "\n"
	    "--fake\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "text\n"
	    "--fake--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"real\") NIL NIL"
	    " NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0) \"mixed\")",
	    "(NIL \"boundary never seen\" ((NIL NIL \"x\" \"example.net\"))"
	    " ((NIL NIL \"x\" \"example.net\")) ((NIL NIL \"x\""
	    " \"example.net\")) NIL NIL NIL NIL NIL)" },
	{ "08-noboundary",
	    "From: x@example.net\n"
	    "Subject: no boundary parameter\n"
	    "Content-Type: multipart/mixed\n"
	    "\n"
	    "--x\n"
	    "body\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0) \"mixed\")",
	    "(NIL \"no boundary parameter\" ((NIL NIL \"x\" \"example.net\"))"
	    " ((NIL NIL \"x\" \"example.net\")) ((NIL NIL \"x\""
	    " \"example.net\")) NIL NIL NIL NIL NIL)" },
	{ "09-nomime",
	    "From: old@example.net\n"
	    "To: ana@mired.org\n"
	    "Subject: no MIME-Version here\n"
	    "Content-Type: text/plain; charset=ISO-8859-1\n"
	    "\n"
	    "caf\351\n",
	    "(\"text\" \"plain\" (\"charset\" \"ISO-8859-1\") NIL NIL \"7bit\""
	    " 6 1 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"ISO-8859-1\") NIL NIL \"7bit\""
	    " 6 1)",
	    "(NIL \"no MIME-Version here\" ((NIL NIL \"old\" \"example.net\"))"
	    " ((NIL NIL \"old\" \"example.net\")) ((NIL NIL \"old\""
	    " \"example.net\")) ((NIL NIL \"ana\" \"mired.org\")) NIL NIL NIL"
	    " NIL)" },
	{ "10-8bit",
	    "From: =?ISO-8859-1?Q?Mar=EDa?= <maria@example.es>\n"
	    "To: ana@mired.org\n"
	    "Subject: Se\361or, 8-bit header\n"
	    "Date: Sat, 28 Nov 2026 10:00:00 +0100\n"
	    "\n"
	    "body\n",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6"
	    " 1 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6"
	    " 1)",
	    "(\"Sat, 28 Nov 2026 10:00:00 +0100\" {19}\r\n"
	    "Se\361or, 8-bit header ((\"=?ISO-8859-1?Q?Mar=EDa?=\" NIL"
	    " \"maria\" \"example.es\")) ((\"=?ISO-8859-1?Q?Mar=EDa?=\" NIL"
	    " \"maria\" \"example.es\")) ((\"=?ISO-8859-1?Q?Mar=EDa?=\" NIL"
	    " \"maria\" \"example.es\")) ((NIL NIL \"ana\" \"mired.org\")) NIL"
	    " NIL NIL NIL)" },
	{ "11-digest",
	    "From: list@example.org\n"
	    "Subject: Digest\n"
	    "Content-Type: multipart/digest; boundary=\"---- next\"\n"
	    "\n"
	    "------ next\n"
	    "\n"
	    "From: a@example.org\n"
	    "Subject: one\n"
	    "\n"
	    "first message\n"
	    "------ next\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "From: b@example.org\n"
	    "Subject: two\n"
	    "\n"
	    "second message\n"
	    "------ next--\n",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 50 (NIL \"one\""
	    " ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\""
	    " \"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL"
	    " NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 13 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)(\"message\""
	    " \"rfc822\" NIL NIL NIL \"7bit\" 51 (NIL \"two\" ((NIL NIL \"b\""
	    " \"example.org\")) ((NIL NIL \"b\" \"example.org\")) ((NIL NIL"
	    " \"b\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\""
	    " (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 0 NIL NIL NIL"
	    " NIL) 3 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"---- next\")"
	    " NIL NIL NIL)",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 50 (NIL \"one\""
	    " ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\""
	    " \"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL"
	    " NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 13 0) 3)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 51"
	    " (NIL \"two\" ((NIL NIL \"b\" \"example.org\")) ((NIL NIL \"b\""
	    " \"example.org\")) ((NIL NIL \"b\" \"example.org\")) NIL NIL NIL"
	    " NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 14 0) 3) \"digest\")",
	    "(NIL \"Digest\" ((NIL NIL \"list\" \"example.org\")) ((NIL NIL"
	    " \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\"))"
	    " NIL NIL NIL NIL NIL)" },
	{ "12-boundary-prefix",
	    "From: x@example.net\n"
	    "Subject: boundary lookalikes\n"
	    "Content-Type: multipart/mixed; boundary=\"ab\"\n"
	    "\n"
	    "preamble\n"
	    "--ab\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "--abc is not a boundary\n"
	    "--ab-- neither is this\n"
	    "--ab  \n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "trailing white space after the delimiter is allowed\n"
	    "--ab--  \n"
	    "epilogue\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 47 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 51 0 NIL NIL NIL NIL) \"mixed\""
	    " (\"boundary\" \"ab\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 47 1)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 51 0) \"mixed\")",
	    "(NIL \"boundary lookalikes\" ((NIL NIL \"x\" \"example.net\"))"
	    " ((NIL NIL \"x\" \"example.net\")) ((NIL NIL \"x\""
	    " \"example.net\")) NIL NIL NIL NIL NIL)" },
	{ "13-header-only",
	    "From: x@example.net\n"
	    "Subject: header only, no body",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0"
	    " 0 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0"
	    " 0)",
	    "(NIL \"header only, no body\" ((NIL NIL \"x\" \"example.net\"))"
	    " ((NIL NIL \"x\" \"example.net\")) ((NIL NIL \"x\""
	    " \"example.net\")) NIL NIL NIL NIL NIL)" },
	{ "14-crlf-nolast",
	    "From: x@example.net\r\n"
	    "Subject: crlf\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "line1\r\n"
	    "line2",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 12 1 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 12 1)",
	    "(NIL \"crlf\" ((NIL NIL \"x\" \"example.net\")) ((NIL NIL \"x\""
	    " \"example.net\")) ((NIL NIL \"x\" \"example.net\")) NIL NIL NIL"
	    " NIL NIL)" },
	{ "15-empty-parts",
	    "From: x@example.net\n"
	    "Subject: empty parts\n"
	    "Content-Type: multipart/mixed; boundary=e\n"
	    "\n"
	    "--e\n"
	    "--e\n"
	    "\n"
	    "--e\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "--e--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"text\""
	    " \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL"
	    " NIL NIL NIL) \"mixed\" (\"boundary\" \"e\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 0 0)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 0 0)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL"
	    " NIL \"7bit\" 0 0) \"mixed\")",
	    "(NIL \"empty parts\" ((NIL NIL \"x\" \"example.net\")) ((NIL NIL"
	    " \"x\" \"example.net\")) ((NIL NIL \"x\" \"example.net\")) NIL"
	    " NIL NIL NIL NIL)" },
	{ "16-rfc822-base64",
	    "From: a@b.c\n"
	    "Content-Type: multipart/mixed; boundary=x\n"
	    "\n"
	    "--x\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "U3ViamVjdDogaGkKCmJvZHkK\n"
	    "--x--\n",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"base64\" 24 (NIL NIL NIL"
	    " NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL"
	    " NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"base64\" 24 (NIL NIL NIL"
	    " NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\""
	    " \"us-ascii\") NIL NIL \"7bit\" 0 0) 0) \"mixed\")",
	    "(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
	    " ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)" },
	{ "17-repeated-fields",
	    "From: Mail Delivery System <MAILER-DAEMON@mired.org>\n"
	    "To: <ana@mired.org>\n"
	    "To: postmaster@mired.org\n"
	    "Cc: bob@mired.org\n"
	    "CC: carol@example.com, \"Dave\" <dave@example.net>\n"
	    "Subject: first subject\n"
	    "Subject: second subject\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: MULTIPART/Mixed; BOUNDARY=\"rep\"\n"
	    "\n"
	    "--rep\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "The original message follows.\n"
	    "--rep\n"
	    "Content-Type: MESSAGE/RFC822\n"
	    "\n"
	    "From: ana@mired.org\n"
	    "To: nobody@example.org\n"
	    "Subject: lost\n"
	    "\n"
	    "gone\n"
	    "--rep--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 29 0 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL"
	    " \"7bit\" 66 (NIL \"lost\" ((NIL NIL \"ana\" \"mired.org\"))"
	    " ((NIL NIL \"ana\" \"mired.org\")) ((NIL NIL \"ana\""
	    " \"mired.org\")) ((NIL NIL \"nobody\" \"example.org\")) NIL NIL"
	    " NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL"
	    " \"7bit\" 4 0 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) \"Mixed\""
	    " (\"BOUNDARY\" \"rep\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	    " 29 0)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 66 (NIL"
	    " \"lost\" ((NIL NIL \"ana\" \"mired.org\")) ((NIL NIL \"ana\""
	    " \"mired.org\")) ((NIL NIL \"ana\" \"mired.org\")) ((NIL NIL"
	    " \"nobody\" \"example.org\")) NIL NIL NIL NIL) (\"text\""
	    " \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0) 4)"
	    " \"Mixed\")",
	    "(NIL \"first subject\" ((\"Mail Delivery System\" NIL"
	    " \"MAILER-DAEMON\" \"mired.org\")) ((\"Mail Delivery System\" NIL"
	    " \"MAILER-DAEMON\" \"mired.org\")) ((\"Mail Delivery System\" NIL"
	    " \"MAILER-DAEMON\" \"mired.org\")) ((NIL NIL \"ana\""
	    " \"mired.org\")(NIL NIL \"postmaster\" \"mired.org\")) ((NIL NIL"
	    " \"bob\" \"mired.org\")(NIL NIL \"carol\""
	    " \"example.com\")(\"Dave\" NIL \"dave\" \"example.net\")) NIL NIL"
	    " NIL)" },
};

/* Parts of the expected sections that more than one section shows. */
#define PLAIN_HEADER \
	"Return-Path: <bob@mired.org>\r\n" \
	"Delivered-To: ana@mired.org\r\n" \
	"Received: from mail.mired.org (localhost [127.0.0.1])\r\n" \
	"\tby mail.mired.org (cartero) with ESMTP id 1A2B3C\r\n" \
	"\tfor <ana@mired.org>; Mon, 23 Nov 2026 04:29:37 +0000\r\n" \
	"From: Bob Smith <bob@mired.org>\r\n" \
	"To: Ana <ana@mired.org>\r\n" \
	"Subject: Prueba\r\n" \
	"Date: Mon, 23 Nov 2026 04:29:37 +0000\r\n" \
	"Message-ID: <20261123042937.1A2B3C@mired.org>\r\n" \
	"\r\n"
#define PLAIN_BODY \
	"Hola Ana,\r\n" \
	"esto es una prueba.\r\n"
#define FORWARD_HEADER \
	"From: Carol <carol@example.com>\r\n" \
	"To: bob@mired.org\r\n" \
	"Subject: Original\r\n" \
	"Date: Wed, 25 Nov 2026 08:00:00 +0000\r\n" \
	"Message-ID: <orig@example.com>\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/alternative; boundary=inner\r\n" \
	"\r\n"
#define FORWARD_TEXT \
	"--inner\r\n" \
	"Content-Type: text/plain; charset=us-ascii\r\n" \
	"\r\n" \
	"hello\r\n" \
	"--inner\r\n" \
	"Content-Type: text/html; charset=us-ascii\r\n" \
	"\r\n" \
	"<p>hello</p>\r\n" \
	"--inner--\r\n"
#define RELATED_PHOTO_MIME \
	"Content-Transfer-Encoding: base64\r\n" \
	"Content-Disposition: inline;\r\n" \
	"\tfilename=photo.jpg\r\n" \
	"Content-Type: image/jpeg;\r\n" \
	"\tname=\"photo.jpg\"\r\n" \
	"Content-Id: <p1>\r\n" \
	"\r\n"

static const struct section sections[] = {
	{ "01-plain", "", PLAIN_HEADER PLAIN_BODY },
	{ "01-plain", "HEADER", PLAIN_HEADER },
	{ "01-plain", "TEXT", PLAIN_BODY },
	{ "01-plain", "1", PLAIN_BODY },
	{ "01-plain", "1.MIME", PLAIN_HEADER },
	{ "01-plain", "2", NULL },
	{ "01-plain", "HEADER.FIELDS (FROM TO SUBJECT DATE)",
	    "From: Bob Smith <bob@mired.org>\r\n"
	    "To: Ana <ana@mired.org>\r\n"
	    "Subject: Prueba\r\n"
	    "Date: Mon, 23 Nov 2026 04:29:37 +0000\r\n"
	    "\r\n" },
	{ "01-plain", "HEADER.FIELDS (received)",
	    "Received: from mail.mired.org (localhost [127.0.0.1])\r\n"
	    "\tby mail.mired.org (cartero) with ESMTP id 1A2B3C\r\n"
	    "\tfor <ana@mired.org>; Mon, 23 Nov 2026 04:29:37 +0000\r\n"
	    "\r\n" },
	{ "01-plain", "HEADER.FIELDS.NOT (Received Return-Path Delivered-To)",
	    "From: Bob Smith <bob@mired.org>\r\n"
	    "To: Ana <ana@mired.org>\r\n"
	    "Subject: Prueba\r\n"
	    "Date: Mon, 23 Nov 2026 04:29:37 +0000\r\n"
	    "Message-ID: <20261123042937.1A2B3C@mired.org>\r\n"
	    "\r\n" },
	{ "01-plain", "header.fields (X-Nothing)",
	    "\r\n" },
	{ "02-alternative", "1",
	    "=C2=BFQu=C3=A9 tal? Todo bien por aqu=C3=AD, una l=C3=ADnea muy"
	    " larga q=\r\n"
	    "ue sigue.\r\n" },
	{ "02-alternative", "2",
	    "<html><body><p>\302\277Qu\303\251 tal?</p></body></html>\r\n" },
	{ "02-alternative", "1.MIME",
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n" },
	{ "02-alternative", "2.MIME",
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n" },
	{ "02-alternative", "3", NULL },
	{ "02-alternative", "TEXT",
	    "This is a multi-part message in MIME format.\r\n"
	    "--------------0123456789ABCDEF\r\n"
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=C2=BFQu=C3=A9 tal? Todo bien por aqu=C3=AD, una l=C3=ADnea muy"
	    " larga q=\r\n"
	    "ue sigue.\r\n"
	    "\r\n"
	    "--------------0123456789ABCDEF\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "<html><body><p>\302\277Qu\303\251 tal?</p></body></html>\r\n"
	    "\r\n"
	    "--------------0123456789ABCDEF--\r\n" },
	{ "02-alternative", "HEADER.FIELDS (Content-Type)",
	    "Content-Type: multipart/alternative;\r\n"
	    "\tboundary=\"------------0123456789ABCDEF\"\r\n"
	    "\r\n" },
	{ "03-attachment", "2",
	    "JVBERi0xLjQKJcOkw7zDtsOfCg==" },
	{ "03-attachment", "3.MIME",
	    "Content-Type: image/png; name*=UTF-8''foto%20ni%C3%B1o.png\r\n"
	    "Content-Disposition: inline; filename*0*=UTF-8''foto%20;\r\n"
	    " filename*1*=ni%C3%B1o.png\r\n"
	    "Content-ID: <img1@mired.org>\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n" },
	{ "03-attachment", "4", NULL },
	{ "03-attachment", "2.1",
	    "JVBERi0xLjQKJcOkw7zDtsOfCg==" },
	{ "04-forward", "1",
	    "Mira esto.\r\n" },
	{ "04-forward", "2", FORWARD_HEADER FORWARD_TEXT },
	{ "04-forward", "2.HEADER", FORWARD_HEADER },
	{ "04-forward", "2.TEXT", FORWARD_TEXT },
	{ "04-forward", "2.1",
	    "hello" },
	{ "04-forward", "2.2",
	    "<p>hello</p>" },
	{ "04-forward", "2.2.MIME",
	    "Content-Type: text/html; charset=us-ascii\r\n"
	    "\r\n" },
	{ "04-forward", "2.1.1",
	    "hello" },
	{ "04-forward", "2.3", NULL },
	{ "04-forward", "2.MIME",
	    "Content-Type: message/rfc822\r\n"
	    "Content-Disposition: inline\r\n"
	    "\r\n" },
	{ "04-forward", "2.HEADER.FIELDS (Subject \"To\")",
	    "To: bob@mired.org\r\n"
	    "Subject: Original\r\n"
	    "\r\n" },
	{ "04-forward", "1.HEADER", NULL },
	{ "04-forward", "2.1.HEADER", NULL },
	{ "05-related", "1",
	    "See the photo.\r\n" },
	{ "05-related", "2",
	    "--Apple-Mail=_B\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "Content-Type: text/html;\r\n"
	    "\tcharset=us-ascii\r\n"
	    "\r\n"
	    "<html><body>See the photo.<img src=\"cid:p1\"></body></html>\r\n"
	    "--Apple-Mail=_B\r\n"
	    RELATED_PHOTO_MIME
	    "/9j/4AAQSkZJRg==\r\n"
	    "--Apple-Mail=_B--\r\n" },
	{ "05-related", "2.1",
	    "<html><body>See the photo.<img src=\"cid:p1\"></body></html>" },
	{ "05-related", "2.2",
	    "/9j/4AAQSkZJRg==" },
	{ "05-related", "2.2.MIME", RELATED_PHOTO_MIME },
	{ "05-related", "2.3", NULL },
	{ "05-related", "3", NULL },
	{ "06-noend", "1",
	    "first" },
	{ "06-noend", "2",
	    "<p>second, and the message ends without the closing boundary\r\n" },
	{ "06-noend", "3", NULL },
	{ "07-badboundary", "1", NULL },
	{ "07-badboundary", "TEXT",
	    "--fake\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "text\r\n"
	    "--fake--\r\n" },
	{ "11-digest", "1",
	    "From: a@example.org\r\n"
	    "Subject: one\r\n"
	    "\r\n"
	    "first message" },
	{ "11-digest", "1.HEADER",
	    "From: a@example.org\r\n"
	    "Subject: one\r\n"
	    "\r\n" },
	{ "11-digest", "1.TEXT",
	    "first message" },
	{ "11-digest", "2.HEADER",
	    "From: b@example.org\r\n"
	    "Subject: two\r\n"
	    "\r\n" },
	{ "11-digest", "2.1",
	    "second message" },
	{ "11-digest", "3", NULL },
	{ "12-boundary-prefix", "1",
	    "--abc is not a boundary\r\n"
	    "--ab-- neither is this" },
	{ "12-boundary-prefix", "2",
	    "trailing white space after the delimiter is allowed" },
	{ "13-header-only", "HEADER",
	    "From: x@example.net\r\n"
	    "Subject: header only, no body" },
	{ "13-header-only", "TEXT",
	    "" },
	{ "13-header-only", "1",
	    "" },
	{ "17-repeated-fields", "2",
	    "From: ana@mired.org\r\n"
	    "To: nobody@example.org\r\n"
	    "Subject: lost\r\n"
	    "\r\n"
	    "gone" },
	{ "17-repeated-fields", "2.HEADER",
	    "From: ana@mired.org\r\n"
	    "To: nobody@example.org\r\n"
	    "Subject: lost\r\n"
	    "\r\n" },
	{ "17-repeated-fields", "2.1",
	    "gone" },
	{ "17-repeated-fields", "2.TEXT",
	    "gone" },
	{ "17-repeated-fields", "HEADER.FIELDS (TO CC)",
	    "To: <ana@mired.org>\r\n"
	    "To: postmaster@mired.org\r\n"
	    "Cc: bob@mired.org\r\n"
	    "CC: carol@example.com, \"Dave\" <dave@example.net>\r\n"
	    "\r\n" },
	{ "15-empty-parts", "1",
	    "" },
	{ "15-empty-parts", "1.MIME",
	    "" },
	{ "15-empty-parts", "2",
	    "" },
	{ "15-empty-parts", "2.MIME",
	    "" },
	{ "15-empty-parts", "3",
	    "" },
	{ "15-empty-parts", "3.MIME",
	    "Content-Type: text/plain\r\n" },
};

/* crlf - the message with every bare LF made CRLF, as imapd loads it */
static struct buf *
crlf(const char *s)
{
	struct buf *b = buf_new(strlen(s) + 64, 0);

	for (; *s != '\0'; s++) {
		if (*s == '\n' &&
		    (buf_len(b) == 0 || b->data[b->len - 1] != '\r'))
			buf_putc(b, '\r');
		buf_putc(b, *s);
	}
	return b;
}

/* shape_find - a shape by name */
static const struct shape *
shape_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (strcmp(shapes[i].name, name) == 0)
			return &shapes[i];
	abort();
}

/* test_shapes - BODYSTRUCTURE, BODY, ENVELOPE of each shape */
static void
test_shapes(void)
{
	struct buf *m, *out = buf_new(1024, 0), *why = buf_new(64, 0);
	struct mime_part *root;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		m = crlf(shapes[i].msg);
		root = mime_parse(m->data, m->len, why);
		snprintf(name, sizeof(name), "%s: the root spans the message",
		    shapes[i].name);
		ok(root != NULL && root->hdr_off == 0 &&
		    root->body_off + root->body_len == m->len, name);
		buf_reset(out);
		mime_bodystructure(out, m->data, root, 1);
		snprintf(name, sizeof(name), "%s: BODYSTRUCTURE",
		    shapes[i].name);
		is_str(buf_str(out), shapes[i].bodystructure, name);
		buf_reset(out);
		mime_bodystructure(out, m->data, root, 0);
		snprintf(name, sizeof(name), "%s: BODY", shapes[i].name);
		is_str(buf_str(out), shapes[i].body, name);
		buf_reset(out);
		mime_envelope(out, m->data + root->hdr_off, root->hdr_len);
		snprintf(name, sizeof(name), "%s: ENVELOPE", shapes[i].name);
		is_str(buf_str(out), shapes[i].envelope, name);
		mime_free(&root);
		ok(root == NULL, "mime_free clears the pointer");
		buf_free(&m);
	}
	buf_free(&out);
	buf_free(&why);
}

/* test_sections - BODY[section] of the shapes */
static void
test_sections(void)
{
	struct buf *m, *synth = buf_new(64, 0), *got = buf_new(256, 0);
	struct mime_part *root;
	const struct shape *s;
	char name[160];
	size_t i, off, len;
	int r;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		s = shape_find(sections[i].shape);
		m = crlf(s->msg);
		root = mime_parse(m->data, m->len, NULL);
		r = mime_section(m->data, root, sections[i].spec, &off, &len,
		    synth);
		snprintf(name, sizeof(name), "%s: BODY[%s]", s->name,
		    sections[i].spec);
		buf_reset(got);
		if (r == MIME_SECTION_RANGE)
			buf_append(got, m->data + off, len);
		else if (r == MIME_SECTION_SYNTH)
			buf_append(got, synth->data, synth->len);
		if (sections[i].want == NULL)
			is_int(r, -1, name);
		else {
			struct buf *want = crlf(sections[i].want);

			is_str(r >= 0 ? buf_str(got) : "(none)", buf_str(want),
			    name);
			buf_free(&want);
		}
		mime_free(&root);
		buf_free(&m);
	}
	buf_free(&synth);
	buf_free(&got);
}

/* filler - n bytes in lines CRLF-ended lines, the rest after the last */
static void
filler(struct buf *b, size_t n, size_t lines)
{
	size_t per = n / lines - 2, used = 0, i, k;

	for (i = 0; i < lines; i++) {
		for (k = 0; k < per; k++)
			buf_putc(b, 'a' + i % 26);
		buf_append(b, "\r\n", 2);
		used += per + 2;
	}
	for (; used < n; used++)
		buf_putc(b, 'z');
}

/* test_decode_body - mime_decode_body on the shapes */
static void
test_decode_body(void)
{
	struct buf *out = buf_new(64, 0), *m;
	struct mime_part *root;

	m = crlf(shape_find("02-alternative")->msg);
	root = mime_parse(m->data, m->len, NULL);
	buf_reset(out);
	mime_decode_body(m->data, root, out);
	ok(strstr(buf_str(out), "\302\277Qu\303\251 tal? Todo bien por aqu\303\255,"
	    " una l\303\255nea muy larga que sigue.") != NULL &&
	    strstr(buf_str(out), "<p>\302\277Qu\303\251 tal?</p>") != NULL,
	    "mime_decode_body: the text of both alternatives, QP undone");
	mime_free(&root);
	buf_free(&m);

	m = crlf(shape_find("03-attachment")->msg);
	root = mime_parse(m->data, m->len, NULL);
	buf_reset(out);
	mime_decode_body(m->data, root, out);
	is_str(buf_str(out), "Te env\303\255o el informe.\n",
	    "ISO-8859-1 quoted-printable text; attachments left out");
	buf_reset(out);
	mime_decode_body(m->data, mime_part_find(root, "2"), out);
	ok(buf_len(out) == 19 && memcmp(buf_str(out), "%PDF-1.4\n%\303\244", 12)
	    == 0, "an attachment by itself: base64 undone");
	mime_free(&root);
	buf_free(&m);
	buf_free(&out);
}


/* test_rfc3501 - the examples of RFC 3501 7.4.2, byte for byte */
static void
test_rfc3501(void)
{
	struct buf *m = buf_new(8192, 0), *out = buf_new(512, 0);
	struct mime_part *root;

	buf_puts(m, "Subject: example 1\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	    "Content-Transfer-Encoding: 7BIT\r\n\r\n");
	filler(m, 3028, 92);
	root = mime_parse(m->data, m->len, NULL);
	mime_bodystructure(out, m->data, root, 0);
	is_str(buf_str(out),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)",
	    "RFC 3501 7.4.2: the BODY of a plain text message");
	mime_free(&root);

	buf_reset(m);
	buf_reset(out);
	buf_puts(m, "Subject: example 2\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: MULTIPART/MIXED; BOUNDARY=\"x\"\r\n\r\n"
	    "--x\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	    "Content-Transfer-Encoding: 7BIT\r\n\r\n");
	filler(m, 1152, 23);
	buf_puts(m, "\r\n--x\r\n"
	    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
	    "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
	    "Content-Description: Compiler diff\r\n"
	    "Content-Transfer-Encoding: BASE64\r\n\r\n");
	filler(m, 4554, 73);
	buf_puts(m, "\r\n--x--\r\n");
	root = mime_parse(m->data, m->len, NULL);
	mime_bodystructure(out, m->data, root, 0);
	is_str(buf_str(out),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152"
	    " 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\")"
	    " \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\""
	    " \"BASE64\" 4554 73) \"MIXED\")",
	    "RFC 3501 7.4.2: the BODY of a two-part multipart/mixed");
	mime_free(&root);
	buf_free(&m);
	buf_free(&out);
}

/* test_params - RFC 2231 continuations, in any order, with gaps */
static void
test_params(void)
{
	static const char msg[] =
	    "Content-Type: application/octet-stream; a*1=y; b=1; a*0=x;\r\n"
	    " c*2=z; c*0*=utf-8''q; d*1=lost; E=\"quoted \\\"x\\\"\" (comment)\r\n"
	    "Content-Disposition: attachment; filename*0=\"long \";\r\n"
	    "\tfilename*1=\"name.txt\"\r\n"
	    "\r\nbody\r\n";
	struct buf *out = buf_new(256, 0);
	struct mime_part *root;

	root = mime_parse(msg, sizeof(msg) - 1, NULL);
	mime_bodystructure(out, msg, root, 1);
	is_str(buf_str(out), "(\"application\" \"octet-stream\" (\"a\" \"xy\" "
	    "\"b\" \"1\" \"c*\" \"utf-8''q\" \"c*2\" \"z\" \"d*1\" \"lost\" "
	    "\"E\" \"quoted \\\"x\\\"\") NIL NIL \"7bit\" 6 NIL "
	    "(\"attachment\" (\"filename\" \"long name.txt\")) NIL NIL)",
	    "RFC 2231 pieces joined in section order; gaps and lone pieces kept");
	mime_free(&root);
	buf_free(&out);
}

/* balanced - are the parentheses outside quoted strings balanced? */
static int
balanced(const char *s)
{
	int depth = 0, q = 0;

	for (; *s != '\0'; s++) {
		if (q && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			q = !q;
		else if (!q && *s == '(')
			depth++;
		else if (!q && *s == ')' && --depth < 0)
			return 0;
	}
	return depth == 0 && !q;
}

/* test_limits - deep nesting and many parts stay bounded */
static void
test_limits(void)
{
	struct buf *m = buf_new(1 << 16, 0), *out = buf_new(4096, 0);
	const struct mime_part *p;
	struct mime_part *root;
	int i, depth;
	size_t n;

	/* 60 multiparts, one inside the other. */
	for (i = 0; i < 60; i++)
		buf_appendf(m, "Content-Type: multipart/mixed; boundary=b%d\r\n"
		    "\r\n--b%d\r\n", i, i);
	buf_puts(m, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	for (i = 59; i >= 0; i--)
		buf_appendf(m, "--b%d--\r\n", i);
	root = mime_parse(m->data, m->len, NULL);
	for (depth = 0, p = root; p->child != NULL; p = p->child)
		depth++;
	ok(depth <= MIME_DEPTH_MAX, "nesting stops at MIME_DEPTH_MAX");
	ok(depth >= MIME_DEPTH_MAX - 1, "nesting goes down to the limit");
	mime_bodystructure(out, m->data, root, 1);
	ok(balanced(buf_str(out)), "a too deep message still gives a "
	    "well-formed BODYSTRUCTURE");
	mime_free(&root);

	/* message/rfc822 inside message/rfc822, 60 times. */
	buf_reset(m);
	buf_reset(out);
	for (i = 0; i < 60; i++)
		buf_appendf(m, "Subject: level %d\r\n"
		    "Content-Type: message/rfc822\r\n\r\n", i);
	buf_puts(m, "Subject: bottom\r\n\r\nbody\r\n");
	root = mime_parse(m->data, m->len, NULL);
	for (depth = 0, p = root; p->message != NULL; p = p->message)
		depth++;
	ok(depth <= MIME_DEPTH_MAX, "enclosed messages stop at MIME_DEPTH_MAX");
	mime_bodystructure(out, m->data, root, 1);
	ok(balanced(buf_str(out)), "so does their BODYSTRUCTURE");
	mime_free(&root);

	/* More parts than MIME_PARTS_MAX. */
	buf_reset(m);
	buf_puts(m, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (i = 0; i < MIME_PARTS_MAX + 100; i++)
		buf_puts(m, "--p\r\n\r\nx\r\n");
	buf_puts(m, "--p--\r\n");
	root = mime_parse(m->data, m->len, NULL);
	ok(root->nchildren < MIME_PARTS_MAX, "parts stop at MIME_PARTS_MAX");
	n = root->body_off + root->body_len;
	is_int(n, m->len, "and the multipart still spans the message");
	mime_free(&root);

	/* Too large for IMAP: refused, the bytes are not even looked at. */
	{
		struct buf *why = buf_new(64, 0);

		root = mime_parse(m->data, (size_t)MIME_SIZE_MAX + 1, why);
		ok(root == NULL && buf_len(why) > 0,
		    "a message over 4 GB is refused with a reason");
		buf_free(&why);
	}

	/* Junk: no header, NULs, lone CRs, an empty message. */
	root = mime_parse("", 0, NULL);
	buf_reset(out);
	mime_bodystructure(out, "", root, 1);
	is_str(buf_str(out), "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
	    "NIL \"7bit\" 0 0 NIL NIL NIL NIL)", "an empty message");
	mime_free(&root);
	root = mime_parse("\r\n\0\r\r--x\r\n", 10, NULL);
	ok(root->hdr_len == 2 && root->body_len == 8,
	    "a message that is all body");
	mime_free(&root);
	buf_free(&m);
	buf_free(&out);
}

/* test_section_syntax - mime_section_check */
static void
test_section_syntax(void)
{
	static const struct {
		const char	*spec;
		int		 valid;
	} cases[] = {
		{ "", 1 }, { "1", 1 }, { "1.2.3", 1 }, { "HEADER", 1 },
		{ "text", 1 }, { "1.MIME", 1 }, { "2.HEADER", 1 },
		{ "HEADER.FIELDS (FROM)", 1 }, { "header.fields.not (a \"b c\")", 1 },
		{ "1.2.HEADER.FIELDS (DATE FROM)", 1 }, { "4294967296", 1 },
		{ "0", 0 }, { "1.", 0 }, { "1..2", 0 }, { ".1", 0 }, { "1X", 0 },
		{ "MIME", 0 }, { "TEXT.1", 0 }, { "HEADER.FIELDS", 0 },
		{ "HEADER.FIELDS ()", 0 }, { "HEADER.FIELDS (A", 0 },
		{ "HEADER.FIELDS (A) x", 0 }, { "HEADER.FIELDS (A  B)", 0 },
		{ "1.0", 0 }, { "01", 0 }, { "HEADERS", 0 },
	};
	char name[80];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "section \"%s\" is %s",
		    cases[i].spec, cases[i].valid ? "valid" : "refused");
		is_int(mime_section_check(cases[i].spec),
		    cases[i].valid ? 0 : -1, name);
	}
}

int
main(void)
{
	test_shapes();
	test_sections();
	test_decode_body();
	test_rfc3501();
	test_params();
	test_limits();
	test_section_syntax();
	return done_testing();
}
