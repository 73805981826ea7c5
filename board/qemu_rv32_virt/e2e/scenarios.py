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
]
