/* A hostile container for the `hostile` test app: calls helper 0x7F, which
 * the kernel does not provide. The run must fault with "unknown helper". */
#include <stdint.h>
#include "femto.h"

static int64_t (*const fc_no_such_helper)(uint64_t arg) = (void *)0x7F;

int64_t hostile_helper(void *ctx, uint32_t len)
{
    (void)ctx;
    return fc_no_such_helper(len);
}
