/* Test container: never terminates; the fuel budget must stop it. */
#include <stdint.h>

uint64_t spin(volatile uint64_t *ctx)
{
    for (;;)
        *ctx += 1;
}
