/* A flag in the device-wide key-value store (scope FC_KV_GLOBAL), used by the
 * `owner` and `intruder` test apps to tell each other when a phase is over:
 * apps cannot reach the store themselves, but their containers can.
 *
 * Context: struct flag_ctx. op 1: store `value` under FLAG_KEY; op 0: fetch
 * it into `value` (0 when not set yet). Returns the helper's status. */
#include <stdint.h>
#include "femto.h"

#define FLAG_KEY 0x1D0

struct flag_ctx {
    uint64_t op;
    uint64_t value;
};

int64_t flag(struct flag_ctx *ctx, uint32_t len)
{
    uint64_t value = 0;
    int64_t status;

    if (len < sizeof(struct flag_ctx)) {
        return -22; /* EINVAL */
    }
    if (ctx->op == 1) {
        return fc_kv_store(FC_KV_GLOBAL, FLAG_KEY, ctx->value);
    }
    status = fc_kv_fetch(FC_KV_GLOBAL, FLAG_KEY, &value);
    ctx->value = status == 0 ? value : 0;
    return status;
}
