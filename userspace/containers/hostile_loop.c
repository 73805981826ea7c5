/* A hostile container for the `hostile` test app: never returns. The run
 * must end when its fuel is used up, and the kernel must go on. */
#include <stdint.h>
#include "femto.h"

int64_t hostile_loop(void *ctx, uint32_t len)
{
    volatile uint64_t spins = 0;

    (void)ctx;
    (void)len;
    for (;;) {
        spins++;
    }
    return 0;
}
