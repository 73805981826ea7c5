/* Tutorial 4 (secure update): version 2 of the "blinky" container.
 *
 * The three versions differ only in what they return (2), so that the
 * updater app shows which version is installed. All are packed with the
 * container name "blinky" (femto pack --name blinky): a signed update may
 * only replace a container of the same name. */
#include <stdint.h>
#include "femto.h"

int64_t blinky(void *ctx, uint32_t len)
{
    (void)ctx;
    (void)len;
    return 2;
}
