/*
 * https - a small HTTPS client for one GET, as MTA-STS needs it (RFC
 * 8461 3.3): the host's addresses looked up through lib/dns.c and each
 * one checked by the caller (the smtp agent lets only
 * smtp_destination_networks through), the certificate verified against
 * the client context's CAs for the host name, HTTP/1.0 so that the
 * answer is never chunked, a 200 only (a redirect is not followed), a
 * size limit on the body and one time limit on everything.
 *
 * The server is distrusted: the head is bounded (HTTPS_HEAD_MAX), the
 * body by the caller's limit (an answer over it is refused, never cut),
 * a Content-Length that disagrees with the body is refused, and every
 * wait is bounded by what is left of the time limit.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "dns.h"
#include "https.h"
#include "tls.h"
#include "util.h"

#define HTTPS_HEAD_MAX	16384	/* the status line and headers */

/* https_left - seconds left before deadline (ms), at least 1; 0: none */
static int
https_left(long long deadline)
{
	long long ms = deadline - now_ms();

	return ms <= 0 ? 0 : (int)((ms + 999) / 1000);
}

/* https_connect - a TCP connection to addr:port within the time left */
static int
https_connect(const struct dns_rr *a, unsigned port, long long deadline,
    struct buf *why)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len, elen = sizeof(int);
	int fd, err = 0, w;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a->addr, 4);
		len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, a->addr, 16);
		len = sizeof(*in6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		buf_setf(why, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if ((w = fd_wait(fd, POLLOUT, https_left(deadline))) <= 0)
			err = w == 0 ? ETIMEDOUT : errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
	}
	if (err != 0) {
		buf_setf(why, "connect: %s", strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* https_addrs - the host's addresses that the caller allows */
static int
https_addrs(const struct https_get *g, long long deadline,
    struct dns_rr *out, int max, struct buf *why)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA };
	struct dns_result *r;
	char text[INET6_ADDRSTRLEN];
	long long left;
	size_t i;
	int t, n = 0, failed = 0;

	for (t = 0; t < 2; t++) {
		left = deadline - now_ms();
		if (dns_lookup_wait(types[t], g->host, left > 0 ?
		    (long)left : 1, &r) == DNS_TEMPFAIL)
			failed = 1;
		for (i = 0; r->status == DNS_OK && i < r->nrr && n < max; i++) {
			inet_ntop(r->rr[i].family, r->rr[i].addr, text,
			    sizeof(text));
			if (g->allowed != NULL && !g->allowed(text)) {
				buf_setf(why, "address %s of %s not allowed "
				    "(%s)", text, g->host, g->rule);
				continue;
			}
			out[n++] = r->rr[i];
			out[n - 1].name = out[n - 1].text = NULL;
		}
		dns_result_free(&r);
	}
	if (n == 0 && buf_len(why) == 0)
		buf_setf(why, "%s: %s", g->host, failed ?
		    "address lookup failed" : "no address");
	return n;
}

/*
 * https_head - the head of an answer (up to its empty line): the status
 * code, and the Content-Type in ctype (lower case, parameters cut); -1
 * when the status line is malformed
 */
int
https_head(const char *head, size_t len, struct buf *ctype)
{
	const char *p = head, *end = head + len, *nl;
	unsigned long long code;
	char *line, *v;
	int status = -1;

	buf_reset(ctype);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = xstrndup(p, (size_t)(nl - p));
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (p == head) {
			if (strlen(line) >= 12 &&
			    strncmp(line, "HTTP/1.", 7) == 0 &&
			    line[8] == ' ' && dec_parse(line + 9, 3, 999,
			    &code) == 0 &&
			    (line[12] == '\0' || line[12] == ' '))
				status = (int)code;
		} else if ((v = strchr(line, ':')) != NULL) {
			*v++ = '\0';
			if (strcasecmp(trim(line), "content-type") == 0) {
				v[strcspn(v, ";")] = '\0';
				buf_set(ctype, trim(v));
				lowercase(ctype->data);
			}
		}
		free(line);
		if (status < 0)
			return -1;
		p = nl + 1;
	}
	return status;
}

/* https_length - the Content-Length of a head: -1 none, -2 malformed */
static long long
https_length(const char *head)
{
	const char *p = head;
	unsigned long long n;
	size_t len;

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, "content-length:", 15) != 0)
			continue;
		for (p += 15; *p == ' ' || *p == '\t'; p++)
			;
		len = strspn(p, "0123456789");
		if (len == 0 || len > 18 || dec_parse(p, len, 1ULL << 62,
		    &n) < 0)
			return -2;
		return (long long)n;
	}
	return -1;
}

/*
 * https_complete - is the answer in all: its head, and as many bytes
 * of body as its Content-Length says?  (Then no end of input, whose
 * close_notify many servers leave out, needs waiting for.)
 */
static int
https_complete(const struct buf *in)
{
	const char *s = buf_str(in), *sep = strstr(s, "\r\n\r\n");
	long long clen;

	if (sep == NULL || (clen = https_length(s)) < 0)
		return 0;
	return (long long)(buf_len(in) - (size_t)(sep + 4 - s)) >= clen;
}

/* https_exchange - the request and the whole answer on a session */
static int
https_exchange(const struct https_get *g, struct tls *t, long long deadline,
    struct buf *in, struct buf *why)
{
	char chunk[4096];
	ssize_t n;
	int left;

	buf_setf(in, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: cartero\r\n"
	    "Accept: text/plain\r\n\r\n", g->path, g->host);
	if (tls_write(t, buf_str(in), buf_len(in)) < 0) {
		buf_setf(why, "sending the request: %s", strerror(errno));
		return -1;
	}
	buf_reset(in);
	while (!https_complete(in)) {
		if ((left = https_left(deadline)) == 0) {
			buf_setf(why, "timed out");
			return -1;
		}
		tls_set_timeout(t, left);
		if ((n = tls_read(t, chunk, sizeof(chunk))) == 0)
			return 0;
		if (n < 0) {
			buf_setf(why, "%s", errno == ETIMEDOUT ? "timed out" :
			    strerror(errno));
			return -1;
		}
		if (buf_len(in) + (size_t)n > g->limit + HTTPS_HEAD_MAX) {
			buf_setf(why, "the answer is over %zu bytes", g->limit);
			return -1;
		}
		buf_append(in, chunk, (size_t)n);
	}
	return 0;
}

/* https_body - the body of an answer, checked: 0, -1 with why */
static int
https_body(const struct https_get *g, struct buf *in, struct buf *body,
    struct buf *why)
{
	const char *s = buf_str(in), *sep = strstr(s, "\r\n\r\n");
	struct buf *ctype = buf_new(64, 1024);
	size_t hlen, blen;
	long long clen;
	int status, r = -1;

	/* strstr stops at a NUL: one in the head leaves no separator. */
	if (sep == NULL || (hlen = (size_t)(sep - s)) > HTTPS_HEAD_MAX) {
		buf_setf(why, "a malformed answer");
		goto out;
	}
	blen = buf_len(in) - hlen - 4;
	status = https_head(s, hlen, ctype);
	clen = https_length(buf_str(in));
	if (status < 0)
		buf_setf(why, "a malformed answer");
	else if (status != 200)
		buf_setf(why, "HTTP status %d%s", status, status / 100 == 3 ?
		    " (a redirect: not followed)" : "");
	else if (strcmp(buf_str(ctype), "text/plain") != 0)
		buf_setf(why, "Content-Type is \"%s\", not text/plain",
		    buf_str(ctype));
	else if (blen > g->limit)
		buf_setf(why, "the policy is over %zu bytes", g->limit);
	else if (clen == -2 || (clen >= 0 && (size_t)clen != blen))
		buf_setf(why, "the body does not match its Content-Length");
	else {
		buf_reset(body);
		buf_append(body, sep + 4, blen);
		r = 0;
	}
out:
	buf_free(&ctype);
	return r;
}

/* https_get - GET https://host:port/path: the body, or -1 with why */
int
https_get(const struct https_get *g, struct buf *body, struct buf *why)
{
	long long deadline = now_ms() + (long long)g->timeout * 1000;
	struct dns_rr addr[8];
	struct buf *in = buf_new(4096, 0), *err = buf_new(128, 1024);
	struct tls_check chk = { TLS_CHECK_PKIX, g->host, NULL, NULL, 0 };
	struct tls *t;
	int i, n, fd, r = -1;

	buf_reset(why);
	n = https_addrs(g, deadline, addr, 8, err);
	for (i = 0; i < n && r < 0 && https_left(deadline) > 0; i++) {
		if ((fd = https_connect(&addr[i], g->port, deadline, err)) < 0)
			continue;
		if ((t = tls_connect_check(g->ctx, fd, https_left(deadline),
		    &chk, err)) != NULL) {
			if (https_exchange(g, t, deadline, in, err) == 0)
				r = https_body(g, in, body, err);
			tls_close(&t);
		}
		close(fd);
	}
	if (r < 0)
		buf_setf(why, "https://%s%s: %s", g->host, g->path,
		    buf_len(err) > 0 ? buf_str(err) : "timed out");
	buf_free(&in);
	buf_free(&err);
	return r;
}
