# Writes r10, the read-only frame pointer: the verifier must reject pc 1.
    mov %r0, 0
    mov %r10, 1
    exit
