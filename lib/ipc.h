/*
 * ipc - Unix-domain sockets between cartero's processes, descriptor passing,
 * and a small attribute protocol: a request or reply is lines "name=value"
 * ended by an empty line; values are percent-encoded as in queue files.
 */
#ifndef CARTERO_IPC_H
#define CARTERO_IPC_H

#include <sys/types.h>

struct buf;
struct lineio;

int	ipc_listen(const char *, int, mode_t);	/* path, backlog, mode; -1 %m */
int	ipc_connect(const char *, int);		/* path, timeout s; -1 %m */
int	ipc_accept(int);		/* listener: a waiting client, or -1 */
int	ipc_send_fd(int, int, const void *, size_t);	/* sock, fd to pass, data */
int	ipc_recv_fd(int, int *, void *, size_t);	/* returns bytes, *fd or -1 */
/* Up to IPC_FDS_MAX descriptors at once: sock, fds, nfds, data, len. */
#define IPC_FDS_MAX	4
int	ipc_send_fds(int, const int *, int, const void *, size_t);
/* sock, fds (room for IPC_FDS_MAX, -1 filled), data, len: bytes; -1 */
int	ipc_recv_fds(int, int *, void *, size_t);

struct attr {
	char	**name;
	char	**value;
	int	 count;
	int	 size;
	int	 dups;		/* lines read that repeated a name */
};

void	attr_init(struct attr *);
void	attr_free(struct attr *);
void	attr_clear(struct attr *);
void	attr_set(struct attr *, const char *, const char *);
void	attr_setf(struct attr *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
const char *attr_get(const struct attr *, const char *);
long long attr_get_num(const struct attr *, const char *, long long);
void	attr_format(const struct attr *, struct buf *);	/* append lines + empty line */
int	attr_write(struct lineio *, const struct attr *);	/* write and flush */
int	attr_read(struct lineio *, struct attr *);	/* LINE_* result */
/* Parse a whole request held in memory (for non-blocking readers). */
int	attr_parse(const char *, size_t, struct attr *);	/* 0 ok, -1 bad */
/* Bytes of the first whole list in a buffer (empty line included), or 0. */
size_t	attr_end(const char *, size_t);

#endif
