/* A container for the timer hook (id 1), used by the `timer` test app.
 *
 * The hook runs it every period with a read-only struct fc_timer_ctx; it
 * returns the attachment's run count (0, 1, 2, ...), so the app can check
 * that it sees every periodic run, in order. */
#include <stdint.h>
#include "femto.h"

int64_t timer_count(struct fc_timer_ctx *ctx, uint32_t len)
{
    if (len < sizeof(struct fc_timer_ctx)) {
        return -22; /* EINVAL */
    }
    return (int64_t)ctx->count;
}
