/* Test container: the tutorials' "increment". The context is one u64;
 * the container adds one to it in place and returns the new value. */
#include <stdint.h>

uint64_t increment(uint64_t *ctx)
{
    *ctx += 1;
    return *ctx;
}
