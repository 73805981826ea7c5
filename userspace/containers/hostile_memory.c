/* A hostile container for the `hostile` test app: writes to an address
 * outside every region the VM maps for it. The VM must stop the run with a
 * memory fault; nothing outside the container may change. */
#include <stdint.h>
#include "femto.h"

int64_t hostile_memory(void *ctx, uint32_t len)
{
    volatile uint64_t *target = (volatile uint64_t *)(uintptr_t)0x1000;

    (void)ctx;
    (void)len;
    *target = 0xdeadbeef;
    return 0;
}
