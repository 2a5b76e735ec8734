"""Run folders: the format a training writes, one writer, one reader, and a watcher.

A run is a process that owns its folder; the folder is the whole protocol between the
training process and whoever watches or steers it (the app, `kerminal watch`, `kerminal
stop`). TF-free until a model is loaded.

- folder: the layout (file names), crash-consistent commit and `recover`, the readers
  (`read_info` -> RunInfo, `read_history`, `read_events`)
- events: the typed events of events.jsonl (Started, BatchEnd, EpochEnd, Steered, ...)
- store: RunStore (list, load, delete), Run, load_model_file
"""

from engine.runs import events
from engine.runs.events import BatchEnd, EpochEnd, Event, Failed, Finished, Started, Steered, Stopped
from engine.runs.folder import RunInfo, data_summary, read_events, read_history, read_info, runs_dir_default
from engine.runs.store import Run, RunStore, load_model_file

__all__ = [
    "BatchEnd",
    "EpochEnd",
    "Event",
    "Failed",
    "Finished",
    "Run",
    "RunInfo",
    "RunStore",
    "Started",
    "Steered",
    "Stopped",
    "data_summary",
    "events",
    "load_model_file",
    "read_events",
    "read_history",
    "read_info",
    "runs_dir_default",
]
