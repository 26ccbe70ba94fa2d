/*
 * smtpd_cmd.t - the SMTP MAIL and RCPT commands as smtpd/smtpd_cmd.c
 * answers them: the path syntax (<...>, bare, the null sender, source
 * routes, quoted local parts, UTF-8), the MAIL parameters (SIZE=, BODY=,
 * SMTPUTF8, AUTH=; unknown ones, duplicates, bad values, case), RCPT
 * parameters (DSN's NOTIFY and ORCPT; MAIL's RET and ENVID with xtext
 * that may not decode to a control character), the sequence
 * errors, relay refusals and the transaction state each leaves behind.
 *
 * The command loop is smtpd's own (smtpd_cmd with smtpd_chat.c's replies:
 * every file of smtpd but smtpd.c, see Makefile.am) on the smallest session:
 * the lineio of one end of a socket pair, the buffers, a loopback client.
 * main.cf sets only myhostname, mydestination, queue_directory and
 * alias_maps (one alias, postmaster); the rest are the defaults.  Each
 * case runs its commands in a fresh session and compares the reply to
 * the last one, then what the transaction holds.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "../../smtpd/smtpd.h"
#include "../tap.h"

static char dir[] = "/tmp/cartero-smtpd-XXXXXX";

#define CMDS_MAX	5
#define A32	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A64	A32 A32

/*
 * The commands of one session (NULL ends), the reply to the last one
 * (lines joined by '\n', no CRLF), and the transaction after it:
 * "from=<SENDER> size=N 8bit=0|1 utf8=0|1 [envid=<E>] [ret=1|2]
 * rcpt=<a>{NOTIFY;ORCPT},<b>" ({} only with DSN parameters) or "none" (no
 * MAIL).  net: the client is in mynetworks; auth: AUTH offered.
 */
static const struct smtp_case {
	const char	*desc;
	int		 net;
	int		 auth;
	const char	*cmds[CMDS_MAX + 1];
	const char	*reply;
	const char	*state;
} cases[] = {
	/* The sender's path. */
	{ "MAIL FROM:<a@b>", 1, 1,
	    { "EHLO c.example", "MAIL FROM:<ana@mired.org>" },
	    "250 2.1.0 Ok", "from=<ana@mired.org> size=0 8bit=0 utf8=0" },
	{ "the null sender", 1, 1, { "HELO c", "MAIL FROM:<>" },
	    "250 2.1.0 Ok", "from=<> size=0 8bit=0 utf8=0" },
	{ "a space after FROM:", 1, 1, { "HELO c", "MAIL FROM: <a@x.org>" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "verbs and FROM: in any case", 1, 1,
	    { "helo c", "mail from:<a@x.org>" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "a bare address (as Postfix)", 1, 1,
	    { "HELO c", "MAIL FROM:a@x.org" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "a source route is dropped", 1, 1,
	    { "HELO c", "MAIL FROM:<@r1.example,@r2.example:a@x.org>" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "a bad source route", 1, 1,
	    { "HELO c", "MAIL FROM:<@r1.example;a@x.org>" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "a quoted local part", 1, 1,
	    { "HELO c", "MAIL FROM:<\"a b\"@x.org>" },
	    "250 2.1.0 Ok", "from=<a b@x.org> size=0 8bit=0 utf8=0" },
	{ "an '@' in a quoted local part is refused", 1, 1,
	    { "HELO c", "MAIL FROM:<\"a@y\"@x.org>" },
	    "553 5.1.7 <a@y@x.org>: Sender address rejected: an '@' in the "
	    "local part is not allowed", "none" },
	{ "no FROM:", 1, 1, { "HELO c", "MAIL <a@x.org>" },
	    "501 5.5.4 Syntax: MAIL FROM:<address>", "none" },
	{ "FROM with a space before ':'", 1, 1,
	    { "HELO c", "MAIL FROM :<a@x.org>" },
	    "501 5.5.4 Syntax: MAIL FROM:<address>", "none" },
	{ "an empty path", 1, 1, { "HELO c", "MAIL FROM:" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "a missing '>'", 1, 1, { "HELO c", "MAIL FROM:<a@x.org" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "a space inside <>", 1, 1, { "HELO c", "MAIL FROM:<a @x.org>" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "a parameter without a space", 1, 1,
	    { "HELO c", "MAIL FROM:<a@x.org>SIZE=1" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "parameters after a bare address", 1, 1,
	    { "HELO c", "MAIL FROM:a@x.org SIZE=1" },
	    "501 5.1.3 Bad address syntax", "none" },
	{ "a path of 512 octets", 1, 1,
	    { "HELO c", "MAIL FROM:<" A64 A64 A64 A64 A64 A64 A64
	    A32
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa@x.org>" },
	    "250 2.1.0 Ok", "from=<" A64 A64 A64 A64 A64 A64 A64
	    A32
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa@x.org> "
	    "size=0 8bit=0 utf8=0" },
	{ "a path over 512 octets (ADDR_MAX)", 1, 1,
	    { "HELO c", "MAIL FROM:<" A64 A64 A64 A64 A64 A64 A64
	    A32
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org>" },
	    "501 5.1.3 Address too long", "none" },
	{ "a UTF-8 sender without SMTPUTF8", 1, 1,
	    { "EHLO c", "MAIL FROM:<jos\xc3\xa9@x.org>" },
	    "553 5.6.7 Must declare SMTPUTF8 to send unicode address",
	    "none" },
	{ "a UTF-8 sender with SMTPUTF8", 1, 1,
	    { "EHLO c", "MAIL FROM:<jos\xc3\xa9@x.org> SMTPUTF8" },
	    "250 2.1.0 Ok", "from=<jos\xc3\xa9@x.org> size=0 8bit=0 utf8=1" },

	/* MAIL parameters. */
	{ "SIZE=", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE=12345" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=12345 8bit=0 utf8=0" },
	{ "SIZE=0", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE=0" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "SIZE at the limit", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=10240000" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=10240000 8bit=0 utf8=0" },
	{ "SIZE over the limit", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=10240001" },
	    "552 5.3.4 Message size exceeds fixed limit", "none" },
	{ "SIZE not a number", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=ten" },
	    "501 5.5.4 Bad SIZE parameter syntax", "none" },
	{ "SIZE negative", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE=-1" },
	    "501 5.5.4 Bad SIZE parameter syntax", "none" },
	{ "SIZE with junk", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE=1k" },
	    "501 5.5.4 Bad SIZE parameter syntax", "none" },
	{ "SIZE empty", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE=" },
	    "501 5.5.4 Bad SIZE parameter syntax", "none" },
	{ "SIZE without '='", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> SIZE" },
	    "555 5.5.4 Unsupported option: SIZE", "none" },
	{ "SIZE overflowing 64 bits", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=99999999999999999999" },
	    "552 5.3.4 Message size exceeds fixed limit", "none" },
	{ "SIZE twice: the last one counts", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=1 SIZE=2" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=2 8bit=0 utf8=0" },
	{ "BODY=8BITMIME", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> BODY=8BITMIME" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=1 utf8=0" },
	{ "BODY=7BIT", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> BODY=7BIT" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "names and values in any case", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> body=8bitmime size=7 smtputf8" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=7 8bit=1 utf8=1" },
	{ "BODY=BINARYMIME is not offered", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> BODY=BINARYMIME" },
	    "501 5.5.4 Bad BODY parameter value (7BIT or 8BITMIME)", "none" },
	{ "BODY without a value", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> BODY" },
	    "555 5.5.4 Unsupported option: BODY", "none" },
	{ "SMTPUTF8=x takes no value", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SMTPUTF8=yes" },
	    "555 5.5.4 Unsupported option: SMTPUTF8", "none" },
	{ "several parameters, tabs between", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=5\tBODY=8BITMIME  SMTPUTF8" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=5 8bit=1 utf8=1" },
	{ "AUTH= accepted (and ignored) when AUTH is offered", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> AUTH=<>" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "AUTH= refused when AUTH is not", 1, 0,
	    { "EHLO c", "MAIL FROM:<a@x.org> AUTH=a@x.org" },
	    "555 5.5.4 Unsupported option: AUTH", "none" },
	{ "AUTH without a value", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> AUTH" },
	    "555 5.5.4 Unsupported option: AUTH", "none" },
	{ "an unknown parameter", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> XRET=HDRS" },
	    "555 5.5.4 Unsupported option: XRET", "none" },
	{ "an unknown parameter after good ones", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=1 XENVID=x" },
	    "555 5.5.4 Unsupported option: XENVID", "none" },

	/* DSN (RFC 3461): RET and ENVID, xtext decoded and checked. */
	{ "MAIL RET=HDRS ENVID=xtext", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> RET=hdrs ENVID=Q+2BQ+3D1" },
	    "250 2.1.0 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 envid=<Q+Q=1> ret=2" },
	{ "MAIL RET=FULL", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> RET=FULL" }, "250 2.1.0 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 ret=1" },
	{ "RET twice", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> RET=FULL RET=HDRS" },
	    "501 5.5.4 Bad RET parameter (FULL or HDRS, once)", "none" },
	{ "RET=ALL", 1, 1, { "EHLO c", "MAIL FROM:<a@x.org> RET=ALL" },
	    "501 5.5.4 Bad RET parameter (FULL or HDRS, once)", "none" },
	{ "ENVID decoding to LF", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+0AR<evil@x.org>" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID decoding to CR", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+0Db" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID decoding to NUL", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+00b" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID decoding to DEL", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+7F" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID with lower-case hex", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+0a" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID with a cut hexchar", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a+4" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID with a raw '='", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=a=b" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID of 101 characters", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=" A64 A32 "aaaaa" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "ENVID of 100 characters", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=" A64 A32 "aaaa" },
	    "250 2.1.0 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0 envid=<"
	    A64 A32 "aaaa>" },
	{ "an empty ENVID", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=" },
	    "501 5.5.4 Bad ENVID parameter syntax", "none" },
	{ "a refused MAIL's ENVID is forgotten", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> ENVID=x SIZE=999999999999",
	    "MAIL FROM:<a@x.org> ENVID=y" }, "250 2.1.0 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 envid=<y>" },
	{ "an unknown parameter's 8-bit bytes are echoed as sent", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> X\xff=1" },
	    "555 5.5.4 Unsupported option: X\xff", "none" },
	{ "a control character refuses the line", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>\r SIZE=1" },
	    "500 5.5.2 Error: bad character in command", "none" },

	/* MAIL in sequence. */
	{ "MAIL before HELO", 1, 1, { "MAIL FROM:<a@x.org>" },
	    "503 5.5.1 Error: send HELO/EHLO first", "none" },
	{ "MAIL twice", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "MAIL FROM:<b@x.org>" },
	    "503 5.5.1 Error: nested MAIL command",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "MAIL after RSET", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=9", "RSET",
	    "MAIL FROM:<b@x.org>" },
	    "250 2.1.0 Ok", "from=<b@x.org> size=0 8bit=0 utf8=0" },
	{ "a refused MAIL leaves no transaction", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SIZE=x", "MAIL FROM:<b@x.org>" },
	    "250 2.1.0 Ok", "from=<b@x.org> size=0 8bit=0 utf8=0" },

	/* RCPT. */
	{ "RCPT TO:<remote> from mynetworks", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>" },
	    "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<b@y.org>" },
	{ "RCPT to a remote domain from outside: relay denied", 0, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>" },
	    "554 5.7.1 <b@y.org>: Relay access denied",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT to a local alias from outside", 0, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<postmaster@mired.org>" },
	    "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<postmaster@mired.org>" },
	{ "RCPT to an unknown local user", 0, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<nosuch.user@mired.org>" },
	    "550 5.1.1 <nosuch.user@mired.org>: Recipient address rejected: "
	    "User unknown in local recipient table",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT TO:<Postmaster> without a domain", 0, 1,
	    { "EHLO c", "MAIL FROM:<>", "RCPT TO:<Postmaster>" },
	    "250 2.1.5 Ok", "from=<> size=0 8bit=0 utf8=0 rcpt=<Postmaster>" },
	{ "RCPT with a source route", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<@hop.example:b@y.org>" },
	    "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<b@y.org>" },
	{ "RCPT twice to one address: one copy", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>",
	    "RCPT TO:<b@y.org>" },
	    "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<b@y.org>" },
	{ "RCPT to two addresses", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>",
	    "RCPT TO:<c@y.org>" }, "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<b@y.org>,<c@y.org>" },
	{ "RCPT TO:<> is no recipient", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<>" },
	    "501 5.1.3 Bad recipient address syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT before MAIL", 1, 1, { "EHLO c", "RCPT TO:<b@y.org>" },
	    "503 5.5.1 Error: need MAIL command", "none" },
	{ "RCPT without TO:", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT <b@y.org>" },
	    "501 5.5.4 Syntax: RCPT TO:<address>",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT with a bad path", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@@y.org>" },
	    "501 5.1.3 Bad address syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT NOTIFY=failure,success", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> NOTIFY=failure,success" }, "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 "
	    "rcpt=<b@y.org>{SUCCESS,FAILURE;}" },
	{ "RCPT NOTIFY=NEVER", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org> NOTIFY=NEVER" },
	    "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=0 rcpt=<b@y.org>{NEVER;}" },
	{ "RCPT NOTIFY=NEVER,SUCCESS", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> NOTIFY=NEVER,SUCCESS" },
	    "501 5.5.4 Bad NOTIFY parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT NOTIFY=DELAY,DELAY", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> NOTIFY=DELAY,DELAY" },
	    "501 5.5.4 Bad NOTIFY parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT NOTIFY=SUCCESS,", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> NOTIFY=SUCCESS," },
	    "501 5.5.4 Bad NOTIFY parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT NOTIFY twice", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> NOTIFY=DELAY NOTIFY=DELAY" },
	    "501 5.5.4 Bad NOTIFY parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT ORCPT=rfc822;xtext", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> ORCPT=rfc822;B+2Bx+40y.org NOTIFY=DELAY" },
	    "250 2.1.5 Ok", "from=<a@x.org> size=0 8bit=0 utf8=0 "
	    "rcpt=<b@y.org>{DELAY;rfc822;B+x@y.org}" },
	{ "RCPT ORCPT decoding to CR LF", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> ORCPT=rfc822;b@y.org+0D+0AR<c@z.org>" },
	    "501 5.5.4 Bad ORCPT parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT ORCPT without a type", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org> ORCPT=;b" },
	    "501 5.5.4 Bad ORCPT parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT ORCPT without an address", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> ORCPT=rfc822;" },
	    "501 5.5.4 Bad ORCPT parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT ORCPT without ';'", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>",
	    "RCPT TO:<b@y.org> ORCPT=rfc822" },
	    "501 5.5.4 Bad ORCPT parameter syntax",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT with a parameter without a value", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org> XYZ" },
	    "555 5.5.4 Unsupported option: XYZ",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT UTF-8 without SMTPUTF8", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<jos\xc3\xa9@y.org>" },
	    "553 5.6.7 Must declare SMTPUTF8 to send unicode address",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RCPT UTF-8 with SMTPUTF8", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org> SMTPUTF8",
	    "RCPT TO:<jos\xc3\xa9@y.org>" }, "250 2.1.5 Ok",
	    "from=<a@x.org> size=0 8bit=0 utf8=1 rcpt=<jos\xc3\xa9@y.org>" },
	{ "RCPT with an '@' in a quoted local part", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<\"b@z\"@y.org>" },
	    "553 5.1.3 <b@z@y.org>: Recipient address rejected: an '@' in the "
	    "local part is not allowed",
	    "from=<a@x.org> size=0 8bit=0 utf8=0" },
	{ "RSET forgets the recipients", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>", "RSET" },
	    "250 2.0.0 Ok", "none" },
	{ "HELO again forgets the transaction", 1, 1,
	    { "EHLO c", "MAIL FROM:<a@x.org>", "RCPT TO:<b@y.org>",
	    "HELO d" }, "250 mx.mired.org", "none" },

	/* EHLO says what MAIL accepts. */
	{ "EHLO lists SIZE, 8BITMIME, SMTPUTF8 and AUTH", 1, 1,
	    { "EHLO c" },
	    "250-mx.mired.org\n250-PIPELINING\n250-SIZE 10240000\n"
	    "250-AUTH PLAIN LOGIN\n250-8BITMIME\n250-DSN\n250-CHUNKING\n"
	    "250-ENHANCEDSTATUSCODES\n"
	    "250 SMTPUTF8", "none" },
	{ "EHLO without AUTH", 1, 0, { "EHLO c" },
	    "250-mx.mired.org\n250-PIPELINING\n250-SIZE 10240000\n"
	    "250-8BITMIME\n250-DSN\n250-CHUNKING\n250-ENHANCEDSTATUSCODES\n"
	    "250 SMTPUTF8", "none" },
};

/* replies - what the server wrote since the last call, CRLFs as '\n' */
static const char *
replies(int fd)
{
	static struct buf *b;
	char chunk[4096];
	ssize_t n;

	if (b == NULL)
		b = buf_new(4096, 0);
	buf_reset(b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(b, chunk, (size_t)n);
	if (n < 0 && errno != EAGAIN)
		perror("read");
	return buf_str(b);
}

/* last_reply - the reply to the last command: its lines, '\n' between */
static void
last_reply(const char *all, struct buf *out)
{
	char *copy = xstrdup(all), *cp = copy, *line;
	int ended = 1;

	buf_reset(out);
	while ((line = strsep(&cp, "\n")) != NULL) {
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0')
			continue;
		if (ended)
			buf_reset(out);
		else
			buf_putc(out, '\n');
		buf_puts(out, line);
		/* "250-..." goes on, "250 ..." ends the reply. */
		ended = strlen(line) <= 3 || line[3] == ' ';
	}
	free(copy);
}

/* state - the transaction, as the table writes it */
static void
state(const struct smtpd_state *s, struct buf *out)
{
	int i;

	buf_reset(out);
	if (s->sender == NULL) {
		buf_set(out, "none");
		return;
	}
	buf_appendf(out, "from=<%s> size=%lld 8bit=%d utf8=%d", s->sender,
	    s->declared_size, s->body8bit, s->smtputf8);
	if (s->envid != NULL)
		buf_appendf(out, " envid=<%s>", s->envid);
	if (s->ret != SMTPD_RET_NONE)
		buf_appendf(out, " ret=%d", s->ret);
	for (i = 0; i < s->nrcpt; i++) {
		buf_appendf(out, "%s<%s>", i ? "," : " rcpt=", s->rcpt[i]);
		if (s->rnotify[i] != NULL || s->rorcpt[i] != NULL)
			buf_appendf(out, "{%s;%s}", s->rnotify[i] ?
			    s->rnotify[i] : "", s->rorcpt[i] ? s->rorcpt[i] :
			    "");
	}
}

/* run_case - one fresh session */
static void
run_case(const struct smtp_case *c, int fd, struct smtpd_state *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->sa;
	struct buf *got = buf_new(256, 0), *st = buf_new(256, 0);
	char name[300];
	int i;

	smtpd_session_reset(s);
	memset(s->count, 0, sizeof(s->count));
	memset(s->good, 0, sizeof(s->good));
	s->errors = s->quit = 0;
	s->in_mynetworks = c->net;
	memset(&s->sa, 0, sizeof(s->sa));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(c->net ? 0x7f000001 : 0x7f000002);
	var_smtpd_sasl_auth_enable = c->auth;
	for (i = 0; c->cmds[i] != NULL; i++) {
		buf_set(s->line, c->cmds[i]);
		smtpd_cmd(s);
	}
	lineio_flush(s->io);
	last_reply(replies(fd), got);
	is_str(buf_str(got), c->reply, c->desc);
	state(s, st);
	snprintf(name, sizeof(name), "  state: %s", c->desc);
	is_str(buf_str(st), c->state, name);
	buf_free(&got);
	buf_free(&st);
}

int
main(void)
{
	struct smtpd_state s;
	struct buf *why = buf_new(64, 0), *text = buf_new(256, 0);
	FILE *fp;
	size_t i;
	int sv[2];

	msg_init("smtpd_cmd.t", 0);	/* the reject log lines */
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	buf_setf(text, "%s/main.cf", dir);
	fp = fopen(buf_str(text), "w");
	if (fp == NULL || fprintf(fp, "myhostname = mx.mired.org\n"
	    "mydestination = mired.org\nqueue_directory = %s\n"
	    "alias_maps = texthash:%s/aliases\n", dir, dir) < 0 ||
	    fclose(fp) == EOF) {
		perror("main.cf");
		return 1;
	}
	buf_setf(text, "%s/aliases", dir);
	fp = fopen(buf_str(text), "w");
	if (fp == NULL || fputs("postmaster: root\n", fp) == EOF ||
	    fclose(fp) == EOF) {
		perror("aliases");
		return 1;
	}
	if (conf_load(dir, NULL, why) < 0) {
		printf("Bail out! conf_load: %s\n", buf_str(why));
		return 1;
	}
	var_smtpd_soft_error_limit = 1000000;	/* no delays here */
	smtpd_check_init();

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	memset(&s, 0, sizeof(s));
	s.fd = sv[0];
	s.io = lineio_new(sv[0], 4096, 5);
	s.line = buf_new(512, 4096);
	s.reply = buf_new(512, 0);
	s.tmp = buf_new(512, 0);
	s.name = xstrdup("localhost");
	s.namaddr = xstrdup("localhost[127.0.0.1]");
	snprintf(s.addr, sizeof(s.addr), "127.0.0.1");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], sv[1], &s);

	buf_setf(text, "rm -rf '%s'", dir);
	if (system(buf_str(text)) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
