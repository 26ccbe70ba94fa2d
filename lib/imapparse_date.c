/*
 * imapparse_date - the dates of IMAP (RFC 3501 section 9): SEARCH's date
 * ("1-Feb-1994"), APPEND's date-time ("17-Jul-1996 02:44:25 -0700", read
 * and, for INTERNALDATE, written), and the lenient reading of a Date:
 * header (RFC 2822, and what mailers write instead) that SENTBEFORE,
 * SENTON and SENTSINCE compare.
 *
 * Plain string functions, apart from the command reader (imapparse.c)
 * so that the login side, which needs no date, links only the reader.
 * Distrusted: every octet of a date, which comes from a client or from a
 * message.  Each field is read with a bounded count of digits, so no
 * number can overflow; a date that cannot be read is -1.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "imapparse.h"

static const char *const imapparse_date_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * imapparse_date_month - the month of a three-letter name (any case),
 * 1-12, or 0
 */
static int
imapparse_date_month(const char *p)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(p, imapparse_date_months[i], 3) == 0)
			return i + 1;
	return 0;
}

/*
 * imapparse_date_scan - "1-Feb-1994" at *pp: the year, month (1-12) and day
 * (not yet checked against 1-31), *pp moved past it; -1 if not a date
 */
static int
imapparse_date_scan(const char **pp, int *y, int *m, int *d)
{
	const char *p = *pp;
	int i;

	for (i = 0, *d = 0; i < 2 && isdigit((unsigned char)*p); i++, p++)
		*d = *d * 10 + (*p - '0');
	if (i == 0 || *p++ != '-' || (*m = imapparse_date_month(p)) == 0)
		return -1;
	p += 3;
	if (*p++ != '-')
		return -1;
	for (i = 0, *y = 0; i < 4 && isdigit((unsigned char)*p); i++, p++)
		*y = *y * 10 + (*p - '0');
	if (i != 4)
		return -1;
	*pp = p;
	return 0;
}

/* imapparse_date_parse - "1-Feb-1994" (SEARCH dates); -1 if not valid */
int
imapparse_date_parse(const char *p, int *y, int *m, int *d)
{
	int year, month, day;

	if (p == NULL || imapparse_date_scan(&p, &year, &month, &day) < 0 ||
	    *p != '\0' || day < 1 || day > 31)
		return -1;
	*y = year;
	*m = month;
	*d = day;
	return 0;
}

/*
 * imapparse_date_time - "17-Jul-1996 02:44:25 -0700" (APPEND; the day
 * may start with a blank); -1 if not valid
 */
int
imapparse_date_time(const char *p, time_t *out)
{
	struct tm tm;
	int day, month, year, h, mi, sec, zone, sign, i;

	memset(&tm, 0, sizeof(tm));
	if (*p == ' ')
		p++;
	if (imapparse_date_scan(&p, &year, &month, &day) < 0 || *p++ != ' ')
		return -1;
	tm.tm_mon = month - 1;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2] != ':' || !isdigit((unsigned char)p[3]) ||
	    !isdigit((unsigned char)p[4]) || p[5] != ':' ||
	    !isdigit((unsigned char)p[6]) || !isdigit((unsigned char)p[7]) ||
	    p[8] != ' ' || (p[9] != '+' && p[9] != '-'))
		return -1;
	h = (p[0] - '0') * 10 + p[1] - '0';
	mi = (p[3] - '0') * 10 + p[4] - '0';
	sec = (p[6] - '0') * 10 + p[7] - '0';
	sign = p[9] == '-' ? -1 : 1;
	p += 10;
	for (i = 0, zone = 0; i < 4 && isdigit((unsigned char)*p); i++, p++)
		zone = zone * 10 + (*p - '0');
	if (i != 4 || *p != '\0' || day < 1 || day > 31 || h > 23 ||
	    mi > 59 || sec > 60 || year < 1970)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
	return 0;
}

/* imapparse_date_format - "\"17-Jul-1996 02:44:25 -0700\"" (local time) */
void
imapparse_date_format(struct buf *out, time_t t)
{
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	buf_appendf(out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld\"",
	    tm.tm_mday, imapparse_date_months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/*
 * imapparse_date_digits - up to most digits at *pp, passed: how many;
 * their value
 */
static int
imapparse_date_digits(const char **pp, int most, int *value)
{
	int i;

	*value = 0;
	for (i = 0; i < most && isdigit((unsigned char)**pp); i++, (*pp)++)
		*value = *value * 10 + (**pp - '0');
	return i;
}

/*
 * imapparse_date_header - the date of a Date: header ("Tue, 1 Jul 2003
 * 10:52:37 +0200", with lenience for two-digit years and missing day
 * names), for SENTBEFORE/SENTON/SENTSINCE; -1 if none can be read
 */
int
imapparse_date_header(const char *p, int *y, int *m, int *d)
{
	int day, year, i;

	p += strspn(p, " \t");
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p += strspn(p, ", \t");
	}
	if (imapparse_date_digits(&p, 2, &day) == 0)
		return -1;
	p += strspn(p, " \t-");
	if ((*m = imapparse_date_month(p)) == 0)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	p += strspn(p, " \t-");
	i = imapparse_date_digits(&p, 4, &year);
	if (i == 2)
		year += year < 50 ? 2000 : 1900;
	else if (i == 3)
		year += 1900;
	else if (i != 4)
		return -1;
	if (day < 1 || day > 31)
		return -1;
	*y = year;
	*d = day;
	return 0;
}
