/*
 * Fletcher-32 over `words` little-endian 16-bit words, as an eBPF program.
 *
 * Mirrors the benchmark of the original Femto-Container work (RIOT's
 * fletcher32, adapted there to rBPF): the context holds a pointer to the data
 * (a VM virtual address, carried in a 64-bit field) and the number of words;
 * words are read with an unaligned 16-bit load (a packed struct, as RIOT's
 * unaligned_get_u16 does), the sums are reduced every 359 words and once more
 * at the end. Written here from the algorithm's description; compiled with
 * `clang -target bpf -O2`.
 */
#include <stdint.h>

struct fletcher32_ctx {
    uint64_t data;  /* virtual address of the first word */
    uint32_t words; /* number of 16-bit words */
};

struct unaligned_u16 {
    uint16_t val;
} __attribute__((packed));

static inline uint16_t load_u16(const void *p)
{
    return ((const struct unaligned_u16 *)p)->val;
}

uint32_t fletcher32(const struct fletcher32_ctx *ctx)
{
    const uint16_t *data = (const uint16_t *)(uintptr_t)ctx->data;
    uint32_t words = ctx->words;
    uint32_t sum1 = 0xffff;
    uint32_t sum2 = 0xffff;

    while (words) {
        uint32_t block = words > 359 ? 359 : words;
        words -= block;
        do {
            sum1 += load_u16(data++);
            sum2 += sum1;
        } while (--block);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}
