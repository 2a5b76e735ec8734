"""A run's status, typed once: every module that says or asks what state a run is in
(the engine, the command line, the app) uses these names and sets, never a bare string.

A `Status` is a `str` (StrEnum), so metrics.json, events and `--json` output carry the
plain word and old run folders read back unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    STARTING = "starting"  # a process owns the run and is loading data or building the model
    RUNNING = "running"
    PAUSED = "paused"
    NOT_RESPONDING = "not responding"  # its process holds the run's lock but has not beaten lately
    FINISHED = "finished"  # every epoch ran, or early stopping ended it
    STOPPED = "stopped"  # stopped on request; whole epochs kept
    FAILED = "failed"  # could not start or go on; its message says why
    INTERRUPTED = "interrupted"  # its process is gone (killed, its machine lost)
    MISSING = "missing"  # the folder was deleted under a watcher
    DAMAGED = "damaged"  # the folder cannot be read; its message says why


# What metrics.json says while a process owns the run (a reader checks the lock and the
# heartbeat before believing it: see folder.live_status).
RECORDED_LIVE = (Status.STARTING, Status.RUNNING, Status.PAUSED)
# A process owns the run: it can be steered, and nothing else may train, repair or delete it.
LIVE = (*RECORDED_LIVE, Status.NOT_RESPONDING)
# The run ended by itself or on request; its folder holds its record (it may be continued).
ENDED = (Status.FINISHED, Status.STOPPED, Status.FAILED)
# No process owns the run, and it did not end cleanly.
GONE = (Status.INTERRUPTED, Status.MISSING)
