"""`more` (a live run told to train on) and `train --resume` (an ended one continued) record
the run's new target in its own experiment.toml (fit.epochs), written by the run's one writer,
atomically: the header and `kerminal runs` read the epochs the run now trains to."""

from __future__ import annotations

import json

import pytest

from engine.experiment import load, save
from engine.runs import folder as F
from engine.runs.commands import Command
from engine.runs.writer import RunWriter
from engine.training.control import TrainControl
from engine.training.state import RunState
from engine.training.steering import Steering
from tests.engine.many_runs import many_run


def epochs_in(run) -> int:
    return load(run / F.EXPERIMENT).fit.epochs


def test_the_writer_records_a_new_target_and_keeps_the_rest(tmp_path):
    run = many_run(tmp_path, 1)
    before = load(run / F.EXPERIMENT)
    RunWriter(run).record_target(13)
    after = load(run / F.EXPERIMENT)
    assert after.fit.epochs == 13
    after.fit.epochs = before.fit.epochs
    assert after == before  # nothing else changed
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_a_run_folder_without_a_readable_experiment_is_left_alone(tmp_path):
    run = many_run(tmp_path, 1)
    (run / F.EXPERIMENT).write_text("not = [toml", encoding="utf-8")
    RunWriter(run).record_target(13)  # never raises: the run trains on
    assert (run / F.EXPERIMENT).read_text(encoding="utf-8") == "not = [toml"


def test_more_on_a_live_run_records_the_new_target(tmp_path):
    run = many_run(tmp_path, 1)
    exp = load(run / F.EXPERIMENT)
    exp.fit.epochs = 3
    save(exp, run / F.EXPERIMENT)
    seen = []
    state = RunState(writer=RunWriter(run), control=TrainControl(), emit=seen.append, target=3)
    Steering(state).apply(Command("c1", "more", 4))
    assert seen[-1].ok and state.target == 7
    assert epochs_in(run) == 7


@pytest.mark.slow
def test_a_resumed_run_records_the_epochs_it_trains_to(tmp_path):
    from engine.cli import main
    from tests.engine.test_cli_training import write_experiment

    runs_dir = tmp_path / "runs"
    assert main(["train", str(write_experiment(tmp_path, epochs=1)), "--runs-dir", str(runs_dir)]) == 0
    run = next(runs_dir.iterdir())
    assert epochs_in(run) == 1
    assert main(["train", "--resume", str(run), "--epochs", "2", "--runs-dir", str(runs_dir)]) == 0
    assert epochs_in(run) == 3


def test_resume_without_epochs_trains_to_the_target_and_a_finished_run_asks(tmp_path, capsys):
    from engine.errors import RunError
    from engine.runs.launch import epochs_to_resume, left_to_train

    run = many_run(tmp_path, 1)
    exp = load(run / F.EXPERIMENT)
    exp.fit.epochs = 5  # `more` raised the target to 5; the run stopped before it got there
    save(exp, run / F.EXPERIMENT)
    done = epochs_to_resume(run.name, 5, 3, None)
    assert done == 2 and epochs_to_resume(run.name, 5, 3, 4) == 4
    assert left_to_train(run, 7) == 7
    trained = json.loads((run / F.METRICS).read_text())["epochs"]
    assert trained < 5 and left_to_train(run, None) == 5 - trained
    with pytest.raises(RunError) as err:
        epochs_to_resume(run.name, 5, 5, None)
    assert "all 5 epochs" in err.value.problem and "--epochs N" in err.value.fix
