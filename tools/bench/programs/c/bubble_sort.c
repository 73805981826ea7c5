/*
 * Bubble sort of 32-bit unsigned integers in place, as an eBPF program.
 * The context is { u32 n; u32 a[n]; } (r1 = its address); returns the number
 * of swaps. Compiled with `clang -target bpf -O2`.
 */
#include <stdint.h>

struct sort_ctx {
    uint32_t n;
    uint32_t a[];
};

uint64_t bubble_sort(struct sort_ctx *ctx)
{
    uint32_t n = ctx->n;
    uint32_t *a = ctx->a;
    uint64_t swaps = 0;
    for (uint32_t i = 0; i + 1 < n; i++) {
        for (uint32_t j = 0; j + 1 < n - i; j++) {
            uint32_t x = a[j];
            uint32_t y = a[j + 1];
            if (x > y) {
                a[j] = y;
                a[j + 1] = x;
                swaps++;
            }
        }
    }
    return swaps;
}
