"""Models that leave kerminal: a saved run as a plain Keras training script, or as a
TensorFlow SavedModel for serving.

    export_script(run_path, out_path)                       -> the script's path
    export_saved_model(run_path, out_dir, format="saved_model")  -> the folder's path

`script_text` writes a readable script with no kerminal import: it loads the same data
source (the same file, columns, cleaning and seeded stratified split), vectorizes the texts
the same way (the same TextVectorization settings and standardization; padding and
truncation with `keras.utils.pad_sequences`), builds the same layers with the same
parameters (the two attention layers are defined in the script), compiles and trains with
the same optimizer, loss, metrics, epochs, batch size, seed and early stopping, and prints
the parameter count and the validation accuracy as a last JSON line.

Nothing from the run becomes code: every value the script carries (labels, columns, paths,
layer parameters) is a Python literal (repr), and the experiment's name and the run's folder
appear only in comment lines, with control characters escaped (engine.terminal_text), after
the first two lines (where Python reads an encoding declaration). `export_script` parses the
script before writing it and raises RunError if it does not parse.

Both refuse a run that failed, is still training, or has no finite epoch (KerminalError with
the fix). TensorFlow is imported only by `export_saved_model`.

A little over 400 lines: the script is one template, best read top to bottom as the
user will read what it writes; its data part is export_data.py.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import KerminalError
from engine.experiment import Experiment
from engine.export_data import data_code
from engine.runs.status import Status
from engine.vectorize import uses_nb

if TYPE_CHECKING:  # pragma: no cover
    from engine.data.table_format import TableRead
    from engine.layers.report import LossPlan, Report
    from engine.runs.reader import RunInfo
    from engine.vectorize import InputSpec

FORMATS = ("saved_model", "onnx")
SCRIPT_SOURCES = ("sample", "csv", "per-class")


class ExportError(KerminalError):
    """A run cannot be exported: failed, NaN, an unsupported source, a bad target path."""


# ---------------------------------------------------------------------------------------
# Checks shared by both exports


def _exportable_run(run_path: str | os.PathLike[str]) -> tuple[Path, RunInfo]:
    """The run folder and its RunInfo, if it finished at least one finite epoch."""
    from engine.training import RunStore

    path = Path(run_path)
    store = RunStore(path.parent)
    path = store.check(path)
    info = store.info(path)
    if info.status == Status.RUNNING:
        raise ExportError(f"{path} is being trained right now.", "Wait for it to finish (or stop it), then export it.")
    if info.status == Status.FAILED:
        raise ExportError(f"{path} failed, so it has no model worth exporting.", "Fix what its log says and train it again, then export the new run.")
    values = [v for v in info.metrics.values() if isinstance(v, (int, float))]
    if info.epochs < 1 or not values or any(not math.isfinite(float(v)) for v in values) or (info.best_value is not None and not math.isfinite(float(info.best_value))):
        raise ExportError(
            f"{path} has no finished epoch with finite metrics (its loss became NaN or no epoch finished).",
            "Lower compile.learning_rate (or pick another optimizer), train again, and export that run.",
        )
    return path, info


def _writable_file(out: Path) -> Path:
    if out.is_dir():
        raise ExportError(f"{out} is a folder.", "Give a file name for the script, for example train.py.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.", f"Create it first (mkdir -p {out.parent}) or write the script into an existing folder.")
    return out


def _new_folder(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} already exists and is not an empty folder.", "Give a new folder name for the exported model, or remove that one.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.", f"Create it first (mkdir -p {out.parent}) or export into an existing folder.")
    return out


# ---------------------------------------------------------------------------------------
# The script


def export_script(run_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Write the run's experiment as a plain Keras script at out_path; returns the path."""
    from engine.experiment import atomic_write_text
    from engine.experiment import load as load_experiment

    path, info = _exportable_run(run_path)
    out = _writable_file(Path(out_path))
    exp = load_experiment(path / "experiment.toml")
    text = script_text(exp, info.class_names, source_run=path, reads=recorded_reads(path))
    _check_parses(text, path)
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise ExportError(f"Cannot write {out}: {exc.strerror or exc}.", "Give a path you can write to.") from None
    return out


def _check_parses(text: str, run: Path) -> None:
    """RunError unless `text` is a Python script (read as UTF-8 bytes, as `python` reads it)."""
    from engine.errors import RunError
    from engine.terminal_text import printable

    try:
        ast.parse(text.encode("utf-8"), filename="<exported script>")
    except (SyntaxError, ValueError, UnicodeEncodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise RunError(
            f"The script exported from {printable(str(run))} is not valid Python{where}: {printable(str(exc))}. No script was written.",
            "This is a bug in kerminal's exporter: report it with the run's experiment.toml; meanwhile export with --format saved_model.",
        ) from None


def recorded_reads(run: Path) -> list[TableRead] | None:
    """How the run's loader read its tables (engine.data.table_format.TableRead), from the
    run folder's record; None when it has none (a run by an older kerminal, a source without
    tables). The folder is hostile input: a record that is a link, a FIFO, over its cap, not
    JSON or not of the record's shape is an ExportError naming the file."""
    from engine.data.table_format import from_record
    from engine.runs import folder, safe
    from engine.terminal_text import printable

    file = run / folder.DATA_FORMAT
    try:
        raw = json.loads(safe.read_text(file, safe.SMALL_CAP))
        return from_record(raw)[1]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # UnsafeFile, UnicodeDecodeError, JSONDecodeError
        raise ExportError(
            f"{printable(str(file))} is damaged: {printable(str(exc))[:300]}.",
            f"Delete {folder.DATA_FORMAT} to export with the format resolved from the data file as it is now, or train the run again.",
        ) from None


def _script_refusal(exp: Experiment) -> ExportError | None:
    """Why this experiment's run cannot be written as a script; None when it can."""
    if exp.data.source not in SCRIPT_SOURCES:
        return ExportError(
            f"export --script writes data loaders for the {', '.join(SCRIPT_SOURCES[:-1])} and {SCRIPT_SOURCES[-1]} sources; this run reads data.source = {exp.data.source!r}.",
            "Export the trained model with --format saved_model instead, or train from a CSV file and export that run.",
        )
    if exp.vectorize.kind == "chars":
        return ExportError("export --script does not write the chars vectorizer yet.", "Export the trained model with --format saved_model instead.")
    return None


@dataclass(frozen=True)
class ExportOption:
    """One way to export a run: kind is "script", "saved_model" or "onnx"; `reason` says why
    the run cannot be exported that way ("" when it can)."""

    kind: str
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return not self.reason


def export_options(run_path: str | os.PathLike[str]) -> list[ExportOption]:
    """The exports a run allows, each with the reason when it does not: what an app offers.
    Cheap (reads the run's files, no TensorFlow)."""
    from engine.experiment import load as load_experiment

    kinds = ("script", *FORMATS)
    try:
        path, _info = _exportable_run(run_path)
        exp = load_experiment(path / "experiment.toml")
    except KerminalError as exc:
        return [ExportOption(k, _reason(exc)) for k in kinds]
    script = _script_refusal(exp)
    if script is None:
        try:
            recorded_reads(path)
        except ExportError as exc:
            script = exc
    missing = [m for m in ("tf2onnx", "onnx") if importlib.util.find_spec(m) is None]
    return [
        ExportOption("script", _reason(script) if script else ""),
        ExportOption("saved_model"),
        ExportOption("onnx", f"ONNX export needs {' and '.join(missing)} (pip install {' '.join(missing)})." if missing else ""),
    ]


def _reason(exc: KerminalError) -> str:
    return f"{exc.problem} {exc.fix}".strip()


def script_text(exp: Experiment, class_names: list[str], source_run: Path | None = None, reads: list[TableRead] | None = None) -> str:
    """The plain Keras script for an experiment (no TensorFlow needed to write it). `reads`:
    how the run's loader read its tables (`recorded_reads`); None resolves that again from
    the files as they are now (and the script says so)."""
    from engine.layers.validate import _spec_for, validate

    refusal = _script_refusal(exp)
    if refusal is not None:
        raise refusal
    v = exp.vectorize
    spec = _spec_for(exp)
    report = validate(exp.layers, spec, len(class_names), exp.compile, v.padding)
    if not report.ok or report.loss is None:
        raise ExportError("The run's layer stack no longer validates: " + (report.errors[0] if report.errors else "no head."), "Fix it in the experiment, train again, and export that run.")
    plan = report.loss
    parts = [_header(exp, source_run), _imports(report), data_code(exp, class_names, reads), _vectorize_code(exp)]
    if any(r.type in ("TokenAndPositionEmbedding", "TransformerEncoder") for r in report.rows):
        parts.append(_attention_code(report))
    parts.append(_model_code(exp, report, spec, plan))
    parts.append(_train_code(exp, plan))
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def _header(exp: Experiment, run: Path | None) -> str:
    """The script's opening: the experiment's name and the run's folder only in comments,
    with control characters escaped (a name holding \"\"\" and code stays a comment), and
    never on the first two lines, where Python reads an encoding declaration."""
    from engine.terminal_text import printable

    where = [f"# Exported from the kerminal run {printable(str(run))}"] if run else []
    return "\n".join([
        "# A plain Keras training script, exported by kerminal.",
        "# Every value below that came from the run is a Python literal.",
        f"# Experiment: {printable(exp.name)}",
        *where,
        '''"""A plain Keras training script, exported from a kerminal run (named above).

It needs only pandas, numpy, TensorFlow and Keras 3: it loads the same data, vectorizes it the
same way, builds the same layers, and trains with the same settings; its last line of output
is JSON: the parameter count, the epochs run and the validation accuracy.
"""''',
    ])


def _imports(report: Report) -> str:
    return """import io
import json

import numpy as np
import pandas as pd
import tensorflow as tf
import keras
from keras import layers"""


_STANDARDIZE = r'''def standardize(texts):
    """Keras's default standardization, with control characters and line separators as spaces."""
    texts = tf.strings.lower(texts)
    texts = tf.strings.regex_replace(texts, r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']', "")
    return tf.strings.regex_replace(texts, r"[\x{0}-\x{1f}\x{7f}-\x{9f}\x{2028}\x{2029}]", " ")'''


# engine.vectorize.nb_ratios, in numpy on the dense training bags the script already holds.
_NB_CODE = '''# nb (NBSVM, Wang & Manning 2012): each n-gram's column times its log-count ratio
# r = log((p / sum(p)) / (q / sum(q))), p = ALPHA + the training texts of class 1 that hold it,
# q the same for class 0; counted on the vocabulary, the padding columns after it get 0.
ALPHA = 1.0
n = vectorizer.vocabulary_size()
p = ALPHA + x_train[y_train == 1, :n].sum(axis=0, dtype="float64")
q = ALPHA + x_train[y_train == 0, :n].sum(axis=0, dtype="float64")
ratio = np.zeros(MAX_TOKENS, dtype="float32")
ratio[:n] = np.log((p / p.sum()) / (q / q.sum()))
x_train *= ratio
x_val *= ratio
'''


def _vectorize_code(exp: Experiment) -> str:
    v = exp.vectorize
    if v.kind == "ngrams":
        nb = uses_nb(v)
        mode = "\"multi_hot\"" if nb else "OUTPUT_MODE"  # nb: present or not, then scaled below
        return f'''# ---- vectorize: a bag of word n-grams, one vector of MAX_TOKENS per text ----
MAX_TOKENS, NGRAMS, OUTPUT_MODE = {v.max_tokens!r}, {v.ngrams!r}, {v.output_mode!r}


{_STANDARDIZE}


vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS, standardize=standardize, ngrams=NGRAMS,
                                      output_mode={mode}, pad_to_max_tokens=True)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(1024))


def as_vectors(texts):
    """Texts -> (n, MAX_TOKENS) floats, in chunks (the whole matrix is n x MAX_TOKENS floats)."""
    return np.concatenate([np.asarray(vectorizer(tf.constant(texts[i:i + 1024])), dtype="float32") for i in range(0, len(texts), 1024)])


x_train, x_val = as_vectors(train_texts), as_vectors(val_texts)
{_NB_CODE if nb else ""}INPUT_SHAPE, INPUT_DTYPE = (MAX_TOKENS,), "float32"'''
    return f'''# ---- vectorize: word ids, padded and cut to LENGTH --------------------------
MAX_TOKENS, LENGTH, PADDING, TRUNCATION = {v.max_tokens!r}, {v.length!r}, {v.padding!r}, {v.truncation!r}


{_STANDARDIZE}


vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS, standardize=standardize, ragged=True)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(1024))


def as_ids(texts):
    ids = vectorizer(tf.constant(texts)).to_list()
    return keras.utils.pad_sequences(ids, maxlen=LENGTH, padding=PADDING, truncating=TRUNCATION, dtype="int32")


x_train, x_val = as_ids(train_texts), as_ids(val_texts)
INPUT_SHAPE, INPUT_DTYPE = (LENGTH,), "int32"'''


def _attention_code(report: Report) -> str:
    from engine import keras_layers

    out = ["# ---- the attention layers (plain Keras layers) ------------------------------"]
    for cls in (keras_layers.TokenAndPositionEmbedding, keras_layers.TransformerEncoder):
        if any(r.type == cls.__name__ for r in report.rows):
            src = inspect.getsource(cls)
            src = src.replace('@keras.saving.register_keras_serializable(package="kerminal")\n', '@keras.saving.register_keras_serializable(package="exported")\n')
            out.append(src.rstrip())
    return "\n\n\n".join(out)


def _model_code(exp: Experiment, report: Report, spec: InputSpec, plan: LossPlan) -> str:
    from engine.layers.build import model_name, stack_calls

    # The same calls build makes, printed: one description, two uses.
    stack = "\n".join(f"x = {call.code()}(x)" for call in stack_calls(report, spec))
    c = exp.compile
    optimizer = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD", "adamw": "AdamW"}[c.optimizer]
    lr = "" if c.learning_rate is None else f"learning_rate={c.learning_rate!r}"
    loss = {"binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy", "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}[plan.loss]
    metrics = []
    for m in dict.fromkeys("accuracy" if m == "acc" else m for m in c.metrics):
        if m == "accuracy":
            metrics.append({"binary": f"keras.metrics.BinaryAccuracy(name='accuracy', threshold={0.0 if plan.from_logits else 0.5})",
                            "sparse": "keras.metrics.SparseCategoricalAccuracy(name='accuracy')",
                            "onehot": "keras.metrics.CategoricalAccuracy(name='accuracy')"}[plan.labels])
        elif m == "auc":
            metrics.append(f"keras.metrics.AUC(name='auc', from_logits={plan.from_logits!r})")
        else:
            metrics.append(f"keras.metrics.{m.capitalize()}(name={m!r})")
    return f'''# ---- the model -----------------------------------------------------------
SEED = {exp.fit.seed!r}
keras.utils.set_random_seed(SEED)
inputs = keras.Input(shape=INPUT_SHAPE, dtype=INPUT_DTYPE, name="inputs")
x = inputs
{stack}
model = keras.Model(inputs, x, name={model_name(exp.name)!r})
model.compile(
    optimizer=keras.optimizers.{optimizer}({lr}),
    loss=keras.losses.{loss}(from_logits={plan.from_logits!r}),
    metrics=[{", ".join(metrics)}],
)
model.summary()'''


def _train_code(exp: Experiment, plan: LossPlan) -> str:
    f = exp.fit
    es = f.early_stopping
    encode = {"binary": "labels.astype('float32').reshape(-1, 1)", "sparse": "labels", "onehot": "np.eye(len(CLASS_NAMES), dtype='float32')[labels]"}[plan.labels]
    callbacks = f"[keras.callbacks.EarlyStopping(monitor={f.monitor!r}, patience={es.patience!r}, restore_best_weights={es.restore_best!r})]" if es.patience else "[]"
    return f'''# ---- training --------------------------------------------------------------
def encode(labels):
    return {encode}


EPOCHS, BATCH_SIZE = {f.epochs!r}, {f.batch_size!r}
history = model.fit(
    x_train, encode(y_train), batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True,
    validation_data=(x_val, encode(y_val)) if len(x_val) else None,
    callbacks={callbacks},
)
result = {{"params": int(model.count_params()), "epochs": len(history.history["loss"])}}
if len(x_val):
    result["val_accuracy"] = float(model.evaluate(x_val, encode(y_val), verbose=0, return_dict=True)["accuracy"])
print(json.dumps(result))'''


# ---------------------------------------------------------------------------------------
# Serving formats


def export_saved_model(run_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], format: str = "saved_model", which: str = "best") -> Path:
    """The run's model (string in, probabilities out) via Keras's `model.export`.

    saved_model: a TensorFlow SavedModel whose `serve` endpoint takes a (batch, 1) string
    tensor. onnx: only when tf2onnx and onnx are installed (Keras's ONNX export needs them)."""
    if format not in FORMATS:
        raise ExportError(f"Unknown export format {format!r}.", f"Use one of: {', '.join(FORMATS)} (or --script FILE for a training script).")
    path, _info = _exportable_run(run_path)
    out = _new_folder(Path(out_dir))
    if format == "onnx":
        missing = [m for m in ("tf2onnx", "onnx") if importlib.util.find_spec(m) is None]
        if missing:
            raise ExportError(
                f"ONNX export needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed (Keras's model.export(format=\"onnx\") uses them).",
                f"pip install {' '.join(missing)}, or export with --format saved_model.",
            )
    from engine.layers import probability_model
    from engine.training import RunStore

    run = RunStore(path.parent).load(path, which=which)
    model = probability_model(run.model, run.experiment)
    try:
        model.export(str(out), format="tf_saved_model" if format == "saved_model" else "onnx", verbose=False)
    except Exception as exc:  # noqa: BLE001  (never a traceback)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ExportError(f"Keras could not export the model as {format}: {first}", "Export with --format saved_model, or --script FILE for a training script.") from None
    # What a server needs beside the model: which output column is which class.
    meta = {"run": str(path), "class_names": run.class_names, "input": "(batch, 1) strings", "output": "class probabilities" if len(run.class_names) > 2 or int(model.output_shape[-1]) > 1 else f"probability of {run.class_names[-1]!r}"}
    (out / "kerminal_export.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return out


__all__ = ["FORMATS", "ExportError", "ExportOption", "export_options", "export_saved_model", "export_script", "script_text"]
