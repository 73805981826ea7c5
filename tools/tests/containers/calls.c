/* Test container for `femto pack`'s call relocations: static functions in
 * another code section are called through the section symbol (R_BPF_64_32
 * against `lib`, the target's offset encoded in the call's immediate), a
 * static function in .text is called pc-relative without a relocation, and a
 * global one through its own symbol. Returns 7x + 5x + 11x + (x + 1). */
#include <stdint.h>

__attribute__((noinline, section("lib"))) static uint64_t times7(uint64_t x) { return x * 7; }
__attribute__((noinline, section("lib"))) static uint64_t times5(uint64_t x) { return x * 5; }
__attribute__((noinline)) static uint64_t times11(uint64_t x) { return x * 11; }
__attribute__((noinline)) uint64_t plus1(uint64_t x) { return x + 1; }

uint64_t entry(uint64_t *ctx)
{
    uint64_t x = *ctx;
    return times7(x) + times5(x) + times11(x) + plus1(x);
}
