"""What a starting run says it is doing: the progress hook the loaders take, the run
writer's `phase` in metrics.json, and how `kerminal train` and `kerminal runs` show it.
No training here (see test_run_once.py for a real run's phases)."""

from __future__ import annotations

import json
from pathlib import Path

from engine.cli.runs_cmd import format_table
from engine.cli.train_cmd import PhaseThrottle
from engine.data import load_dataset
from engine.data.folders import load_folder
from engine.data.tables import load_csv, load_per_class
from engine.experiment import loads
from engine.progress import Counter, complete, step_of
from engine.runs import folder as F
from engine.runs import reader
from engine.runs.status import Status
from engine.runs.writer import RunWriter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def experiment(tmp_path: Path, data: str):
    return loads(f'version = 1\nname = "phases"\n\n[data]\n{data}\n\n[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n', tmp_path)


def test_a_counter_says_every_hundredth_and_the_end():
    said: list[str] = []
    tick = Counter(said.append, "reading files", 25_000)
    for n in range(1, 25_001):
        tick(n)
    assert len(said) == 101
    assert said[1] == "reading files 250/25,000" and said[-1] == "reading files 25,000/25,000"
    small: list[str] = []
    tick = Counter(small.append, "vectorizing texts", 3)
    for n in (1, 2, 3):
        tick(n)
    assert small == ["vectorizing texts 1/3", "vectorizing texts 2/3", "vectorizing texts 3/3"]


def test_a_step_is_its_words_without_the_counts():
    assert step_of("reading files 12,000/25,000") == step_of("reading files 13,000/25,000") == "reading files"
    assert step_of("adapting the vectorizer to 5,000 texts") != step_of("building the model")
    assert complete("vectorizing texts 240/240") and not complete("vectorizing texts 180/240") and not complete("building the model")


def test_the_folder_loader_counts_the_files_it_reads(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for cls in ("neg", "pos"):
            folder = tmp_path / "reviews" / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}.txt").write_text(f"{cls} review {i}")
    exp = experiment(tmp_path, 'source = "folder"\npath = "reviews"')
    said: list[str] = []
    raw = load_folder(exp, said.append)
    assert len(raw.texts) == 6
    assert said[0] == "reading files 1/10" and said[-1] == "reading files 10/10"
    assert len(load_folder(exp).texts) == 6  # without a listener, as before
    said.clear()
    dataset = load_dataset(exp, said.append)
    assert len(dataset.train) + len(dataset.validation) + len(dataset.test) == 10
    assert said[0] == "reading the folder data" and said[-1] == "cleaning and splitting 6 rows"


def test_the_table_loaders_say_what_they_parse(tmp_path):
    (tmp_path / "t.csv").write_text("text,label\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(7)))
    said: list[str] = []
    load_csv(experiment(tmp_path, 'source = "csv"\npath = "t.csv"'), said.append)
    assert said == ["parsing t.csv", "parsed 7 rows of t.csv"]
    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text("text\none\ntwo\n")
    said.clear()
    load_per_class(experiment(tmp_path, 'source = "per-class"\nfiles = { a = "a.csv", b = "b.csv" }'), said.append)
    assert said == ["parsing a.csv (file 1/2)", "parsing b.csv (file 2/2)"]


def starting_writer(tmp_path: Path) -> RunWriter:
    path = tmp_path / "runs" / "20260101-000000-phases"
    path.mkdir(parents=True)
    writer = RunWriter(path)
    writer.metrics({"kerminal_run": F.FORMAT, "name": "phases", "status": Status.STARTING, "epochs": 0, "target": 2})
    return writer


def test_the_writer_writes_a_new_step_at_once_and_counts_at_most_twice_a_second(tmp_path):
    writer = starting_writer(tmp_path)
    clock = writer.clock = FakeClock()

    def written() -> str:
        return json.loads((writer.path / F.METRICS).read_text())["phase"]

    writer.phase("reading files 1/10")
    assert written() == "reading files 1/10"
    clock.now += 0.1
    writer.phase("reading files 2/10")
    assert written() == "reading files 1/10"  # kept for the next heartbeat
    writer.phase("adapting the vectorizer")
    assert written() == "adapting the vectorizer"  # a new step
    writer.phase("vectorizing texts 1/3")
    clock.now += 0.1
    writer.phase("vectorizing texts 2/3")
    assert written() == "vectorizing texts 1/3"
    clock.now += 0.6
    writer.phase("vectorizing texts 2/3")
    assert written() == "vectorizing texts 2/3"
    writer.phase("vectorizing texts 3/3")
    assert written() == "vectorizing texts 3/3"  # a finished count is never held back
    writer.beat()
    info = reader.read_info(writer.path)
    assert info.status == Status.STARTING and info.phase == "vectorizing texts 3/3"
    assert "starting (vectorizing texts 3/3)" in format_table([info])


def test_a_run_that_is_not_starting_has_no_phase_to_show(tmp_path):
    writer = starting_writer(tmp_path)
    writer.phase("building the model")
    writer.metrics({**reader.read_meta(writer.path), "status": Status.RUNNING})
    info = reader.read_info(writer.path)
    assert info.status == Status.RUNNING and info.phase == ""
    assert "building" not in format_table([info])


def test_train_prints_each_new_step_and_a_count_at_most_once_a_second():
    clock = FakeClock()
    throttle = PhaseThrottle(clock=clock)
    shown = [d for d in ("reading files 1/10", "reading files 2/10", "adapting the vectorizer", "adapting the vectorizer") if throttle.due(d)]
    assert shown == ["reading files 1/10", "adapting the vectorizer"]
    clock.now += 0.5
    assert not throttle.due("adapting the vectorizer") and throttle.due("vectorizing texts 1/4") and not throttle.due("vectorizing texts 2/4")
    clock.now += 1.0
    assert throttle.due("vectorizing texts 3/4")
    assert throttle.due("vectorizing texts 4/4")  # done: said even within the second
