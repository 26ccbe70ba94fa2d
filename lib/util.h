/*
 * util - small helpers every program uses: allocation that never returns
 * NULL, string utilities, fd and file helpers, time.
 */
#ifndef CARTERO_UTIL_H
#define CARTERO_UTIL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct stat;

void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
/* Free n strings and the array that holds them. */
void		 strv_free(char **, int);

/* Strings. */
char		*lowercase(char *);
char		*trim(char *);			/* strip leading/trailing white */
int		 strcaseprefix(const char *, const char *);	/* 1 if s starts with p, any case */
const char	*printable(const char *, struct buf *);	/* control chars -> '?' */
char		*mystrtok(char **, const char *);	/* like strsep, skips empties */
int		 match_list(const char *, const char *);	/* case-insensitive member of "a, b c" */

/* Numbers with units: "10240000", "10m", "5d", "300s"; -1 on error. */
long long	 parse_size(const char *);
long long	 parse_time(const char *, int);	/* second arg: default unit 's','m','h','d' */

/* File descriptors. */
int		 set_nonblock(int, int);
int		 set_cloexec(int, int);
/* Catch the signals listed (ended by 0) with a handler; sigaction flags. */
void		 sig_catch(void (*)(int), int, ...);
/* The next code point of UTF-8 text (left bytes) and its length; 0: bad. */
size_t		 utf8_next(const unsigned char *, size_t, uint32_t *);
ssize_t		 write_full(int, const void *, size_t);
ssize_t		 read_full(int, void *, size_t);
/* One read of at most n bytes, retried when a signal interrupts it. */
ssize_t		 read_some(int, void *, size_t);
/* Wait until fd is ready for events (POLLIN, POLLOUT), at most timeout s
 * (<= 0: no limit); EINTR retried: 1 ready, 0 timed out, -1 error. */
int		 fd_wait(int, short, int);
/* One read (write) once fd is ready; -1 with ETIMEDOUT after timeout s. */
ssize_t		 fd_read_timed(int, void *, size_t, int);
ssize_t		 fd_write_timed(int, const void *, size_t, int);
/* One read (at most n bytes, 4096) of a ready non-blocking fd appended to
 * a buf: 1 read, 0 end of file or error, -1 nothing after all (EAGAIN). */
int		 fd_read_append(int, struct buf *, size_t);
/* Close *fdp when it is open (>= 0), and mark it closed (-1). */
void		 fd_close(int *);
int		 fsync_dir(const char *);	/* fsync the directory holding path */
int		 fsync_dirname(const char *);	/* fsync the directory named */
int		 mkdir_p(const char *, mode_t);
/* An existing regular file a user could plant links in: path, open
 * flags, its stat; -1 with errno ENOENT (none), or why. */
int		 file_open_user(const char *, int, struct stat *, struct buf *);
/* A whole text file, at most cap bytes, no NUL; NULL + why (errno kept). */
struct buf	*file_slurp(const char *, size_t, struct buf *);
/* Replace a file atomically: path, text, mode, uid ((uid_t)-1: keep), gid. */
int		 file_replace(const char *, const struct buf *, mode_t, uid_t,
		    gid_t, struct buf *);
/* The same in a directory fd, no fsync: dirfd, dir (for why), name, text,
 * the new file's stat (or NULL). */
int		 file_replace_at(int, const char *, const char *,
		    const struct buf *, struct stat *, struct buf *);

/* Time. */
long long	 now_ms(void);
const char	*rfc2822_date(time_t, char *, size_t);	/* "Mon, 23 Nov 2026 04:29:37 +0000" */

/* Identity. */
const char	*my_hostname(void);

#endif
