# Calls simulated helpers: fc_random (0x50) twice through a local
# function, fc_notify (0x40) with the sum, and returns the count of
# notifications that succeeded.
    call local rand2
    mov %r1, %r0
    call 0x40
    mov %r6, %r0
    lddw %r1, 0x1122334455667788
    rsh %r1, 56
    add %r6, %r1
    mov %r0, %r6
    exit
rand2:
    call 0x50
    mov %r6, %r0
    call 0x50
    add %r0, %r6
    exit
