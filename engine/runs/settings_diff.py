"""The settings that differ among experiments, by declared path: every path of
engine.spec.paths(), then each layer's type and parameters by position (`layers.N.type`,
`layers.N.PARAM`), so a setting added to the declarations is compared with no change here.
Read by engine.runs.compare (the table) and engine.training.disagree (same data or not)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Sequence

from engine.errors import KerminalError
from engine.experiment import Experiment

MISSING = None  # a setting a run does not have (no such layer, an unreadable experiment)
# Not compared between runs: what names the run, not what it trains.
NOT_SETTINGS = ("name", "description", "preset", "version")


@dataclass
class SettingDiff:
    path: str
    values: list[Any]  # one per run, in the runs' order (MISSING where a run has none)


def setting_paths(exps: Sequence[Experiment | None]) -> list[str]:
    """Every declared path that applies to one of the runs at least (names and notes left
    out), then `layers.N.type` and each layer's parameters by position."""
    from engine import spec
    from engine.layers.registry import layer_info

    out = [p for p in spec.paths() if p not in NOT_SETTINGS and any(e is not None and spec.applies(e, p) for e in exps)]
    depth = max((len(e.layers) for e in exps if e is not None), default=0)
    for n in range(1, depth + 1):
        out.append(f"layers.{n}.type")
        params: dict[str, None] = {}
        for e in exps:
            if e is not None and len(e.layers) >= n:
                with contextlib.suppress(KerminalError):  # an unknown type: its parameters as written
                    params.update((p.name, None) for p in layer_info(e.layers[n - 1].type).params)
                params.update((k, None) for k in e.layers[n - 1].params)
        out += [f"layers.{n}.{p}" for p in params]
    return out


def value_at(exp: Experiment | None, path: str) -> Any:
    """The value at `path` as plain JSON (MISSING when the run has no such setting)."""
    from engine import spec

    if exp is None:
        return MISSING
    try:
        value = spec.get(exp, path)
    except KerminalError:
        if not path.startswith("layers."):
            raise
        n, name = path.split(".")[1:]
        layers = exp.layers
        if int(n) <= len(layers) and name in layers[int(n) - 1].params:  # an unknown type: as written
            return layers[int(n) - 1].params[name]
        return MISSING
    return json.loads(json.dumps(value, default=str))


def settings_diff(exps: Sequence[Experiment | None]) -> list[SettingDiff]:
    """The settings whose value differs among the runs whose experiment could be read."""
    out = []
    for path in setting_paths(exps):
        values = [value_at(e, path) for e in exps]
        seen = {json.dumps(v, sort_keys=True) for v, e in zip(values, exps, strict=True) if e is not None}
        if len(seen) > 1:
            out.append(SettingDiff(path, values))
    return out


