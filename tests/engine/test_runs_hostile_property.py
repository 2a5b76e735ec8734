"""Issue 18, "Readers that survive any folder": random bytes and random JSON in each file of
a run folder (metrics.json, events.jsonl, history.csv, experiment.toml). The readers raise
nothing but RunError (read_info) or nothing at all (the listing, the history, the events,
a watcher's poll, the lines `runs` and `watch` print), and finish (hypothesis's deadline
and the test's timeout catch a hang)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.runs_cmd import damaged_notes, format_table
from engine.cli.watch_cmd import probe_lines, progress_line
from engine.errors import RunError
from engine.runs import RunStore, RunWatcher, read_events, read_history, read_info
from engine.runs import events as ev
from engine.runs import folder as F

GOOD_META = {
    "kerminal_run": F.FORMAT, "name": "r", "status": "finished", "epochs": 2, "target": 2, "created": "2026-01-01T00:00:00",
    "best": {"monitor": "val_loss", "value": 0.5, "epoch": 2}, "metrics": {"loss": 0.4}, "class_names": ["a", "b"],
}
GOOD_EVENT = {"event": "EpochEnd", "epoch": 1, "epochs": 2, "metrics": {"loss": 0.5}, "duration_s": 1.0, "samples_per_s": 10.0, "probes": [["s", {"a": 0.4, "b": 0.6}]]}

scalars = st.none() | st.booleans() | st.floats() | st.integers(min_value=-(10**400), max_value=10**400) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@st.composite
def spoiled(draw, good: dict) -> str:
    """`good` with one of its values (at the top or one level down) replaced by junk."""
    data = json.loads(json.dumps(good))
    key = draw(st.sampled_from(sorted(data)))
    if isinstance(data[key], dict) and data[key] and draw(st.booleans()):
        data[key][draw(st.sampled_from(sorted(data[key])))] = draw(json_values)
    else:
        data[key] = draw(json_values)
    return json.dumps(data)


def content(good: dict | None = None):
    texts = [st.binary(max_size=200).map(lambda b: b.decode("latin-1")), json_values.map(json.dumps)]
    if good is not None:
        texts.append(spoiled(good))
    return st.one_of(*texts)


folders = st.fixed_dictionaries(
    {
        F.METRICS: st.one_of(content(GOOD_META), st.just(json.dumps(GOOD_META))),
        F.EVENTS: st.lists(content(GOOD_EVENT), max_size=5).map(lambda lines: "".join(line.replace("\n", " ") + "\n" for line in lines)),
        F.HISTORY: st.one_of(st.binary(max_size=200).map(lambda b: b.decode("latin-1")), st.just("epoch,loss\n1,0.5\n2,x\n"), st.text(max_size=100)),
        F.EXPERIMENT: st.one_of(st.binary(max_size=200).map(lambda b: b.decode("latin-1")), st.text(max_size=100), st.just('[data]\nsource = "csv"\npath = "x.csv"\n')),
    }
)


@pytest.mark.slow
@pytest.mark.timeout(240)
@settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(files=folders)
def test_random_bytes_and_json_in_a_run_folder_never_crash_or_hang_a_reader(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        path = root / "20260101-000000-r"
        path.mkdir(parents=True)
        for name, text in files.items():
            (path / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            read_info(path)
        except RunError:
            pass
        infos = RunStore(root).list()
        assert len(infos) <= 1
        for info in infos:
            json.dumps(info.to_dict())
        format_table(infos)
        damaged_notes(infos)
        read_history(path)
        found, _ = read_events(path)
        watcher = RunWatcher(path)
        for event in watcher.poll():
            ev.describe(event)
            json.dumps(ev.to_dict(event))
            if isinstance(event, ev.EpochEnd):
                probe_lines(event.probes)
        progress_line(watcher.progress)
