/* Test container that `femto pack` must refuse: a libbpf-style `maps`
 * section, which femto-containers do not have. */
#include <stdint.h>

struct map_def { uint32_t type, key_size, value_size, max_entries; };
__attribute__((section("maps"), used)) struct map_def counts = {1, 4, 8, 16};

uint64_t entry(void *ctx)
{
    return 0;
}
