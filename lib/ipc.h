/*
 * ipc - Unix-domain sockets between cartero's processes and descriptor
 * passing.  What travels on them is attribute records (attr.h, included
 * here for the many callers that use both).
 */
#ifndef CARTERO_IPC_H
#define CARTERO_IPC_H

#include <sys/types.h>

#include "attr.h"

struct buf;

int	ipc_listen(const char *, int, mode_t);	/* path, backlog, mode; -1 %m */
int	ipc_connect(const char *, int);		/* path, timeout s; -1 %m */
/* Connect (path, timeout s), write text, hang up; -1 with why. */
int	ipc_tell(const char *, const char *, int, struct buf *);
int	ipc_accept(int);		/* listener: a waiting client, or -1 */
int	ipc_send_fd(int, int, const void *, size_t);	/* sock, fd to pass, data */
int	ipc_recv_fd(int, int *, void *, size_t);	/* returns bytes, *fd or -1 */
/* Up to IPC_FDS_MAX descriptors at once: sock, fds, nfds, data, len. */
#define IPC_FDS_MAX	4
int	ipc_send_fds(int, const int *, int, const void *, size_t);
/* sock, fds (room for IPC_FDS_MAX, -1 filled), data, len: bytes; -1 */
int	ipc_recv_fds(int, int *, void *, size_t);

#endif
