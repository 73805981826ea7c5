/* Lunar lander, container 1 of 2: the physics.
 *
 * Every run is one tick (1 s). Reads the lander's state and the autopilot's
 * thrust from the process-scoped key-value store, integrates the motion,
 * stores the new state, and reports it in its context (struct
 * lander_telemetry). Returns the status (0 flying, 1 landed, 2 crashed), or a
 * negative error if the key-value store fails. The first run starts a new
 * descent. */
#include <stdint.h>
#include "femto.h"
#include "lander.h"

static int64_t fetch_or(uint32_t key, int64_t fallback)
{
    uint64_t value;
    if (fc_kv_fetch(FC_KV_PROCESS, key, &value) != 0) {
        return fallback;
    }
    return (int64_t)value;
}

int64_t lander_physics(struct lander_telemetry *out, uint32_t len)
{
    uint64_t value;
    int64_t altitude, velocity, fuel, thrust, tick, status;
    long err = 0;

    if (len < sizeof(struct lander_telemetry)) {
        return -22; /* EINVAL */
    }
    if (fc_kv_fetch(FC_KV_PROCESS, KEY_ALTITUDE, &value) != 0) {
        /* First tick: a new descent. */
        altitude = START_ALTITUDE;
        velocity = 0;
        fuel = START_FUEL;
        thrust = 0;
        tick = 0;
        status = LANDER_FLYING;
    } else {
        altitude = (int64_t)value;
        velocity = fetch_or(KEY_VELOCITY, 0);
        fuel = fetch_or(KEY_FUEL, 0);
        thrust = fetch_or(KEY_THRUST, 0);
        tick = fetch_or(KEY_TICK, 0);
        status = fetch_or(KEY_STATUS, LANDER_FLYING);
    }

    if (status == LANDER_FLYING) {
        if (thrust < 0) {
            thrust = 0;
        }
        if (thrust > 100) {
            thrust = 100;
        }
        if (thrust > fuel) {
            thrust = fuel;
        }
        fuel -= thrust;
        velocity += thrust * ENGINE_ACCEL - MOON_GRAVITY;
        altitude += velocity;
        tick += 1;
        if (altitude <= 0) {
            altitude = 0;
            status = velocity >= -SAFE_SPEED ? LANDER_LANDED : LANDER_CRASHED;
        }
    } else {
        thrust = 0;
    }

    err |= fc_kv_store(FC_KV_PROCESS, KEY_ALTITUDE, (uint64_t)altitude);
    err |= fc_kv_store(FC_KV_PROCESS, KEY_VELOCITY, (uint64_t)velocity);
    err |= fc_kv_store(FC_KV_PROCESS, KEY_FUEL, (uint64_t)fuel);
    err |= fc_kv_store(FC_KV_PROCESS, KEY_TICK, (uint64_t)tick);
    err |= fc_kv_store(FC_KV_PROCESS, KEY_STATUS, (uint64_t)status);
    if (err != 0) {
        return -12; /* ENOMEM: the store is full */
    }

    out->altitude = altitude;
    out->velocity = velocity;
    out->fuel = (uint64_t)fuel;
    out->thrust = (uint64_t)thrust;
    out->tick = (uint64_t)tick;
    out->status = (uint64_t)status;
    return status;
}
