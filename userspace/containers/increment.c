/* Tutorial 1: the "increment" container.
 *
 * Context: one little-endian u64. The container adds 1 to it (the kernel
 * copies the changed context back to the app) and returns the new value. */
#include <stdint.h>
#include "femto.h"

int64_t increment(uint64_t *ctx, uint32_t len)
{
    if (len < sizeof(uint64_t)) {
        return -22; /* EINVAL: context too small */
    }
    *ctx += 1;
    return (int64_t)*ctx;
}
