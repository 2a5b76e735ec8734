"""The pruners a sweep offers, and how a trial's run learns it is one (TF-free: the driver
and `kerminal sweep --status` use this without loading Keras; engine.sweeps.pruning is the
run's side)."""

from __future__ import annotations

from typing import Any

ENV = "KERMINAL_SWEEP_TRIAL"  # JSON: storage, study, trial id and number, pruner, monitor
PRUNED_AT = "pruned_at"  # the trial's user attr: the epoch it was pruned at


def make_pruner(name: str, epochs: int) -> Any:
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(int(epochs), 1))
    if name == "always":  # tests: prune at the first report
        return _Always()
    return optuna.pruners.NopPruner()


class _Always:
    def prune(self, study: Any, trial: Any) -> bool:
        return True
