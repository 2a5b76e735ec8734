"""Training on streamed data (issue 21): a tiny words model (ids memory-mapped, fit on tf.data)
and a tiny n-grams model (texts through the string model in every batch) train end to end
with a known number of steps, save string-in models, and load data under an address-space
limit that the in-memory loader exceeds."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine.data import load_dataset
from engine.experiment import CompileConfig, DataConfig, Experiment, FitConfig, LayerSpec, SplitConfig, VectorizeConfig
from engine.training import Started, Trainer

pytestmark = pytest.mark.slow

WORDS = ["great", "fine", "awful", "boring", "superb", "dull", "plot", "acting", "film", "the"]


def write_reviews(path: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    lines = ["review,label"]
    for i in range(n):
        good = i % 2
        words = rng.choice(WORDS[:2] if good else WORDS[2:4], 3).tolist() + rng.choice(WORDS[6:], 4).tolist()
        lines.append(f"{' '.join(words)} <br />,{'pos' if good else 'neg'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def experiment(path: Path, kind: str) -> Experiment:
    layers = {
        "ngrams": [LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        "chars": [LayerSpec("GRU", {"units": 4}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
    }.get(kind, [LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("GlobalAveragePooling1D", {}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})])
    return Experiment(
        data=DataConfig(source="csv", path=str(path), stream=True, clean=["html"], split=SplitConfig(validation=0.2, test=0.1, seed=3)),
        vectorize=VectorizeConfig(kind=kind, max_tokens=40, length=20 if kind == "chars" else 8),
        layers=layers,
        compile=CompileConfig(optimizer="adam", learning_rate=0.05),
        fit=FitConfig(epochs=2, batch_size=16, seed=1),
        base_dir=path.parent,
    )


@pytest.mark.parametrize("kind", ["words", "ngrams", "nb"])
def test_a_streamed_run_trains_with_known_steps_and_saves_a_string_model(tmp_path, kind):
    import keras

    from engine.training import Predictor

    nb, kind = kind == "nb", "ngrams" if kind == "nb" else kind
    exp = experiment(write_reviews(tmp_path / "r.csv", 300), kind)
    if nb:
        exp.vectorize.output_mode = "nb"
    ds = load_dataset(exp)
    assert ds.streamed
    events: list = []
    result = Trainer(exp, ds, runs_dir=tmp_path / "runs", listener=events.append, steer=False).run()
    started = next(e for e in events if isinstance(e, Started))
    assert started.steps_per_epoch == math.ceil(len(ds.train) / 16) and started.samples == len(ds.train)
    assert "streaming r.csv" in started.pipeline
    assert result.status == "finished" and result.epochs == 2
    if kind == "words":
        ids = np.load(result.run_dir / "stream-ids" / "train.npy", mmap_mode="r")
        assert ids.shape == (len(ds.train), 8) and ids.dtype == np.int32
    # best.keras takes raw text, and its vocabulary is the one an in-memory adapt finds
    model = keras.models.load_model(result.run_dir / "best.keras", safe_mode=False)
    tv = model.get_layer("vectorize")
    memory = keras.layers.TextVectorization(max_tokens=40, standardize=tv._standardize, ngrams=2 if kind == "ngrams" else None, output_mode="tf_idf" if kind == "ngrams" else "int")
    memory.adapt(np.asarray([t.replace("<br />", " ") for t in ds.train.texts], dtype=object))
    assert tv.get_vocabulary()[: len(memory.get_vocabulary())] == memory.get_vocabulary()
    if nb:  # the ratios of one counting pass over the stream are those of the texts in memory
        from engine.vectorize import nb_ratios

        texts = [t.replace("<br />", " ") for t in ds.train.texts]
        want = nb_ratios(exp.vectorize, tv.get_vocabulary(), texts, ds.train.labels, len(memory.get_vocabulary()))
        np.testing.assert_allclose(model.get_layer("nb_scale").ratio, want, rtol=1e-5, atol=1e-6)
        assert "nb ratios counted over all of them" in started.pipeline
    probs = Predictor.from_run(result.run_dir).probabilities(["great fine plot", "awful boring film"])
    assert probs.shape == (2, 2) and probs[0, 1] > probs[1, 1]
    if kind == "words":  # the test split and a file are evaluated a chunk at a time
        from engine.cli.eval_cmd import file_split
        from engine.runs import RunStore
        from engine.training import evaluate

        result_eval = evaluate(result.run_dir, ds)
        assert result_eval.samples == len(ds.test) > 0
        run = RunStore(tmp_path / "runs").load(result.run_dir.name)
        split = file_split(run, str(tmp_path / "r.csv"))
        assert hasattr(split.texts, "chunks") and len(split) == 300
        assert evaluate(run, split).samples == 300


def test_more_training_texts_than_the_shuffle_buffer_are_kept_once_and_read_mixed(tmp_path, monkeypatch):
    """An n-grams run on a file sorted by class, with more training rows than the buffer
    holds: its texts are kept on disk for the run (no copy left after it) and every epoch's
    batches mix the classes from the first one (through the buffer they came one class at a
    time)."""
    from engine.training import streamed

    monkeypatch.setattr(streamed, "TEXT_SHUFFLE", 50)
    path = write_reviews(tmp_path / "r.csv", 400)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], *sorted(lines[1:], key=lambda line: line.endswith(",pos"))]) + "\n")
    exp = experiment(path, "ngrams")
    ds = load_dataset(exp)
    events: list = []
    result = Trainer(exp, ds, runs_dir=tmp_path / "runs", listener=events.append, steer=False).run()
    started = next(e for e in events if isinstance(e, Started))
    assert result.status == "finished" and "kept on disk for this run" in started.pipeline
    assert not list((result.run_dir / "stream-ids").iterdir())  # read through its descriptor, gone once the run is

    from engine.progress import Counter, silent
    from engine.training import text_store

    reader = text_store.write(ds.train.texts.chunks(), len(ds.train), tmp_path / "kept", "t", Counter(silent, "keeping", len(ds.train)))
    y = np.asarray(ds.train.labels)
    first = [int(b[1].numpy().mean() * 100) for b in streamed.texts_dataset(ds.train.texts, y, 16, 1, shuffle=True, store=reader).take(3)]
    through_buffer = [int(b[1].numpy().mean() * 100) for b in streamed.texts_dataset(ds.train.texts, y, 16, 1, shuffle=True).take(3)]
    assert all(0 < share < 100 for share in first), first
    assert all(share in (0, 100) for share in through_buffer), through_buffer  # the hazard it fixes


CHILD = textwrap.dedent(
    """
    import resource, sys
    from engine.experiment import DataConfig, Experiment
    from engine.data import load_dataset
    import pandas, numpy, pyarrow  # the baseline holds the libraries the loaders use
    import engine.data.stream, engine.data.tables, engine.data.table_read
    def vm():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    margin = int(sys.argv[3]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (vm() + margin, resource.RLIM_INFINITY))
    exp = Experiment(data=DataConfig(source="csv", path=sys.argv[1], stream=sys.argv[2] == "stream"))
    try:
        ds = load_dataset(exp)
        n = sum(len(t) for s in ds.splits().values() for t in s.texts)
    except MemoryError:
        print("MemoryError")
        sys.exit(3)
    print("read", len(ds.train) + len(ds.validation) + len(ds.test), n)
    """
)


def test_a_streamed_chars_run_learns_its_alphabet_from_the_stream(tmp_path):
    import keras

    exp = experiment(write_reviews(tmp_path / "r.csv", 120), "chars")
    exp.fit.epochs = 1
    ds = load_dataset(exp)
    result = Trainer(exp, ds, runs_dir=tmp_path / "runs", steer=False).run()
    model = keras.models.load_model(result.run_dir / "best.keras", safe_mode=False)
    alphabet = model.get_layer("vectorize").get_vocabulary()[2:]
    assert "".join(alphabet) == "".join(sorted(set("".join(ds.train.texts))))
    assert np.load(result.run_dir / "stream-ids" / "train.npy", mmap_mode="r").shape == (len(ds.train), 20)


def test_streamed_data_loads_under_an_address_space_limit_the_in_memory_path_exceeds(tmp_path):
    """A 150 MB CSV under (the loaders' libraries + 200 MB) of address space: the in-memory
    loader runs out, the streamed one reads every row. TensorFlow is not loaded: its
    reservations would make the limit measure TensorFlow, not the data."""
    path = tmp_path / "big.csv"
    row = "word " * 100
    with open(path, "w") as fh:
        fh.write("text,label\n")
        for i in range(300_000):
            fh.write(f"{row}{i},{'ab'[i % 2]}\n")
    assert path.stat().st_size > 150_000_000
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    streamed = subprocess.run([sys.executable, str(script), str(path), "stream", "200"], capture_output=True, text=True, env=env, timeout=300)
    assert streamed.returncode == 0, streamed.stderr[-2000:]
    assert streamed.stdout.startswith("read 300000 ")
    memory = subprocess.run([sys.executable, str(script), str(path), "memory", "200"], capture_output=True, text=True, env=env, timeout=300)
    assert memory.returncode != 0 and ("MemoryError" in memory.stdout + memory.stderr or "memory" in memory.stderr.lower()), (memory.stdout, memory.stderr[-2000:])
