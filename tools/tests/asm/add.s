# Loads the u64 context, adds 2, returns it.
    ldxdw %r0, [%r1+0]
    add %r0, 2
    exit
