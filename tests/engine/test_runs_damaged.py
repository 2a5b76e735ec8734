"""Issue 18, finding 4 (and finding 9's "damaged runs are left out of `runs`" and "hostile
model files refused with Keras internals as the reason"): a run folder someone else made
can hold anything. Readers take only plain files, capped, and a metrics.json value of the
wrong kind makes a run "damaged" (listed with its reason), never a traceback or a hang."""

from __future__ import annotations

import json
import os
import threading
import zipfile
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import RunError
from engine.runs import RunStore, read_history, read_info, safe
from engine.runs import folder as F

GOOD = {
    "kerminal_run": F.FORMAT, "name": "ok", "status": "finished", "epochs": 2, "target": 2, "created": "2026-01-01T00:00:00",
    "best": {"monitor": "val_loss", "value": 0.5, "epoch": 2}, "metrics": {"loss": 0.4, "val_loss": 0.5}, "class_names": ["neg", "pos"],
}
EXPERIMENT_TEXT = 'version = 1\nname = "ok"\n\n[data]\nsource = "sample"\n'


def make_run(root: Path, name: str = "20260101-000000-ok", meta: object = GOOD, text: str | None = None) -> Path:
    path = root / name
    path.mkdir(parents=True)
    (path / F.METRICS).write_text(text if text is not None else json.dumps(meta))
    (path / F.EXPERIMENT).write_text(EXPERIMENT_TEXT)
    (path / F.HISTORY).write_text("epoch,loss,val_loss\n1,0.6,0.7\n2,0.4,0.5\n")
    (path / F.BEST).write_bytes(b"not opened in these tests")
    return path


def within(seconds: float, fn, *args):
    """fn(*args) in a thread; fails (instead of hanging the suite) when it takes longer."""
    box: dict = {}

    def go():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{getattr(fn, '__name__', fn)} still running after {seconds}s (hung)"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path):
    """A FIFO maker that frees any reader stuck on it when the test ends."""
    made: list[Path] = []

    def make(path: Path) -> Path:
        path.unlink(missing_ok=True)
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    for path in made:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass


BAD_VALUES = [
    ({"epochs": "x"}, "epochs"),
    ({"epochs": 1e400}, "epochs"),  # json reads it as infinity
    ({"epochs": 10**400}, None),  # more digits than Python reads: unreadable JSON
    ({"epochs": 10**30}, "epochs"),
    ({"epochs": -3}, "epochs"),
    ({"target": [1]}, "target"),
    ({"best": [1, 2]}, "best"),
    ({"best": {"monitor": "val_loss", "value": "NaN!", "epoch": 1}}, "best.value"),
    ({"best": {"monitor": "val_loss", "value": 0.5, "epoch": {"a": 1}}}, "best.epoch"),
    ({"metrics": [0.1]}, "metrics"),
    ({"metrics": {"loss": {"deep": [1, [2]]}}}, "metrics.loss"),
    ({"metrics": {"loss": "1e400"}}, "metrics.loss"),
    ({"metrics": {"loss": 1e400}}, "metrics.loss"),
    ({"best": {"monitor": "val_loss", "value": -1e400, "epoch": 1}}, "best.value"),
    ({"class_names": "neg"}, "class_names"),
    ({"class_names": [["neg"], {"x": 1}]}, "class_names"),
    ({"name": {"x": 1}}, "name"),
    ({"pid": 10**40, "status": "running"}, "pid"),
    ({"heartbeat": "now", "status": "running", "pid": 1}, "heartbeat"),
    ({"heartbeat": 1e400, "status": "running", "pid": 1}, "heartbeat"),
]


def bad_text(change: dict) -> str:
    return json.dumps({**GOOD, **change})


@pytest.mark.parametrize("change,names", BAD_VALUES, ids=[str(c)[:40] for c, _ in BAD_VALUES])
def test_a_metrics_value_of_the_wrong_kind_is_a_damaged_run_listed_with_its_reason(tmp_path, change, names):
    path = make_run(tmp_path / "runs", text=bad_text(change))
    with pytest.raises(RunError) as caught:
        read_info(path)
    assert str(path / F.METRICS) in str(caught.value)
    if names:
        assert names in str(caught.value)
    [info] = RunStore(tmp_path / "runs").list()
    assert info.status == "damaged" and info.id == path.name and str(path / F.METRICS) in info.message


@pytest.mark.parametrize("text", ["[1, 2, 3]", "NaN", "42", '"a run"', "null", '{"kerminal_run": 1, "epochs": NaN}', "{", "[" * 100_000])
def test_metrics_that_are_not_an_object_are_damaged_not_a_traceback(tmp_path, text):
    path = make_run(tmp_path / "runs", text=text)
    with pytest.raises(RunError):
        read_info(path)
    [info] = RunStore(tmp_path / "runs").list()
    assert info.status == "damaged" and info.message


def test_a_nan_metric_reads_as_nan_not_as_damage(tmp_path):
    path = make_run(tmp_path / "runs", text=bad_text({"metrics": {"loss": float("nan")}}))  # json writes NaN
    info = read_info(path)
    assert info.status == "finished" and info.metrics["loss"] != info.metrics["loss"]


def test_a_damaged_run_is_listed_next_to_good_ones_and_runs_shows_the_reason(tmp_path, capsys):
    root = tmp_path / "runs"
    make_run(root, "20260101-000000-good")
    make_run(root, "20260102-000000-bad", text=bad_text({"epochs": "x"}))
    assert [(r.id, r.status) for r in RunStore(root).list()] == [("20260102-000000-bad", "damaged"), ("20260101-000000-good", "finished")]
    assert main(["runs", "--runs-dir", str(root)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("20260102-000000-bad "))
    assert "damaged" in row
    assert any(line.startswith("20260102-000000-bad: ") and "epochs" in line and "the text 'x'" in line for line in out.splitlines())
    assert main(["runs", "--runs-dir", str(root), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["status"] == "damaged" and "epochs" in rows[0]["message"]
    assert main(["runs", "--runs-dir", str(root), "--delete", "20260102-000000-bad"]) == 0  # the fix it offers works
    assert [r.id for r in RunStore(root).list()] == ["20260101-000000-good"]


@pytest.mark.parametrize("command", [["predict", "RUN", "a text"], ["eval", "RUN"], ["export", "RUN", "--script", "OUT"]])
def test_predict_eval_and_export_refuse_a_damaged_run_naming_the_file(tmp_path, capsys, command):
    root = tmp_path / "runs"
    path = make_run(root, text=bad_text({"epochs": "x"}))
    argv = [str(path) if a == "RUN" else str(tmp_path / "s.py") if a == "OUT" else a for a in command]
    assert main([*argv, "--runs-dir", str(root)]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path / F.METRICS) in err and "epochs" in err
    assert not (tmp_path / "s.py").exists()


def test_an_experiment_toml_that_is_a_fifo_hangs_nothing(tmp_path, fifo):
    path = make_run(tmp_path / "runs")
    fifo(path / F.EXPERIMENT)
    [info] = within(10, RunStore(tmp_path / "runs").list)
    assert info.status == "finished" and info.data == ""  # listed; its data source unknown
    with pytest.raises(RunError, match="FIFO"):
        within(10, RunStore(tmp_path / "runs").check, path)


def test_metrics_json_linked_to_dev_zero_is_refused_at_once(tmp_path):
    path = make_run(tmp_path / "runs")
    (path / F.METRICS).unlink()
    (path / F.METRICS).symlink_to("/dev/zero")
    with pytest.raises(RunError, match="symbolic link"):
        within(10, read_info, path)
    [info] = within(10, RunStore(tmp_path / "runs").list)
    assert info.status == "damaged" and "symbolic link" in info.message


def test_a_history_or_metrics_file_that_is_a_fifo_or_a_link_is_not_read(tmp_path, fifo):
    path = make_run(tmp_path / "runs")
    fifo(path / F.HISTORY)
    with pytest.raises(OSError, match="FIFO"):
        within(10, read_history, path)
    (path / F.HISTORY).unlink()
    (path / F.HISTORY).symlink_to("/dev/zero")
    with pytest.raises(OSError, match="symbolic link"):
        within(10, read_history, path)
    fifo(path / F.METRICS)
    [info] = within(10, RunStore(tmp_path / "runs").list)
    assert info.status == "damaged" and "FIFO" in info.message


def test_a_metrics_file_over_the_cap_is_damaged(tmp_path):
    path = make_run(tmp_path / "runs", text=json.dumps({**GOOD, "message": "x" * safe.SMALL_CAP}))
    with pytest.raises(RunError, match="larger than"):
        read_info(path)


@pytest.mark.parametrize("kind", ["fifo", "link", "device", "folder"])
def test_a_best_keras_that_is_not_a_plain_file_is_refused_not_opened(tmp_path, fifo, kind):
    path = make_run(tmp_path / "runs")
    best = path / F.BEST
    best.unlink()
    if kind == "fifo":
        fifo(best)
    elif kind == "link":
        (tmp_path / "elsewhere.keras").write_bytes(b"x")
        best.symlink_to(tmp_path / "elsewhere.keras")
    elif kind == "device":
        best.symlink_to("/dev/zero")
    else:
        best.mkdir()
    store = RunStore(tmp_path / "runs")
    with pytest.raises(RunError) as caught:
        within(20, store.load, path)
    assert str(best) in str(caught.value) and "not a plain file" in str(caught.value)
    from engine.runs import load_model_file

    with pytest.raises(RunError):
        within(20, load_model_file, best)


def junk_keras(path: Path, config: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0", "date_saved": "2026-01-01"}))
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", b"")
    return path


@pytest.mark.parametrize("config", [
    "junk{",
    '{"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "Dense"}], "input_layers": [], "output_layers": []}}',
    "{}", '{"class_name": "Functional"}', '{"module": "keras", "config": {}}', "[1, 2]", '"text"', '{"class_name": 5, "config": []}',
])
def test_a_model_file_whose_config_is_junk_is_refused_in_words_not_keras_internals(tmp_path, config):
    from engine.runs import load_model_file

    path = junk_keras(tmp_path / "best.keras", config)
    with pytest.raises(RunError) as caught:
        load_model_file(path)
    message = str(caught.value)
    assert "not a model file kerminal wrote" in message and str(path) in message
    assert message.split(": ", 1)[-1].strip() not in ("'name'", "'class_name'", "'config'")


def test_opening_a_runs_experiment_reads_only_a_plain_file(tmp_path, fifo):
    from engine.workspace import Workspace

    path = make_run(tmp_path / "runs")
    ws = Workspace.open_file(path / F.EXPERIMENT)
    ws.open(path / F.EXPERIMENT, as_file=False)
    assert ws.experiment.name == "ok" and ws.path is None  # a copy of the run's experiment
    (path / F.EXPERIMENT).unlink()
    (path / F.EXPERIMENT).symlink_to("/dev/zero")
    with pytest.raises(RunError, match="symbolic link"):
        within(10, lambda: ws.open(path / F.EXPERIMENT, as_file=False))
    fifo(path / F.EXPERIMENT)
    with pytest.raises(RunError, match="FIFO"):
        within(10, lambda: ws.open(path / F.EXPERIMENT, as_file=False))
