/* Test container for `femto pack`: several exported functions (in .text and
 * in a named code section), static and global BPF-to-BPF calls, rodata
 * (a string and a table), initialised data with pointers into rodata,
 * bss, and helper calls (fc_print 0x01, fc_kv_store 0x10, fc_kv_fetch 0x11). */
#include <stdint.h>

#define HELPER(nr, ret, name, ...) static ret (*name)(__VA_ARGS__) = (void *)(nr)
HELPER(0x01, int64_t, fc_print, const char *fmt, ...);
HELPER(0x10, int64_t, fc_kv_store, uint64_t scope, uint32_t key, uint64_t value);
HELPER(0x11, int64_t, fc_kv_fetch, uint64_t scope, uint32_t key, uint64_t *value);

static const uint32_t squares[8] = {0, 1, 4, 9, 16, 25, 36, 49};
const char *const words[] = {"zero", "one", "two"};
static uint64_t calls = 100;   /* .data */
static uint32_t histogram[4];  /* .bss */

__attribute__((noinline)) static uint64_t square(uint64_t x)
{
    return squares[x & 7];
}

__attribute__((noinline)) uint64_t bump(uint64_t slot)
{
    histogram[slot & 3] += 1;
    calls += 1;
    return histogram[slot & 3];
}

/* Entry point: context is one u64 n; prints, stores n^2 under key 7,
 * returns square(n) + bump(n) + calls. */
uint64_t main(uint64_t *ctx)
{
    uint64_t n = *ctx;
    fc_print("n=%d word=%s\n", (int)n, words[n % 3]);
    fc_kv_store(0, 7, square(n));
    return square(n) + bump(n) + calls;
}

/* A second entry point in its own section, calling into .text. */
__attribute__((section("hook")))
uint64_t fetch(void *ctx)
{
    uint64_t v = 0;
    if (fc_kv_fetch(0, 7, &v) != 0)
        return -1;
    return v + bump(1);
}
