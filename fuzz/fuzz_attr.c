/* fuzz_attr - libFuzzer target: the IPC attribute lists, parsed and re-formed */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct attr a, b;
	struct buf *wire = buf_new(64, 0);
	int i;

	msg_set_flags(0);
	attr_init(&a);
	attr_init(&b);
	if (attr_parse((const char *)data, len, &a) == 0) {
		/* What we write, we must read back the same. */
		attr_format(&a, wire);
		if (attr_parse(buf_str(wire), buf_len(wire) - 1, &b) != 0 ||
		    a.count != b.count)
			abort();
		for (i = 0; i < a.count; i++)
			if (strcmp(a.value[i], attr_get(&b, a.name[i])) != 0)
				abort();
	}
	attr_free(&a);
	attr_free(&b);
	buf_free(&wire);
	return 0;
}
