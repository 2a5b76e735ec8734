"""engine.runs.curves (x by epoch or training time, EMA smoothing, log y), the probe table
(engine.training.probe_answers) and their `kerminal compare` flags: --plot with --x time,
--smooth, --log-y; --probes in text and JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.cli import main
from engine.runs import CurveOptions, compare, curve_points, curve_title, events, log_refusal, x_axis
from engine.runs.curves import ema, epoch_ends
from engine.training import disagree, probe_sentences, probe_table
from tests.engine.hand_made_runs import hand_made_run
from tests.engine.test_compare import _edit, _history


def _times(path, durations: list[float]) -> None:
    lines = [json.dumps(events.to_dict(events.EpochEnd(e, len(durations), {}, d, 100.0))) for e, d in enumerate(durations, 1)]
    (path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def timed(tmp_path):
    a = hand_made_run(tmp_path, "20240101-000000-a", "a")
    b = hand_made_run(tmp_path, "20240101-000001-b", "b")
    _history(a, [0.6, 0.5, 0.55], [0.7, 0.8, 0.8])
    _history(b, [0.7, 0.4, float("nan")], [0.7, 0.75, 0.9])
    _times(a, [2.0, 3.0, 4.0])
    _times(b, [1.0, 1.0, 1.0])
    return a, b


def test_ema_starts_at_the_first_value_and_steps_over_nan():
    assert ema([1.0, 2.0, 3.0], 0.5) == [1.0, 1.5, 2.25]
    assert ema([1.0, 2.0], 0.0) == [1.0, 2.0]
    out = ema([4.0, math.nan, 0.0], 0.75)
    assert out[0] == 4.0 and math.isnan(out[1]) and out[2] == 3.0  # the NaN leaves the average as it was
    with pytest.raises(ValueError):
        ema([1.0], 1.0)


def test_time_axis_adds_up_each_epochs_time(timed):
    a, b = timed
    ra, rb = compare([a, b]).runs
    assert epoch_ends(ra.durations, 3) == [2.0, 5.0, 9.0] and ra.time_s == 9.0
    axis = x_axis([ra, rb], "time")
    assert (axis.kind, axis.label, axis.note) == ("time", "training time (s)", "")
    assert curve_points(ra, "loss", axis) == ([2.0, 5.0, 9.0], [0.6, 0.5, 0.55])
    assert curve_points(rb, "loss", axis) == ([1.0, 2.0], [0.7, 0.4])  # the NaN epoch left out
    assert curve_points(ra, "loss", x_axis([ra, rb])) == ([1.0, 2.0, 3.0], [0.6, 0.5, 0.55])
    xs, ys = curve_points(ra, "loss", axis, smooth=0.6)
    assert ys == pytest.approx([0.6, 0.56, 0.556]) and xs == [2.0, 5.0, 9.0]


def test_long_runs_are_drawn_in_minutes(timed):
    a, b = timed
    _times(a, [100.0, 100.0, 100.0])
    ra, rb = compare([a, b]).runs
    axis = x_axis([ra, rb], "time")
    assert axis.label == "training time (min)" and curve_points(ra, "loss", axis)[0] == pytest.approx([100 / 60, 200 / 60, 5.0])


def test_a_run_without_times_draws_every_run_by_epoch_and_says_why(timed):
    a, b = timed
    (b / "events.jsonl").unlink()
    ra, rb = compare([a, b]).runs
    axis = x_axis([ra, rb], "time")
    assert axis.kind == "epoch" and axis.label == "epoch" and rb.id in axis.note
    assert curve_points(ra, "loss", axis)[0] == [1.0, 2.0, 3.0]


def test_titles_and_the_log_refusal(timed):
    a, b = timed
    assert curve_title("val_loss", CurveOptions(smooth=0.6, log_y=True)) == "val_loss · EMA 0.6 · log y"
    assert curve_title("loss", CurveOptions()) == "loss"
    runs = compare([a, b]).runs
    assert log_refusal(runs, ["loss", "val_accuracy"]) == ""
    _history(b, [0.7, 0.0], [0.7, 0.75])
    runs = compare([a, b]).runs
    assert log_refusal(runs, ["loss"]) == f"Log y needs values above 0: loss of {runs[1].id} is 0 at epoch 2."


def test_cli_plot_by_time_smoothed_log_y(timed, tmp_path, capsys):
    a, b = timed
    out = tmp_path / "curves.svg"
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out), "--x", "time", "--smooth", "0.6", "--log-y"]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<polyline") == 4
    assert "training time (s)" in svg and "loss · EMA 0.6 · log y" in svg
    assert f"wrote {out}" in capsys.readouterr().out
    (b / "events.jsonl").unlink()
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out), "--x", "time"]) == 0
    assert "recorded no epoch times" in capsys.readouterr().out and ">epoch<" in out.read_text(encoding="utf-8")


def test_cli_plot_refusals(timed, tmp_path, capsys):
    a, b = timed
    _history(b, [0.7, -0.1], [0.7, 0.75])
    out = tmp_path / "curves.svg"
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out), "--log-y"]) == 1
    assert "Log y needs values above 0" in capsys.readouterr().err and not out.exists()
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out), "--smooth", "1"]) == 2


def _fake_predictions(monkeypatch, answers: dict[str, list[list[float]]], calls: list | None = None):
    def fake(r, texts, on_phase=None, cache=None):
        if calls is not None:
            calls.append((r.id, list(texts), cache))
        return np.asarray(answers[r.id], "float32")[: len(texts)]

    monkeypatch.setattr(disagree, "predictions", fake)


def test_probe_sentences_each_once_the_given_first(timed):
    a, b = timed
    _edit(a, lambda exp: setattr(exp, "probes", ["great film", "awful"]))
    _edit(b, lambda exp: setattr(exp, "probes", ["awful", "  ", "meh"]))
    assert probe_sentences(compare([a, b]).runs, ["mine"]) == ["mine", "great film", "awful", "meh"]


def test_probe_table_two_and_three_runs_with_other_classes(tmp_path, timed, monkeypatch):
    a, b = timed
    c = hand_made_run(tmp_path, "20240101-000002-c", "c", class_names=("ham", "spam"))
    _history(c, [0.5], [0.8])
    ids = [p.name for p in (a, b, c)]
    calls: list = []
    _fake_predictions(monkeypatch, {ids[0]: [[0.9, 0.1], [0.2, 0.8]], ids[1]: [[0.4, 0.6], [0.3, 0.7]], ids[2]: [[0.1, 0.9], [0.6, 0.4]]}, calls)
    two = probe_table(compare([a, b]).runs, ["great", "awful"])
    assert two.classes_note == "" and two.problems == {}
    assert [(x.label, round(x.prob, 2)) for x in two.answers[ids[0]]] == [("negative", 0.9), ("positive", 0.8)]
    assert calls[0][2] == ("probes.npy", "probes.json")  # cached apart from the validation rows' predictions
    three = probe_table(compare([a, b, c]).runs, ["great", "awful"])
    assert "different classes" in three.classes_note and "ham, spam" in three.classes_note
    assert [x.label for x in three.answers[ids[2]]] == ["spam", "ham"]  # in its own classes


def test_cli_probes_text_and_json(timed, monkeypatch, capsys):
    a, b = timed
    _edit(a, lambda exp: setattr(exp, "probes", ["great film"]))
    _edit(b, lambda exp: setattr(exp, "probes", []))
    _fake_predictions(monkeypatch, {a.name: [[0.9, 0.1], [0.2, 0.8]], b.name: [[0.3, 0.7], [0.5, 0.5]]})
    assert main(["compare", str(a), str(b), "--no-disagree", "--probes", "--probe", "so bad", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["probes"]
    assert d["sentences"] == ["so bad", "great film"] and d["runs"] == [a.name, b.name]
    assert d["answers"][b.name][0] == {"label": "positive", "prob": pytest.approx(0.7)}
    assert main(["compare", str(a), str(b), "--no-disagree", "--probes"]) == 0
    text = capsys.readouterr().out
    assert "probes (each run's answer and its probability):" in text and "great film" in text and "negative 0.90" in text
    assert main(["compare", str(a), str(b), "--no-disagree", "--probes", "--csv"]) == 0
    assert "probe,great film,negative 0.90,positive 0.70" in capsys.readouterr().out


def test_a_run_that_cannot_answer_says_why(timed):
    a, b = timed  # hand-made: best.keras is empty, the model does not load
    table = probe_table(compare([a, b]).runs, ["great"])
    assert set(table.problems) == {a.name, b.name} and table.answers == {}
