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

from dataclasses import dataclass, field, replace


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
    # Cargo features of board/qemu_rv32_virt for this scenario's kernel
    # ("" = the default kernel).
    kernel_features: str = ""
    # Console input: (REGEX, BYTES) pairs in order; when REGEX matches the
    # output (after the previous pair's match), BYTES are written to the
    # kernel's console UART (QEMU stdin, without the monitor mux). BYTES is
    # bytes or the path of a file under userspace/build/.
    inputs: list[tuple[str, bytes | str]] = field(default_factory=list)


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
    # The board's own handling of spurious UART interrupts is needed: the
    # same kernel with Tock 2.2's handling alone (feature
    # tock-uart-interrupts) panics as soon as an app prints, and the panic
    # ends QEMU with status 1 through the test finisher.
    Scenario(
        name="spurious-uart-regression",
        description="with Tock's UART interrupt handling alone the kernel panics (why the board has its own)",
        apps=["hello"],
        kernel_features="tock-uart-interrupts",
        expect=[BOOT, r"UART 16550: interrupt without interrupt"],
        exit_status=1,
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
    # Issue scenario 2: a container on the periodic timer hook (50 ms); the
    # app receives each result by upcall. The container returns its
    # attachment's run count, so five periodic runs give exactly 0..4, all
    # from hook 1; after detaching, no further result arrives.
    Scenario(
        name="timer-hook",
        description="container attached to the timer hook: N periodic results reach the app",
        apps=["timer"],
        expect=[
            BOOT,
            r"^timer: attached to the timer hook, period 50 ms$",
            r"^timer: result 0: r0 = 0 from hook 1$",
            r"^timer: result 1: r0 = 1 from hook 1$",
            r"^timer: result 2: r0 = 2 from hook 1$",
            r"^timer: result 3: r0 = 3 from hook 1$",
            r"^timer: result 4: r0 = 4 from hook 1$",
            r"^timer: detached; results after detach: 0$",
            # A sixth period may elapse before the detach takes effect if the
            # host stalls QEMU; five results were checked above.
            r"^timer: container ran [56] times, 0 faults$",
            r"^timer: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted", r"failed"],
    ),
    # Issue scenario 4: hostile containers (store outside their memory,
    # endless loop, unknown helper) fault with the right kind, run
    # synchronously, asynchronously and on the timer hook (cut by fuel on
    # every period, each fault reported to the app); afterwards the kernel
    # still loads and runs a good container.
    Scenario(
        name="hostile-containers",
        description="hostile containers fault harmlessly (memory, fuel, unknown helper; sync, async, on a hook)",
        apps=["hostile"],
        expect=[
            BOOT,
            r"^hostile: hostile_memory: fault Memory at pc \d+$",
            r"^hostile: hostile_loop: fault OutOfFuel at pc \d+$",
            r"^hostile: hostile_helper: fault UnknownHelper at pc \d+$",
            r"^hostile: async hostile_memory: fault Memory at pc \d+",
            r"^hostile: hostile_loop on the timer hook: 3 faults, last OutOfFuel \(hook 1\)$",
            r"^hostile: still working: increment\(41\) = 42$",
            r"^hostile: done$",
            done(1),
        ],
        forbid=[PANIC, r"faulted"],
    ),
    # ... and without harming another app running at the same time.
    Scenario(
        name="hostile-next-to-hello",
        description="a hostile app's faulting containers do not disturb another app",
        apps=["hostile", "hello"],
        expect=[BOOT, done(2)],
        forbid=[PANIC, r"faulted"],
        count={
            r"hostile: done$": (1, 1),
            r"hello: done$": (1, 1),
            r"^\[test-exit\] (hostile|hello): exited with 0$": (2, 2),
        },
    ),
    # Issue scenario 5: two apps cannot touch each other's containers. The
    # owner loads a container and holds it; the intruder, owning none, tries
    # every per-container command on a sweep of ids (the owner's among
    # them): every attempt must be answered INVAL. Only after the sweep does
    # the owner check its container: never run by anyone, attached to
    # nothing, and still working. The intruder's own container then works.
    Scenario(
        name="two-apps-isolated",
        description="an app cannot see, run, attach, detach or unload another app's containers",
        apps=["owner", "intruder"],
        expect=[
            BOOT,
            r"^owner: loaded a container",
            r"^intruder: \d+ ids x \d+ commands: 0 answered other than INVAL$",
            r"^intruder: \d+ more ids x info: 0 answered other than INVAL$",
            r"^owner: the intruder is done$",
            r"^owner: container still loaded: 0 runs, hooks 0x0, pending false$",
            done(2),
        ],
        forbid=[PANIC, r"faulted"],
        count={
            r"^owner: increment\(41\) = 42$": (1, 1),
            r"^intruder: own container: state ok, run Ok\(2\), unload Ok\(\(\)\)$": (1, 1),
            r"^\[test-exit\] (owner|intruder): exited with 0$": (2, 2),
        },
        timeout=60,
    ),
    # The board's test-exit driver (0xA00FF): a reserved status is refused
    # with INVAL and changes nothing; status 42 ends QEMU at once with 42.
    # Needs the app `exit_code` (requested from userspace; skipped until it
    # exists).
    Scenario(
        name="test-exit-driver",
        description="an app ends the run with a status of its choice through the test-exit driver",
        apps=["exit_code"],
        expect=[
            BOOT,
            r"^exit_code: driver present$",
            r"^exit_code: status 1 refused: (?i:invalid)$",
            r"^exit_code: ending the run with status 42$",
        ],
        forbid=[PANIC, r"still running\?!", r"^\[test-exit\]"],
        exit_status=42,
        timeout=15,
    ),
]


def _update_attempt(outcome: str, version: int) -> list[str]:
    """Output of one update attempt of the updater app: the outcome, then
    what the (old or new) container returns when run and on the timer hook."""
    return [
        outcome + r" \(\d+ bytes\)$",
        rf"^updater: container returns {version}$",
        rf"^updater: timer hook returns {version}$",
    ]


# Tutorial 4 / issue 9: signed updates over the console. The updater app
# installs blinky v1 (seq 1) from an envelope built into it and attaches it
# to the timer hook; the runner then sends one serial frame per "ready"
# (files made by userspace/tools/make-updates.sh with `femto sign` and the
# demo key; wrongkey.signed with a fresh `femto keygen` key).
SECURE_UPDATE_FRAMES = [
    "v2",         # valid, seq 2                            -> installed
    "tampered",   # v3 with one image byte flipped           -> digest mismatch
    "wrongkey",   # v3 signed by an untrusted key            -> unknown key
    "v2",         # replay of the installed seq 2            -> not newer
    "v1",         # older seq 1                              -> not newer
    "truncated",  # first half of v3 (cut in the COSE part)  -> malformed
    "short",      # v3 without its last 16 bytes (image cut) -> size mismatch
    "stalled",    # a v3 transfer stopping halfway, then v3 sent again from the start:
                  # the frame completes with the resent bytes -> bad signature;
                  # the rest of the resent frame is skipped (no magic)
    "v3",         # valid, seq 3                            -> installed
    "end",        # end of session
]

SCENARIOS.append(
    Scenario(
        name="secure-update",
        description="signed updates over the console: valid ones applied in place (hook kept), "
                    "tampered / wrong key / replayed / older / truncated / stalled refused, old container keeps running",
        apps=["updater"],
        inputs=[(r"^updater: ready$", f"updates/{f}.frame") for f in SECURE_UPDATE_FRAMES],
        expect=[
            BOOT,
            r"^updater: installed seq=1 \(built in\)$",
            r"^updater: container returns 1$",
            r"^updater: timer hook returns 1$",
            *_update_attempt(r"^updater: installed seq=2", 2),
            *_update_attempt(r"^updater: refused INVALID kind=16 loc=0", 2),
            *_update_attempt(r"^updater: refused FAIL kind=11 loc=0", 2),
            *_update_attempt(r"^updater: refused ALREADY kind=14 loc=2", 2),
            *_update_attempt(r"^updater: refused ALREADY kind=14 loc=2", 2),
            *_update_attempt(r"^updater: refused INVALID kind=10 loc=\d+", 2),
            *_update_attempt(r"^updater: refused INVALID kind=15 loc=\d+", 2),
            *_update_attempt(r"^updater: refused FAIL kind=12 loc=0", 2),
            *_update_attempt(r"^updater: installed seq=3", 3),
            r"^updater: done$",
            done(1),
        ],
        forbid=[PANIC, r"no timer hook result", r"run failed", r"read failed"],
        count={r"^updater: ready$": (10, 10), r"^updater: installed seq=": (3, 3)},
        timeout=30,
    )
)

# The same scenarios on a kernel built with the capsule's compact
# interpreter (board feature compact-vm, `femto_vm::compact`): containers
# must compute, fault (same kinds, same pcs) and run on hooks exactly as
# with the main interpreter.
SCENARIOS += [
    replace(
        sc,
        name=f"{sc.name}-compact-vm",
        description=f"{sc.description} (compact interpreter)",
        kernel_features="compact-vm",
    )
    for sc in list(SCENARIOS)
    if sc.name in ("four-apps-concurrently", "timer-hook", "hostile-containers")
]
