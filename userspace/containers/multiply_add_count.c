/* Tutorial 2, exercise: the multiply-add container, extended.
 *
 * Same as multiply_add.c, plus what the exercise asks for:
 *  - a global variable lives in the container's own data region, which the
 *    kernel keeps between runs: `calls` counts the runs;
 *  - the struct has a second output field the container fills in;
 *  - the return value is a status, the data goes in the context: 0 when the
 *    result is valid, -22 (EINVAL) when the operands are refused (2^31 or
 *    more in magnitude, so that a * b cannot overflow). Returning the result
 *    itself could not tell a refusal from a result of -22. */
#include <stdint.h>
#include "femto.h"

struct fma_count_ctx {
    int64_t a;
    int64_t b;
    int64_t c;
    int64_t result; /* written by the container */
    uint64_t calls; /* written by the container: runs so far, this one included */
};

#define LIMIT ((int64_t)1 << 31)

static uint64_t calls;

int64_t multiply_add_count(struct fma_count_ctx *ctx, uint32_t len)
{
    if (len < sizeof(struct fma_count_ctx)) {
        return -22; /* EINVAL */
    }
    calls += 1;
    ctx->calls = calls;
    if (ctx->a >= LIMIT || ctx->a <= -LIMIT || ctx->b >= LIMIT || ctx->b <= -LIMIT) {
        return -22;
    }
    ctx->result = ctx->a * ctx->b + ctx->c;
    return 0;
}
