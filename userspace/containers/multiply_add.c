/* Tutorial 2: a struct context and a return value.
 *
 * The app passes a struct (little endian, as laid out below); the container
 * computes a * b + c, stores it in the struct and also returns it. */
#include <stdint.h>
#include "femto.h"

struct fma_ctx {
    int64_t a;
    int64_t b;
    int64_t c;
    int64_t result; /* written by the container */
};

int64_t multiply_add(struct fma_ctx *ctx, uint32_t len)
{
    if (len < sizeof(struct fma_ctx)) {
        return -22; /* EINVAL */
    }
    ctx->result = ctx->a * ctx->b + ctx->c;
    return ctx->result;
}
