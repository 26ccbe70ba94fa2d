/* fuzz_conf - libFuzzer target: main.cf parsing, expansion and type checks */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char dir[64], path[96];
	struct buf *why = buf_new(64, 0);
	FILE *fp;

	msg_set_flags(0);
	if (*dir == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-conf.%d", (int)getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/main.cf", dir);
	}
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, len, fp);
	fclose(fp);
	(void)conf_load(dir, NULL, why);
	buf_free(&why);
	return 0;
}
