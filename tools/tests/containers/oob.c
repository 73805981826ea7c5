/* Test container: reads past the end of its 8-byte context; the VM must
 * fault at that load (with its pc). */
#include <stdint.h>

uint64_t peek(uint64_t *ctx)
{
    return ctx[1];
}
