/*
 * msg - logging in Postfix's habits: syslog facility mail, an optional log
 * file (maillog_file) for instances without syslog, and stderr when running
 * in the foreground.  Three severities above info: warn (carry on), fatal
 * (the environment is broken: exit, master restarts us), panic (our bug:
 * abort for a core).  Formats accept %m (glibc).
 */
#ifndef CARTERO_MSG_H
#define CARTERO_MSG_H

#define MSG_STDERR	0x1
#define MSG_SYSLOG	0x2

extern int msg_verbose;

void	msg_init(const char *, int);	/* program name ("smtpd"), MSG_* flags */
void	msg_logfile(const char *);	/* also append to this file ("" or NULL: none) */
void	msg_set_flags(int);
const char *msg_progname(void);
void	msg_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	msg_panic(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
