/* Tutorial 3: a container on the temperature hook.
 *
 * Attached to the temperature hook (id 2), it runs on every reading of the
 * board's temperature sensor, before the reading reaches the userspace
 * temperature driver. It keeps the last WINDOW readings in its own data,
 * replaces the reading with their moving average (the hook's context is
 * writable), stores the average in the process's key-value store (key
 * KEY_AVERAGE) and notifies the app when the average crosses THRESHOLD
 * (value 1 = went above, 0 = went back below). Returns the average.
 *
 * Hook context: struct fc_temperature_ctx (femto.h). */
#include <stdint.h>
#include "femto.h"

#ifndef WINDOW
#define WINDOW 4
#endif
#ifndef THRESHOLD
#define THRESHOLD 2500 /* centi-degrees Celsius: 25.00 °C */
#endif
#define KEY_AVERAGE 1

static int32_t samples[WINDOW];
static uint32_t count; /* readings seen, saturating at WINDOW */
static uint32_t next;  /* where the next reading goes */
static uint32_t above; /* 1 while the average is above THRESHOLD */

int64_t temperature_average(struct fc_temperature_ctx *ctx, uint32_t len)
{
    int64_t sum = 0;
    int32_t average;
    uint32_t i;

    if (len < sizeof(struct fc_temperature_ctx)) {
        return 0; /* not a temperature context: leave it alone */
    }
    samples[next] = ctx->centi_celsius;
    next = (next + 1) % WINDOW;
    if (count < WINDOW) {
        count += 1;
    }
    for (i = 0; i < WINDOW; i++) {
        if (i < count) {
            sum += samples[i];
        }
    }
    /* Unsigned division only (eBPF v3): average the offset from -100 °C. */
    average = (int32_t)((uint64_t)(sum + 10000 * (int64_t)count) / count) - 10000;
    ctx->centi_celsius = average;
    fc_kv_store(FC_KV_PROCESS, KEY_AVERAGE, (uint64_t)(int64_t)average);
    if (!above && average > THRESHOLD) {
        above = 1;
        fc_notify(1);
    } else if (above && average <= THRESHOLD) {
        above = 0;
        fc_notify(0);
    }
    return average;
}
