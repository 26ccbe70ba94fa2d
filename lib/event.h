/*
 * event - an epoll event loop with millisecond timers, for the programs
 * that serve many things at once (master, qmgr).
 */
#ifndef CARTERO_EVENT_H
#define CARTERO_EVENT_H

#define EVENT_READ	0x1
#define EVENT_WRITE	0x2
#define EVENT_ERROR	0x4

typedef void (*event_fn)(int, int, void *);	/* fd, EVENT_* that fired, context */
typedef void (*timer_fn)(void *);

void		 event_init(void);
int		 event_add(int, int, event_fn, void *);	/* -1 on error */
int		 event_mod(int, int);			/* change the interest set */
void		 event_del(int);
void		 event_timer(long, timer_fn, void *);	/* ms from now; replaces same fn+ctx */
void		 event_timer_cancel(timer_fn, void *);
void		 event_loop(int);	/* wait once, at most ms (-1: until something) */
long long	 event_now(void);	/* ms, monotonic, cached per loop turn */

#endif
