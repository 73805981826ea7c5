    mov %r0, 1
    frobnicate %r1
    exit
