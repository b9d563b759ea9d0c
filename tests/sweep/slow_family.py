"""A sweep family whose cells sleep (no CPU), for the tests that run real `collapse sweep` processes.

:func:`register` makes family ``slow-test`` known to grids (importing does not: other tests walk
the family table); its ``run`` appends ``<seed> <pid>`` to the
file named by ``$SWEEP_TEST_LOG`` when a cell starts, so a test can count how often each cell was
computed. Module level (not ``__main__``), so that spawned pool workers can unpickle it.

:data:`MAIN` is the ``python -c`` program that runs ``collapse ARGS...`` with the family registered.
"""

from __future__ import annotations

import os
import time

from collapse.simulate.sweep import metrics as SM

LOG = "SWEEP_TEST_LOG"


#: ``[sys.executable, "-c", MAIN, *args]`` is ``collapse *args`` knowing family ``slow-test``
MAIN = ("import sys; from tests.sweep.slow_family import register; register(); from collapse.cli import main; "
        "sys.exit(main(sys.argv[1:]))")


def _sleep(name, v):
    return SM.strict_real(name, v, 0.0, 60.0)


def _chains(name, v):
    return SM.strict_int(name, v, 1, 10)


def _build(params):
    return dict(params)


def _run(config, params, rng):
    log = os.environ.get(LOG)
    if log:
        with open(log, "a", encoding="utf-8") as fh:  # one short append: atomic under O_APPEND
            fh.write(f"{params['seed']} {os.getpid()}\n")
    time.sleep(params["sleep"])
    return {"value": float(rng.random())}


SLOW = SM.CellFamily(
    "slow-test",
    {"sleep": SM.Param(0.5, _sleep, "seconds a cell sleeps"), "chains": SM.Param(2, _chains, "unused")},
    _build, _run, ("value",))

def register() -> None:
    if SLOW.name not in SM.FAMILIES:
        SM.register_family(SLOW)
