/*
 * watch - the inotify watch of a Maildir folder, as IDLE (imap) and the
 * sleeping sessions (imap-hibernate) read it.
 */
#ifndef CARTERO_WATCH_H
#define CARTERO_WATCH_H

/*
 * Read every pending event of the non-blocking inotify descriptor fd: 1 if
 * any of them names what a client can see (anything but the folder's own
 * cartero-* files: the uid list, its lock, the cache, which change
 * whenever a session records what it saw), else 0.  *gone (if not NULL)
 * is set when the descriptor is no good any more (end of file, or an
 * error other than "nothing more now").
 */
int	watch_drain(int, int *);

#endif
