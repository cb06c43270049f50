"""The launcher's child processes: stop signals passed on, children waited for, none left over.

`botpy trade|demo|backtest|hyperopt|lookahead` run freqtrade (and the simulator) as children.
systemd, a process manager or a terminal stop the launcher with SIGTERM or SIGINT: the launcher
passes the signal on to freqtrade, waits for its clean-up (`freqtrade trade` treats both like
Ctrl-C), then stops the simulator. The children run in their own session, so a terminal's Ctrl-C
reaches them once, through the launcher; on Linux the kernel sends them SIGTERM if the launcher
dies without a chance to do so (SIGKILL), so none outlives it.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

logger = logging.getLogger("botpy")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Stopped(Exception):
    """A stop signal arrived while no child ran in the foreground."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the launcher's thread that started it ends."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: Sequence[str], **popen: object) -> subprocess.Popen:
    """A child in its own session that dies with the launcher."""
    return subprocess.Popen(list(command), start_new_session=True, preexec_fn=die_with_parent,
                            **popen)  # type: ignore[arg-type]


def run_foreground(command: Sequence[str], **popen: object) -> int:
    """Run `command` to its end; stop signals meanwhile go to it. Its exit status, as a shell
    gives it: 128 + N for a process killed by signal N (Python reports -N)."""
    proc = spawn(command, **popen)
    with forwarding_to(proc):
        status = proc.wait()
    return 128 - status if status < 0 else status


@contextmanager
def stop_signals_handled_by(handler: Callable[[int, object], None]) -> Iterator[None]:
    """SIGTERM and SIGINT go to `handler` inside the block; the previous handlers after it."""
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def forwarding_to(proc: subprocess.Popen):
    """Inside the block a stop signal is passed on to `proc` (the launcher keeps waiting)."""
    def forward(signum: int, frame: object) -> None:
        logger.info("%s: passed on to %s (pid %d), waiting for it to finish",
                    signal.Signals(signum).name, proc.args[0], proc.pid)
        proc.send_signal(signum)

    return stop_signals_handled_by(forward)


def stop_signals_raise():
    """Between children (e.g. while the simulator starts): a stop signal raises `Stopped`, so
    the `finally` blocks that stop the children run."""
    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    return stop_signals_handled_by(stop)
