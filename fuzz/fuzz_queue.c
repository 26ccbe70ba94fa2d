/* fuzz_queue - libFuzzer target: queue file envelopes (queue_read) */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "queue.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int fd = -1;
	struct queue_msg m;
	struct buf *why = buf_new(16, 0);
	int i;

	msg_set_flags(0);
	if (fd < 0 && (fd = memfd_create("queue", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, len, 0) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (queue_read(fd, &m, why) == 0) {
		if (m.data_offset < 0 || (size_t)m.data_offset > len)
			abort();
		for (i = 0; i < m.nrcpt; i++)
			if (m.rcpt[i].offset < 0 || (size_t)m.rcpt[i].offset >= len)
				abort();
		queue_msg_free(&m);
	}
	buf_free(&why);
	return 0;
}
