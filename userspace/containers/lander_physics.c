/* Lunar lander, container 1 of 2: the physics.
 *
 * Every run is one tick (1 s). Reads the lander's state and the autopilot's
 * thrust from the process-scoped key-value store, integrates the motion,
 * stores the new state, and reports it in its context (struct
 * lander_telemetry). Returns the status (0 flying, 1 landed, 2 crashed), or
 * -12 if the key-value store is full. The first run starts a new descent.
 *
 * The state lives in the store under keys KEY_ALTITUDE.. KEY_STATUS, which
 * are consecutive and in the order of struct lander_telemetry's fields, so it
 * is read and written with one loop (kept as a loop: a smaller image). */
#include <stdint.h>
#include "femto.h"
#include "lander.h"

#define FIELDS 6 /* altitude, velocity, fuel, thrust, tick, status */

int64_t lander_physics(struct lander_telemetry *out, uint32_t len)
{
    int64_t s[FIELDS];
    uint64_t value;
    uint32_t i;

    if (len < sizeof(struct lander_telemetry)) {
        return -22; /* EINVAL */
    }
    if (fc_kv_fetch(FC_KV_PROCESS, KEY_ALTITUDE, &value) != 0) {
        /* First tick: a new descent. */
        s[0] = START_ALTITUDE;
        s[1] = 0;
        s[2] = START_FUEL;
        s[3] = 0;
        s[4] = 0;
        s[5] = LANDER_FLYING;
    } else {
#pragma clang loop unroll(disable)
        for (i = 0; i < FIELDS; i++) {
            s[i] = fc_kv_fetch(FC_KV_PROCESS, KEY_ALTITUDE + i, &value) == 0 ? (int64_t)value : 0;
        }
    }
    int64_t *altitude = &s[0], *velocity = &s[1], *fuel = &s[2], *thrust = &s[3];

    if (s[5] == LANDER_FLYING) {
        if (*thrust < 0) {
            *thrust = 0;
        }
        if (*thrust > 100) {
            *thrust = 100;
        }
        if (*thrust > *fuel) {
            *thrust = *fuel;
        }
        *fuel -= *thrust;
        *velocity += *thrust * ENGINE_ACCEL - MOON_GRAVITY;
        *altitude += *velocity;
        s[4] += 1;
        if (*altitude <= 0) {
            *altitude = 0;
            s[5] = *velocity >= -SAFE_SPEED ? LANDER_LANDED : LANDER_CRASHED;
        }
    } else {
        *thrust = 0;
    }

#pragma clang loop unroll(disable)
    for (i = 0; i < FIELDS; i++) {
        /* The thrust is the autopilot's key: leave it to the autopilot. */
        if (KEY_ALTITUDE + i != KEY_THRUST &&
            fc_kv_store(FC_KV_PROCESS, KEY_ALTITUDE + i, (uint64_t)s[i]) != 0) {
            return -12; /* ENOMEM: the store is full */
        }
        ((int64_t *)out)[i] = s[i];
    }
    return s[5];
}
