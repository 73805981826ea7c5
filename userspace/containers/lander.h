/* Lunar lander: what the two containers share.
 *
 * The physics container and the autopilot container never see each other's
 * memory: they communicate only through the key-value store, in the scope
 * shared by the containers of one process (FC_KV_PROCESS). Units: cm, cm/s,
 * cm/s², one tick = one second; velocity is positive upwards. */
#ifndef LANDER_H
#define LANDER_H

#include <stdint.h>

/* Keys in the process-scoped key-value store. */
#define KEY_ALTITUDE 1 /* i64, cm */
#define KEY_VELOCITY 2 /* i64, cm/s (negative: falling) */
#define KEY_FUEL     3 /* u64, units; burning at thrust T uses T units per tick */
#define KEY_THRUST   4 /* u64, percent 0..100, written by the autopilot */
#define KEY_TICK     5 /* u64, ticks since the start */
#define KEY_STATUS   6 /* u64, LANDER_FLYING / LANDER_LANDED / LANDER_CRASHED */

#define LANDER_FLYING  0
#define LANDER_LANDED  1
#define LANDER_CRASHED 2

#define START_ALTITUDE 100000 /* 1000 m */
#define START_FUEL     3000
#define MOON_GRAVITY   162    /* cm/s² */
#define ENGINE_ACCEL   4      /* cm/s² per percent of thrust */
#define SAFE_SPEED     200    /* touching down faster than 2 m/s is a crash */

/* The physics container's context: the telemetry it reports to the app. */
struct lander_telemetry {
    int64_t altitude;
    int64_t velocity;
    uint64_t fuel;
    uint64_t thrust;
    uint64_t tick;
    uint64_t status;
};

#endif
