# A loop counting r0 up to the u32 in the context.
    ldxw %r2, [%r1+0]
    mov %r0, 0
again:
    jge %r0, %r2, done
    add %r0, 1
    ja again
done:
    exit
