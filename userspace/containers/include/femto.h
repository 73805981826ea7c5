/* femto.h — helpers and hook contexts for Femto-Container authors (Tock).
 *
 * Containers are eBPF programs compiled with `clang -target bpf -O2
 * -ffreestanding` (freestanding: clang's own <stdint.h>). They
 * call the kernel's helpers with `call <number>`; each helper below is a
 * function pointer whose value is its number, which clang turns into that
 * call (the usual eBPF helper idiom). Numbers and semantics:
 * doc/helpers.md. Syscall ABI (load, run, hooks): doc/syscalls/femto-containers.md.
 *
 * Entry point: the kernel calls the image's function named `main` (else its
 * first exported function) with r1 = context address, r2 = context length;
 * the return value (r0, 64 bit) is the container's result.
 *
 * Errors are negative errno values: FC_ENOENT, FC_ENOMEM, FC_EFAULT, FC_EBUSY,
 * FC_EINVAL. Pointer arguments are the container's own addresses (stack,
 * context, data, rodata); a bad pointer makes the helper return FC_EFAULT
 * and the run continues.
 */
#ifndef FEMTO_H
#define FEMTO_H

#include <stdint.h>

/* ---- error values -------------------------------------------------------- */
#define FC_ENOENT (-2)  /* no such entry / no value yet */
#define FC_ENOMEM (-12) /* key-value store full */
#define FC_EFAULT (-14) /* bad pointer */
#define FC_EBUSY (-16)  /* rate limited, or the owner's upcall queue is full */
#define FC_EINVAL (-22) /* bad argument (e.g. key-value scope) */

/* ---- helper numbers ---------------------------------------------------------- */
#define FC_HELPER_PRINT 0x01
#define FC_HELPER_MEMCPY 0x02
#define FC_HELPER_MEMSET 0x03
#define FC_HELPER_KV_STORE 0x10
#define FC_HELPER_KV_FETCH 0x11
#define FC_HELPER_NOW_MS 0x20
#define FC_HELPER_NOW_US 0x21
#define FC_HELPER_SENSOR_LAST 0x30
#define FC_HELPER_NOTIFY 0x40
#define FC_HELPER_RANDOM 0x50

/* ---- key-value scopes ---------------------------------------------------------- */
#define FC_KV_CONTAINER 0 /* private to this container; shares the process's 22-entry table with scope 1 */
#define FC_KV_PROCESS 1   /* shared by the containers of one process; 22 entries per process, with scope 0 */
#define FC_KV_GLOBAL 2    /* shared by all containers on the device (16 entries) */

/* ---- sensor kinds ------------------------------------------------------------------ */
#define FC_SENSOR_TEMPERATURE 0 /* centi-degrees Celsius */

/* ---- helpers ---------------------------------------------------------------------------- */

/* Prints to the kernel debug console, as "[fc 0xID] text". fmt is
 * NUL-terminated, at most 128 bytes; conversions %d %i %u %x %c %s %% with
 * optional l/ll (ll = 64-bit), anything else printed as written; %s strings
 * at most 160 bytes (longer, unterminated or a bad pointer: FC_EFAULT); the
 * output is truncated at 160 bytes. At most a board-set number of lines per
 * second (default 10) for all containers: beyond that, returns FC_EBUSY.
 * Returns the number of bytes printed. `femto run` behaves the same.
 * Always pass three value arguments (use 0 for unused ones). */
static int64_t (*const fc_print)(const char *fmt, uint64_t a1, uint64_t a2, uint64_t a3) =
    (void *)FC_HELPER_PRINT;

/* Copies len bytes inside the container's memory. 0 or FC_EFAULT. */
static int64_t (*const fc_memcpy)(void *dst, const void *src, uint64_t len) =
    (void *)FC_HELPER_MEMCPY;

/* Fills len bytes with the low byte of `byte`. 0 or FC_EFAULT. */
static int64_t (*const fc_memset)(void *dst, uint64_t byte, uint64_t len) =
    (void *)FC_HELPER_MEMSET;

/* Stores value under key in a scope (FC_KV_*), replacing an existing value.
 * 0, FC_ENOMEM when the scope is full, FC_EINVAL for a bad scope. */
static int64_t (*const fc_kv_store)(uint64_t scope, uint32_t key, uint64_t value) =
    (void *)FC_HELPER_KV_STORE;

/* Fetches the value under key into *value. 0, FC_ENOENT if absent,
 * FC_EFAULT for a bad pointer, FC_EINVAL for a bad scope. */
static int64_t (*const fc_kv_fetch)(uint64_t scope, uint32_t key, uint64_t *value) =
    (void *)FC_HELPER_KV_FETCH;

/* Milliseconds / microseconds since boot. */
static uint64_t (*const fc_now_ms)(void) = (void *)FC_HELPER_NOW_MS;
static uint64_t (*const fc_now_us)(void) = (void *)FC_HELPER_NOW_US;

/* The last value of a sensor (FC_SENSOR_*), or FC_ENOENT if none yet. */
static int64_t (*const fc_sensor_last)(uint64_t kind) = (void *)FC_HELPER_SENSOR_LAST;

/* Sends value to the owning process (its subscribe 1 upcall: id, low, high).
 * 0, or FC_EBUSY if the process's upcall queue is full. */
static int64_t (*const fc_notify)(uint64_t value) = (void *)FC_HELPER_NOTIFY;

/* A pseudo-random 32-bit number (not cryptographic). */
static uint64_t (*const fc_random)(void) = (void *)FC_HELPER_RANDOM;

/* ---- hook contexts (little endian) ------------------------------------------------------ */

#define FC_HOOK_TIMER 1
#define FC_HOOK_TEMPERATURE 2
#define FC_HOOK_BUTTON 3

/* Timer hook (read only): attached with a period in ms. */
struct fc_timer_ctx {
    uint64_t now_ms;    /* time of this run */
    uint32_t period_ms; /* the attachment's period */
    uint32_t count;     /* runs of this attachment before this one */
};

/* Temperature hook (read-write, stop on negative): change centi_celsius to
 * transform the reading; return a negative value to reject it. */
struct fc_temperature_ctx {
    int32_t centi_celsius;
    uint32_t flags; /* 0 */
    uint64_t now_ms;
};

/* Button hook (read only; only on boards that wire it). */
struct fc_button_ctx {
    uint32_t button;
    uint32_t pressed; /* 1 pressed, 0 released */
    uint64_t now_ms;
};

#endif /* FEMTO_H */
