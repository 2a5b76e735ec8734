"""`kerminal export RUN --script FILE | --format saved_model|onnx DIR [--json]`.

--script writes the run as a plain Keras training script (no kerminal import) that loads the
same data, vectorizes, builds the same layers and trains with the same settings.
--format saved_model writes the trained model (raw strings in, probabilities out) as a
TensorFlow SavedModel via Keras's `model.export`; onnx only where tf2onnx and onnx are
installed. See engine/export.py.
"""

from __future__ import annotations

import argparse
import json

from engine.cli.train_cmd import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or a run id under --runs-dir")
    parser.add_argument("dir", metavar="DIR", nargs="?", help="with --format: the folder to write (must not exist, or be empty)")
    parser.add_argument("--script", metavar="FILE", help="write a plain Keras training script to FILE")
    parser.add_argument("--format", choices=("saved_model", "onnx"), help="write the trained model for serving into DIR")
    parser.add_argument("--model", choices=("best", "last"), default="best", help="with --format: which saved model (default: best)")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from engine.cli import UsageError
    from engine.export import export_saved_model, export_script
    from engine.training import RunStore

    if bool(args.script) == bool(args.format):
        raise UsageError("give either --script FILE or --format FORMAT DIR.", "See `kerminal export --help`.")
    if args.format and not args.dir:
        raise UsageError(f"--format {args.format} needs a folder to write: kerminal export RUN --format {args.format} DIR.", "See `kerminal export --help`.")
    if args.script and args.dir:
        raise UsageError(f"unexpected argument {args.dir!r}: --script takes the file name.", "See `kerminal export --help`.")
    path = RunStore(args.runs_dir).path_of(args.run)
    if args.script:
        out = export_script(path, args.script)
        what = {"run": str(path), "script": str(out)}
        text = f"wrote {out}: a plain Keras script; run it with `python {out}`"
    else:
        out = export_saved_model(path, args.dir, args.format, which=args.model)
        what = {"run": str(path), "format": args.format, "dir": str(out)}
        text = f"wrote {out} ({args.format}): its serve endpoint takes a (batch, 1) string tensor and returns probabilities; class names in {out}/kerminal_export.json"
    print(json.dumps(what) if args.json else text)
    return 0
