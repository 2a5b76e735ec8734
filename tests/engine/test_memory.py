"""Finding 8 of issue 18: a stack too big for the free memory is warned about (inspect, the
Layers pane) and refused by train before TensorFlow tries; an out-of-memory error in training
reads as a TrainingError with a fix, never as TensorFlow's text."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from engine import memory
from engine.dataset import Dataset, Split
from engine.errors import TrainingError
from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig, loads

GB = 1000**3
TF_OOM = (
    "{{function_node __inference_<lambda>_309}} OOM when allocating tensor with shape[512,8854874] and type int64 "
    "on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu\n\t [[{{node vectorizer_1/vectorize_1/RaggedToTensor}}]]"
)


class ResourceExhaustedError(Exception):
    """Named as TensorFlow's (tf.errors.ResourceExhaustedError), without loading TensorFlow."""


def _experiment(max_tokens: int, optimizer: str = "adam") -> Experiment:
    return Experiment(
        name="big",
        vectorize=VectorizeConfig(kind="words", max_tokens=max_tokens, length=8),
        layers=[LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("GRU", {"units": 8}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer=optimizer, learning_rate=0.01, loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=1, batch_size=8, seed=1),
    )


def _dataset() -> Dataset:
    texts = [("good fine film" if i % 2 else "bad dull film") for i in range(24)]
    y = np.asarray([i % 2 for i in range(24)], dtype=np.int64)
    return Dataset("d", ["neg", "pos"], Split(texts[:18], y[:18]), Split(texts[18:], y[18:]))


def test_a_stack_that_cannot_fit_is_warned_about_with_the_figures(monkeypatch):
    from engine.layers import validate_experiment

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 20 * GB)
    report = validate_experiment(_experiment(1_000_000_000))
    assert report.total == 8_000_000_441
    [warning] = report.warnings
    assert "8.0 billion parameters need ~96.0 GB with Adam's state; 20.0 GB free" in warning
    assert "Fix: lower vectorize.max_tokens or the Embedding's output_dim" in warning
    assert report.ok  # a warning, not an error: the stack itself is valid
    assert not validate_experiment(_experiment(1000)).warnings  # a normal stack: nothing said


def test_no_warning_when_free_memory_cannot_be_read(monkeypatch):
    from engine.layers import validate_experiment

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: None)
    assert not validate_experiment(_experiment(1_000_000_000)).warnings
    assert memory.too_big(10**12, "adam") is None


@pytest.mark.parametrize("optimizer, copies", [("adam", 3), ("adamw", 3), ("rmsprop", 2), ("sgd", 1)])
def test_optimizer_state_counts(optimizer, copies):
    assert memory.parameter_bytes(1000, optimizer) == 4000 * copies


def test_inspect_warns_and_says_train_would_refuse(tmp_path, monkeypatch, capsys):
    from engine.cli import inspect_cmd

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 20 * GB)
    (tmp_path / "d.csv").write_text("text,label\n" + "".join(f"good film {i},pos\nbad film {i},neg\n" for i in range(5)))
    path = tmp_path / "exp.toml"
    path.write_text(
        'version = 1\nname = "big"\n[data]\nsource = "csv"\npath = "d.csv"\n[vectorize]\nmax_tokens = 1000000000\nlength = 8\n'
        '[[layers]]\ntype = "Embedding"\noutput_dim = 8\n[[layers]]\ntype = "GRU"\nunits = 8\n[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n'
        '[compile]\noptimizer = "adam"\n'
    )
    loads(path.read_text())  # the file itself is valid
    parser = argparse.ArgumentParser()
    inspect_cmd.add_arguments(parser)
    with pytest.raises(TrainingError) as info:
        inspect_cmd.run(parser.parse_args([str(path)]))
    out = capsys.readouterr().out
    assert "Total params: 8,000,000,441" in out
    assert "warning: 8.0 billion parameters need ~96.0 GB with Adam's state; 20.0 GB free" in out
    assert "too big to train" in str(info.value) and "vectorize.max_tokens" in str(info.value)


def test_train_refuses_a_stack_that_cannot_fit_before_tensorflow_allocates(tmp_path, monkeypatch):
    from engine.training import Trainer

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 1_000_000)  # 1 MB free
    trainer = Trainer(_experiment(100_000), _dataset(), tmp_path, listener=lambda e: None)  # 800,000 weights: 9.6 MB with Adam
    with pytest.raises(TrainingError) as info:
        trainer.run()
    assert info.value.problem.startswith("The layer stack is too big to train: 800,")
    assert "parameters need ~9.6 MB with Adam's state; 1.0 MB free" in info.value.problem
    assert "vectorize.max_tokens" in info.value.fix and "output_dim" in info.value.fix
    assert trainer.model is None  # refused before anything was built


@pytest.mark.slow
def test_train_goes_on_when_free_memory_cannot_be_read(tmp_path, monkeypatch):
    from engine.training import Trainer

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: None)
    assert Trainer(_experiment(100), _dataset(), tmp_path, listener=lambda e: None).run().status == "finished"


def test_tensorflow_out_of_memory_reads_as_a_training_error_with_a_fix():
    from engine.training.failures import keras_failure, vectorize_failure

    err = keras_failure(ResourceExhaustedError(TF_OOM), 2, None)
    assert isinstance(err, TrainingError)
    assert err.problem.startswith("Out of memory in epoch 2: TensorFlow could not allocate a (512, 8,854,874) int64 tensor (36.3 GB)")
    assert "function_node" not in str(err) and "job:localhost" not in str(err)
    assert "fit.batch_size" in err.fix
    before = vectorize_failure(ResourceExhaustedError(TF_OOM))
    assert before.problem.startswith("Out of memory while vectorizing the texts: TensorFlow could not allocate") and "vectorize.length" in before.fix
    assert keras_failure(MemoryError(), 1, None).problem.startswith("Out of memory in epoch 1: the computer ran out of memory")


def test_an_out_of_memory_error_while_vectorizing_is_a_training_error(tmp_path, monkeypatch):
    from engine.training import Trainer, numeric

    def exhausted(*args, **kwargs):
        raise ResourceExhaustedError(TF_OOM)

    monkeypatch.setattr(numeric, "vectorize", exhausted)
    with pytest.raises(TrainingError, match="Out of memory while vectorizing the texts"):
        Trainer(_experiment(100), _dataset(), tmp_path, listener=lambda e: None).run()
