"""Where a sweep's study lives: Optuna's journal file (the default, in the sweep's folder, or
any path on a filesystem every machine shares) or a database URL (PostgreSQL: the study's one
source of truth for workers on several machines).

A database gets heartbeats: each worker beats for the trials it runs, and a trial whose
worker stopped beating for GRACE_S is failed by the next worker that looks, and retried
once (RetryFailedTrialCallback) with the same values. A URL that does not answer is said
within CONNECT_TIMEOUT_S; a PostgreSQL URL without its driver says what to install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.sweeps.space import SweepError

JOURNAL = "journal.log"
CONNECT_TIMEOUT_S = 10
HEARTBEAT_S = int(os.environ.get("KERMINAL_SWEEP_HEARTBEAT_S", "") or 5)  # a worker beats for its trials this often
GRACE_S = int(os.environ.get("KERMINAL_SWEEP_GRACE_S", "") or 20)  # a trial whose worker has not beaten for this long is failed and retried (tests: shorter)
RETRIES = 1


def is_url(storage: str) -> bool:
    return "://" in storage


def describe(storage: str) -> str:
    """The storage as shown to people: a URL without its password."""
    if not is_url(storage):
        return storage
    from sqlalchemy.engine import make_url

    try:
        return make_url(storage).render_as_string(hide_password=True)
    except Exception:  # not a URL sqlalchemy reads: open() says why
        return storage.split("://", 1)[0] + "://..."


def open_storage(storage: str) -> Any:
    """An Optuna storage for a journal path or a database URL; SweepError when it cannot be
    opened (no driver, no answer, a bad URL)."""
    import optuna

    if not is_url(storage):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = Path(storage)
        if not path.parent.is_dir():
            raise SweepError(f"The journal file's folder {path.parent} does not exist.", "Give a journal path in an existing folder (on a filesystem every machine shares).")
        return JournalStorage(JournalFileBackend(os.fspath(path)))
    scheme = storage.split("://", 1)[0].lower()
    if scheme.startswith("postgres"):
        import importlib.util

        if importlib.util.find_spec("psycopg2") is None:
            raise SweepError("A PostgreSQL storage needs the psycopg2 driver, which is not installed.", "Install it with `pip install psycopg2-binary`.")
    if scheme in ("postgresql", "postgres"):
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; kerminal ships psycopg2
        storage = "postgresql+psycopg2://" + storage.split("://", 1)[1]
    connect_args: dict[str, Any] = {}
    if scheme.startswith("postgres") or scheme.startswith("mysql"):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        return optuna.storages.RDBStorage(
            storage,
            engine_kwargs={"connect_args": connect_args, "pool_pre_ping": True},
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            **_retry(optuna),
        )
    except ImportError as exc:
        raise SweepError(f"The storage {describe(storage)} needs a database driver that is not installed ({exc}).", "Install the driver for that database (PostgreSQL: `pip install psycopg2-binary`).") from None
    except Exception as exc:  # sqlalchemy's OperationalError, ArgumentError...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SweepError(f"Could not open the storage {describe(storage)}: {first}", "Check that the database server runs and answers at that address, and the user, password and database name.") from None


def _retry(optuna: Any) -> dict[str, Any]:
    """Retry a stale trial once: Optuna 4.9 renamed the callback and its argument."""
    if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):
        return {"heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=RETRIES)}
    return {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=RETRIES)}


def heartbeats(storage: Any) -> bool:
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return bool(is_heartbeat_enabled(storage))
