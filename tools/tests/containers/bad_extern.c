/* Test container that `femto pack` must refuse: it calls a function that is
 * not defined in the object. */
#include <stdint.h>

extern uint64_t not_here(uint64_t);

uint64_t entry(uint64_t *ctx)
{
    return not_here(*ctx);
}
