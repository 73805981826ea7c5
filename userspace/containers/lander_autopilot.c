/* Lunar lander, container 2 of 2: the autopilot.
 *
 * Reads the altitude and velocity the physics container stored in the
 * process-scoped key-value store and chooses the engine thrust for the next
 * tick: it aims for a descent speed proportional to the altitude (plus
 * 1.2 m/s), and asks for the thrust that reaches that speed in one tick.
 * Stores the thrust (percent) and returns it. Before the first physics tick
 * there is no state yet: thrust 0. */
#include <stdint.h>
#include "femto.h"
#include "lander.h"

int64_t lander_autopilot(void *ctx, uint32_t len)
{
    uint64_t value;
    int64_t altitude, velocity, target, needed, thrust;

    (void)ctx;
    (void)len;
    if (fc_kv_fetch(FC_KV_PROCESS, KEY_ALTITUDE, &value) != 0) {
        thrust = 0;
    } else {
        altitude = (int64_t)value;
        if (altitude < 0) {
            altitude = 0;
        }
        velocity = fc_kv_fetch(FC_KV_PROCESS, KEY_VELOCITY, &value) == 0 ? (int64_t)value : 0;
        /* eBPF v3 has unsigned division only: divide non-negative values. */
        target = -(int64_t)((uint64_t)altitude / 10) - 120;
        needed = target - velocity + MOON_GRAVITY;
        thrust = needed <= 0 ? 0 : (int64_t)((uint64_t)needed / ENGINE_ACCEL);
        if (thrust > 100) {
            thrust = 100;
        }
    }
    if (fc_kv_store(FC_KV_PROCESS, KEY_THRUST, (uint64_t)thrust) != 0) {
        return -12;
    }
    return thrust;
}
