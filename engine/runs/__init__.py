"""Run folders: the format a training writes, one writer, one reader, and a watcher.

A run is a process that owns its folder; the folder is the whole protocol between the
training process and whoever watches or steers it (the app, `kerminal watch`, `kerminal
stop`). TF-free until a model is loaded.

- folder: the layout (file names, the runs folder, a new run's folder)
- saving: crash-consistent writes, the epoch's commit and `recover` after a kill
- reader: the readers (`read_meta`, `read_info` -> RunInfo, `read_history`, `read_events`)
- liveness: whether a process still owns a run (`live_status`: its lock and heartbeat)
- damage: what makes a run "damaged" (metrics.json values of the wrong kind, run files
  that are links or FIFOs), checked before anything reads them
- events: the typed events of events.jsonl (Started, BatchEnd, EpochEnd, Steered, ...)
- store: RunStore (list, load, delete), Run, load_model_file
- writer: RunWriter, the one writer (used by the training process)
- commands: the steering channel (`send_command` waits for the run's answer,
  `post_command` does not)
- watcher: RunWatcher folds a folder's events into Progress (the app and `kerminal watch`)
- launch: `start_run` / `resume_run` start a training as its own detached process
- status: Status, a run's state typed once, with its LIVE, ENDED and GONE sets
- query: RunIndex (a folder's runs as cached summaries), parse_filter, sort_runs,
  differing_paths: many runs at once (`kerminal runs --filter`, the Runs pane)
- grouping: group_runs(summaries, path) -> [Group(value, runs)] (`kerminal runs --group`,
  `g` in the Runs pane); completion: complete(text, summaries), a filter line's completions
- eta: Eta, the one ETA estimator (the run's EpochEnd and every watcher), and format_eta
- lock: the run lock (one process trains a run), held from creation to exit
- labels: a run's user name, note and tags (label.json), its derived name and true preset;
  short_names: tell_apart(names, width), names cut keeping what differs among them
- compare: `compare(runs)` -> Comparison (settings that differ, best metrics, layer diff);
  settings_diff: the table of settings that differ, by declared path (the examples two
  runs disagree on are engine.training.disagree's: it predicts)
- curves: the compared runs' curves as drawn (x by epoch or training time, EMA, log y),
  one rule for the compare view and `kerminal compare --plot`
- safe: reading and writing a folder someone else may have made (no links, FIFOs, huge files)
"""

from engine.runs import events
from engine.runs.best import higher_is_better
from engine.runs.commands import post as post_command
from engine.runs.commands import send as send_command
from engine.runs.compare import PALETTE, Comparison, compare
from engine.runs.completion import complete, term_start
from engine.runs.curves import SMOOTHING, CurveOptions, XAxis, curve_points, curve_title, log_refusal, x_axis
from engine.runs.eta import Eta, format_eta
from engine.runs.events import BatchEnd, EpochEnd, Event, Failed, Finished, Started, Steered, Stopped
from engine.runs.folder import EXPERIMENT, LIVE, runs_dir_default
from engine.runs.grouping import Group, check_group, group_fields, group_runs
from engine.runs.labels import Label, read_label, set_note, set_tags
from engine.runs.labels import rename as rename_run
from engine.runs.launch import resume as resume_run
from engine.runs.launch import start as start_run
from engine.runs.liveness import NOT_RESPONDING
from engine.runs.query import Filter, QueryError, RunIndex, Summary, differing_paths, format_value, parse_filter, sort_runs
from engine.runs.reader import RunInfo, data_summary, read_events, read_history, read_info, read_meta
from engine.runs.short_names import tell_apart
from engine.runs.status import ENDED, GONE, Status
from engine.runs.store import Run, RunStore, load_model_file, read_experiment
from engine.runs.watcher import Progress, RunWatcher

__all__ = [
    "ENDED",
    "EXPERIMENT",
    "GONE",
    "Status",
    "LIVE",
    "NOT_RESPONDING",
    "PALETTE",
    "SMOOTHING",
    "BatchEnd",
    "EpochEnd",
    "Eta",
    "Event",
    "Failed",
    "Filter",
    "Finished",
    "Group",
    "Comparison",
    "CurveOptions",
    "XAxis",
    "Label",
    "Progress",
    "QueryError",
    "RunIndex",
    "Run",
    "RunInfo",
    "RunStore",
    "RunWatcher",
    "Started",
    "Steered",
    "Stopped",
    "Summary",
    "check_group",
    "compare",
    "complete",
    "curve_points",
    "curve_title",
    "data_summary",
    "differing_paths",
    "group_fields",
    "group_runs",
    "events",
    "format_eta",
    "format_value",
    "higher_is_better",
    "load_model_file",
    "log_refusal",
    "parse_filter",
    "post_command",
    "read_events",
    "read_experiment",
    "read_history",
    "read_info",
    "read_label",
    "read_meta",
    "rename_run",
    "resume_run",
    "runs_dir_default",
    "send_command",
    "set_note",
    "set_tags",
    "sort_runs",
    "tell_apart",
    "start_run",
    "term_start",
    "x_axis",
]
