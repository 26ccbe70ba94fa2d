/*
 * fuzz_pop3 - libFuzzer target: what pop3 makes of a Maildir file
 * (pop3d/pop3d_maildrop.c): the CRLF size, RETR and TOP output (line
 * ends, dot-stuffing); and the UIDL of a file name (lib/mailbox_name.c).
 *
 * Checks: RETR output is the file with every line ended by CRLF, a
 * leading dot doubled, and ".CRLF" at the end; unstuffed, it is exactly
 * the size LIST announces, counted with or without the size the name
 * gives; TOP output is a prefix of RETR's; a UIDL is 1 to 70 octets in
 * 0x21-0x7e; the usable name given to a file the uid list cannot hold is
 * one it can, and has the same UIDL.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../pop3d/pop3d_maildrop.c"

struct fuzz_out {
	struct buf *b;
};

static int
fuzz_out(void *ctx, const char *p, size_t n)
{
	buf_append(((struct fuzz_out *)ctx)->b, p, n);
	return 0;
}

/*
 * fuzz_send - RETR (lines < 0) or TOP of the file in fd, into out; with
 * name NULL the file is read to its end, else name gives its size
 * (",S=") and one short read may end it.
 */
static void
fuzz_send(struct pop3d_maildrop *md, int fd, long lines, struct buf *out,
    char *name)
{
	struct pop3d_msg m;
	struct fuzz_out o;

	memset(&m, 0, sizeof(m));
	m.fsize = name != NULL ? mailbox_name_field(name, 'S') : -1;
	o.b = out;
	buf_reset(out);
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    pop3d_maildrop_send(md, &m, fd, lines, fuzz_out, &o) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct pop3d_maildrop mb;
	static int fd = -1;
	struct buf	*retr, *top, *uidl, *usable, *again;
	const char	*p, *end;
	long long	 size, unstuffed = 0;
	char		*name, sname[64];
	size_t		 i;

	msg_set_flags(0);
	if (fd < 0 && (fd = memfd_create("fuzz_pop3", 0)) < 0)
		abort();
	if (mb.chunk == NULL)
		mb.chunk = xmalloc(POP3D_CHUNK);
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    lseek(fd, 0, SEEK_SET) < 0)
		abort();
	size = pop3d_maildrop_crlf_size(fd, mb.chunk, POP3D_CHUNK, -1);
	if (lseek(fd, 0, SEEK_SET) < 0 || pop3d_maildrop_crlf_size(fd,
	    mb.chunk, POP3D_CHUNK, (long long)len) != size)
		abort();
	retr = buf_new(len * 2 + 16, 0);
	top = buf_new(len * 2 + 16, 0);
	fuzz_send(&mb, fd, -1, retr, NULL);

	/* The same when the name tells the size. */
	snprintf(sname, sizeof(sname), "1.M1P1Q1.fuzz,S=%zu", len);
	fuzz_send(&mb, fd, -1, top, sname);
	if (buf_len(top) != buf_len(retr) ||
	    memcmp(buf_str(top), buf_str(retr), buf_len(retr)) != 0)
		abort();

	/* Lines end in CRLF, no bare CR before LF is lost, ".CRLF" ends it. */
	p = buf_str(retr);
	end = p + buf_len(retr);
	if (buf_len(retr) < 3 || memcmp(end - 3, ".\r\n", 3) != 0)
		abort();
	end -= 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || nl == p || nl[-1] != '\r')
			abort();
		if (*p == '.') {
			if (p[1] != '.')
				abort();	/* a lone dot ends the reply */
			p++;
		}
		unstuffed += nl + 1 - p;
		p = nl + 1;
	}
	if (unstuffed != size)
		abort();

	/* TOP is a prefix of RETR (less its end), then ".CRLF". */
	for (i = 0; i < 3; i++) {
		fuzz_send(&mb, fd, (long)i, top, NULL);
		if (buf_len(top) < 3 || buf_len(top) > buf_len(retr) ||
		    memcmp(buf_str(top), buf_str(retr),
		    buf_len(top) - 3) != 0 ||
		    memcmp(buf_str(top) + buf_len(top) - 3, ".\r\n", 3) != 0)
			abort();
	}

	/* The data as a file name: a valid UIDL whatever it holds. */
	name = xstrndup((const char *)data, len);
	uidl = buf_new(64, 0);
	mailbox_name_uidl(name, uidl);
	if (buf_len(uidl) == 0 || buf_len(uidl) > MAILBOX_UIDL_MAX)
		abort();
	for (i = 0; i < buf_len(uidl); i++)
		if ((unsigned char)buf_str(uidl)[i] < 0x21 ||
		    (unsigned char)buf_str(uidl)[i] > 0x7e)
			abort();
	/* A name readdir could give ('/' is never in one, a dot file is
	 * not a message): its usable name fits the uid list, same UIDL. */
	usable = buf_new(64, 0);
	again = buf_new(64, 0);
	if (name[0] != '.' && strchr(name, '/') == NULL) {
		mailbox_name_usable(name, usable);
		mailbox_name_uidl(buf_str(usable), again);
		if (!uidlist_base_ok(buf_str(usable),
		    strcspn(buf_str(usable), ":")) ||
		    strcmp(buf_str(again), buf_str(uidl)) != 0)
			abort();
	}
	free(name);
	buf_free(&uidl);
	buf_free(&usable);
	buf_free(&again);
	buf_free(&retr);
	buf_free(&top);
	return 0;
}
