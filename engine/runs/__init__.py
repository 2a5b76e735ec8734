"""Run folders: the format a training writes, one writer, one reader, and a watcher.

A run is a process that owns its folder; the folder is the whole protocol between the
training process and whoever watches or steers it (the app, `kerminal watch`, `kerminal
stop`). TF-free until a model is loaded.

- folder: the layout (file names), crash-consistent commit and `recover`, the readers
  (`read_info` -> RunInfo, `read_history`, `read_events`)
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
- eta: Eta, the one ETA estimator (the run's EpochEnd and every watcher), and format_eta
- lock: the run lock (one process trains a run), held from creation to exit
- safe: reading and writing a folder someone else may have made (no links, FIFOs, huge files)
"""

from engine.runs import events
from engine.runs.commands import post as post_command
from engine.runs.commands import send as send_command
from engine.runs.eta import Eta, format_eta
from engine.runs.events import BatchEnd, EpochEnd, Event, Failed, Finished, Started, Steered, Stopped
from engine.runs.folder import EXPERIMENT, LIVE, NOT_RESPONDING, RunInfo, data_summary, read_events, read_history, read_info, read_meta, runs_dir_default
from engine.runs.launch import resume as resume_run
from engine.runs.launch import start as start_run
from engine.runs.query import Filter, QueryError, RunIndex, Summary, differing_paths, format_value, higher_is_better, parse_filter, sort_runs
from engine.runs.status import ENDED, GONE, Status
from engine.runs.store import Run, RunStore, load_model_file
from engine.runs.watcher import Progress, RunWatcher

__all__ = [
    "ENDED",
    "EXPERIMENT",
    "GONE",
    "Status",
    "LIVE",
    "NOT_RESPONDING",
    "BatchEnd",
    "EpochEnd",
    "Eta",
    "Event",
    "Failed",
    "Filter",
    "Finished",
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
    "data_summary",
    "differing_paths",
    "events",
    "format_eta",
    "format_value",
    "higher_is_better",
    "load_model_file",
    "parse_filter",
    "post_command",
    "read_events",
    "read_history",
    "read_info",
    "read_meta",
    "resume_run",
    "runs_dir_default",
    "send_command",
    "sort_runs",
    "start_run",
]
