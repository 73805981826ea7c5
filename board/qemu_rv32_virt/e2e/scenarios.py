"""The end-to-end scenarios run by run.py.

Each scenario names the apps (crates in userspace/apps/) loaded together,
the QEMU exit status expected, the output lines that must appear in order
(regular expressions, matched against the console output with \\r removed),
lines that must never appear, and how often some lines must appear.

Lines printed by the kernel itself:
  "femto-containers: QEMU riscv32 virt kernel, initialization complete."
  "[sim-temp] reading N: V"        each reading of the simulated sensor
  "[test-exit] APP: exited with C" / "[test-exit] APP: faulted"
  "[test-exit] K process(es), all done: pass|FAIL"
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    description: str
    apps: list[str]
    expect: list[str]
    forbid: list[str] = field(default_factory=list)
    # pattern -> (at least, at most or None)
    count: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    exit_status: int = 0
    timeout: float = 30.0


BOOT = r"^femto-containers: QEMU riscv32 virt kernel, initialization complete\.$"
# Never acceptable in any scenario: a kernel panic (the board's spurious UART
# interrupt handling exists precisely so that this does not happen).
PANIC = r"panicked at|Kernel panic|interrupt without interrupt"


def done(n: int) -> str:
    return rf"^\[test-exit\] {n} process\(es\), all done: pass$"


SCENARIOS: list[Scenario] = [
    Scenario(
        name="boot-no-apps",
        description="kernel boots with no app and ends the run by itself",
        apps=[],
        expect=[BOOT, done(0)],
        forbid=[PANIC],
        timeout=15,
    ),
    Scenario(
        name="boot-hello",
        description="an app prints on the console and exits; the run ends with pass",
        apps=["hello"],
        expect=[
            BOOT,
            r"^hello: Femto-Containers on Tock$",
            r"^\[test-exit\] hello: exited with 0$",
            done(1),
        ],
        forbid=[PANIC, r"faulted"],
        timeout=15,
    ),
    # Issue scenario 1: load and run a container with a context, read the
    # result. Tutorial 1's app runs the "increment" container (C and Rust
    # builds) three times on a u64 context; tutorial 2's app runs
    # multiply-add on a struct context.
    Scenario(
        name="container-run-context",
        description="load a container, run it with a context, read r0 and the updated context",
        apps=["hello"],
        expect=[
            BOOT,
            r"^hello: loaded increment \(\d+ bytes\)$",
            r"^hello: increment\(41\) = 42, context now 42$",
            r"^hello: increment\(42\) = 43, context now 43$",
            r"^hello: increment\(43\) = 44, context now 44$",
            r"^hello: increment: 3 runs, 0 faults",
            r"^hello: loaded increment_rs \(\d+ bytes\)$",
            r"^hello: increment_rs\(41\) = 42, context now 42$",
            r"^hello: increment_rs\(43\) = 44, context now 44$",
            r"^hello: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted", r"failed"],
    ),
    Scenario(
        name="container-struct-context",
        description="a struct context (multiply-add) and return values, incl. refused inputs",
        apps=["context"],
        expect=[
            BOOT,
            r"^context: multiply_add: 6 \* 7 \+ -2 = 40 \(r0 = 40\)$",
            r"^context: multiply_add: -3 \* 5 \+ 100 = 85 \(r0 = 85\)$",
            r"^context: multiply_add: 1048576 \* 1048576 \+ 1 = 1099511627777 \(r0 = 1099511627777\)$",
            r"^context: multiply_add with an 8-byte context: r0 = -22$",
            r"^context: exercise: 3 \* 4 \+ 5 = 17\b.*call 1$",
            r"^context: exercise: 10 \* 10 \+ 10 = 110\b.*call 2$",
            r"^context: exercise: 1099511627776 \* 2 \+ 0 refused\b.*call 3$",
            r"^context: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted", r"failed"],
    ),
    # Issue scenario 3: a container on the temperature hook transforms the
    # readings before the app gets them. The simulated sensor yields
    # 2150, 2175, 2200, 8500, 2225, 2250, 2275, 2300 (centi-degC); the
    # container replaces each with the average of the last 4, so the app,
    # reading through the ordinary temperature driver (0x60000), must see
    # exactly these values, each after the raw reading it derives from.
    Scenario(
        name="temperature-hook",
        description="container on the temperature hook: apps read transformed values (moving average)",
        apps=["sensor"],
        expect=[
            BOOT,
            r"^sensor: temperature_average attached to the temperature hook$",
            r"^\[sim-temp\] reading 0: 2150$", r"^sensor: reading 1: average 21\.50 C$",
            r"^\[sim-temp\] reading 1: 2175$", r"^sensor: reading 2: average 21\.62 C$",
            r"^\[sim-temp\] reading 2: 2200$", r"^sensor: reading 3: average 21\.75 C$",
            r"^\[sim-temp\] reading 3: 8500$", r"^sensor: reading 4: average 37\.56 C$",
            r"^sensor: notification: average went above 25\.00 C$",
            r"^\[sim-temp\] reading 4: 2225$", r"^sensor: reading 5: average 37\.75 C$",
            r"^\[sim-temp\] reading 5: 2250$", r"^sensor: reading 6: average 37\.93 C$",
            r"^\[sim-temp\] reading 6: 2275$", r"^sensor: reading 7: average 38\.12 C$",
            r"^\[sim-temp\] reading 7: 2300$", r"^sensor: reading 8: average 22\.62 C$",
            r"^sensor: notification: average went back below 25\.00 C$",
            r"^sensor: container ran 8 times, 0 faults$",
            r"^sensor: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted", r"failed"],
        count={r"^\[sim-temp\] reading": (8, 8)},
    ),
    # Two containers of one app that talk through the process-scoped
    # key-value store (the original's "lunar lander" example).
    Scenario(
        name="kv-two-containers",
        description="two containers of one app cooperate through the key-value store (lunar lander)",
        apps=["lunar_lander"],
        expect=[
            BOOT,
            r"^lander: descent from 1000 m, autopilot engaged$",
            r"^lander: t= 30s altitude .* thrust 100%",
            r"^lander: landed safely at -1\.34 m/s after 49 s$",
            r"^lander: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted", r"failed", r"crashed"],
    ),
    # All tutorial apps at once: four processes, each with its own
    # containers (ids are per process), on hooks and run directly, side by
    # side under the round-robin scheduler. Their console output interleaves
    # (an app's line is written in several pieces, and another app may write
    # in between), so only whole-write lines are matched here: each app's
    # final "<app>: done" and the kernel's verdict per process (printed
    # after all of them ended). The results themselves are checked line by
    # line in the single-app scenarios above.
    Scenario(
        name="four-apps-concurrently",
        description="four apps with their own containers run side by side and all finish cleanly",
        apps=["hello", "context", "sensor", "lunar_lander"],
        expect=[BOOT, done(4)],
        forbid=[PANIC, r"faulted"],
        count={
            r"hello: done$": (1, 1),
            r"context: done$": (1, 1),
            r"sensor: done$": (1, 1),
            r"lander: done$": (1, 1),
            r"^\[test-exit\] (hello|context|sensor|lunar_lander): exited with 0$": (4, 4),
        },
    ),
]
