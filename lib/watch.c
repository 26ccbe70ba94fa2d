/*
 * watch - reading a Maildir folder's inotify watch (see watch.h).  The
 * events come from the kernel; only their lengths are trusted to walk the
 * buffer, as inotify(7) lays it out.
 */
#include <sys/inotify.h>
#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "watch.h"

/* watch_drain - read every pending event; 1 if any of them matters */
int
watch_drain(int fd, int *gone)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *e;
	ssize_t n;
	size_t off;
	int any = 0;

	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (off = 0; off + sizeof(*e) <= (size_t)n;
		    off += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)(ev + off);
			if (e->len == 0 || strncmp(e->name, "cartero-", 8) != 0)
				any = 1;
		}
	}
	if (gone != NULL)
		*gone = n == 0 || (n < 0 && errno != EAGAIN &&
		    errno != EINTR);
	return any;
}
