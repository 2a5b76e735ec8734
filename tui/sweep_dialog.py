"""The Sweep dialog (`w` in Layers and Train, issue 22): which settings of the open experiment
a sweep searches, each with its SPEC pre-filled from its declaration and current value, and
the sweep's trials, parallelism, sampler and pruner.

One row per sweepable setting (engine.sweeps.sweepable): a switch and its SPEC, so some
thirty settings scroll in an 80x24 terminal. Apply saves the experiment when it has unsaved
changes (a sweep reads the file), then creates the sweep in a worker (Sweep.create checks
every SPEC against the declarations before it writes anything: its message goes under the
row it names, and the dialog stays) and starts its driver detached (engine.sweeps.
start_detached), so the sweep outlives the app and the app never waits on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from engine import KerminalError, get_setting
from engine.sweeps import PRUNERS, SAMPLERS, Sweep, Sweepable, SweepError, sweepable
from tui.dialogs import Field, OnOff, parse_field
from tui.plain import plain

DEFAULT_TRIALS = 20
CORES = os.cpu_count() or 1
PARALLEL_HELP = f"parallel: trials at once, at most {CORES} here (one per core: each trial is a process that trains on a core; more would only slow each down)"
ON_AT_FIRST = ("compile.learning_rate",)  # searched unless switched off
LOG_SCALED = ("learning_rate",)  # a float setting by this name gets a :log range
MAX_CHOICES = 4  # a str setting's choices pre-filled (the current one first)


def row_id(path: str) -> str:
    return "sweep-" + "".join(c if c.isalnum() else "-" for c in path)


def _clip(value: float, s: Sweepable) -> float:
    if s.low is not None:
        value = max(value, s.low)
    if s.high is not None:
        value = min(value, s.high)
    return value


def default_spec(s: Sweepable, current: Any) -> str:
    """A SPEC around the current value, within the declared bounds: a log range a decade
    either side for a learning rate, a range half again either side for another float, a
    halving and a doubling for an int (a step either side when small), the choices of a str
    (the current one first), both values of a switch."""
    if s.type == "bool":
        return "true,false"
    if s.type == "str":
        picks = [current] if current in s.choices else []
        picks += [c for c in s.choices if c != current]
        return ",".join(str(c) for c in picks[:MAX_CHOICES])
    if s.type == "float":
        value = float(current if isinstance(current, (int, float)) else s.default if isinstance(s.default, (int, float)) else 1e-3)
        if s.path.rsplit(".", 1)[-1] in LOG_SCALED:
            value = value or 1e-3
            return f"{_clip(value / 10, s):g}..{_clip(value * 10, s):g}:log"
        if value <= 0:
            return f"{_clip(0.0, s):g}..{_clip(0.5, s):g}"
        return f"{_clip(value / 2, s):g}..{_clip(value * 1.5, s):g}"
    value = int(current if isinstance(current, int) else s.default if isinstance(s.default, int) else 1)
    near = [value // 2, value, value * 2] if value >= 4 else [value - 1, value, value + 1]
    return ",".join(str(v) for v in sorted({int(_clip(v, s)) for v in near}))


def current_value(exp: Any, path: str) -> Any:
    try:
        return get_setting(exp, path)
    except KerminalError:
        return None


def option_fields() -> list[Field]:
    """The sweep's own options, checked as a form checks its fields."""
    return [
        Field("trials", "int", DEFAULT_TRIALS, DEFAULT_TRIALS, min=1, max=10_000, optional=False),
        Field("parallel", "int", 1, 1, min=1, max=CORES, optional=False),
    ]


class SweepDialog(ModalScreen[Sweep | None]):
    """Pick the settings to search and how; returns the sweep created (its driver started),
    None on Esc. `experiment_file()` saves the experiment if needed and returns its file (None:
    it could not be saved, said by the app); `start(sweep)` starts its driver."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Apply"),
        # priority: before the rows' scroll takes ↑/↓; only in a row (check_action)
        Binding("down", "row(1)", "Next row", show=False, priority=True),
        Binding("up", "row(-1)", "Previous row", show=False, priority=True),
    ]

    def __init__(self, exp: Any, runs_dir: Path, experiment_file: Callable[[], Path | None], start: Callable[[Sweep], None]) -> None:
        super().__init__()
        self.exp = exp
        self.runs_dir = runs_dir
        self.experiment_file = experiment_file
        self.start = start
        self.rows = sweepable(exp)
        self.options = option_fields()
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall", id="sweep-dialog"):
            yield Label(plain(f"Sweep {self.exp.name or 'the experiment'}: search its settings"), classes="dialog-title")
            yield Static("Space switches a setting on · ↑↓ Tab move · SPEC: a,b,c or LOW..HIGH[:log|:step=X] · Ctrl+S apply · Esc cancel", classes="help")
            with Horizontal(id="sweep-options"):
                for f in self.options:
                    yield Label(f.name)
                    yield Input(str(f.value), id=f"sweep-{f.name}", compact=True)
                yield Label("sampler")
                yield Select([(s, s) for s in SAMPLERS], value=SAMPLERS[0], allow_blank=False, id="sweep-sampler", compact=True)
                yield Label("pruner")
                yield Select([(p, p) for p in PRUNERS], value=PRUNERS[0], allow_blank=False, id="sweep-pruner", compact=True)
            yield Static(PARALLEL_HELP, classes="help", id="sweep-options-help")
            with VerticalScroll(id="sweep-rows"):
                for s in self.rows:
                    rid = row_id(s.path)
                    with Horizontal(classes="sweep-row"):
                        yield OnOff(f" {s.path}", s.path in ON_AT_FIRST, id=f"{rid}-on", compact=True)
                        yield Input(default_spec(s, current_value(self.exp, s.path)), id=rid, compact=True)
                    error = Static("", classes="error", id=f"{rid}-error")
                    error.display = False
                    yield error
            yield Static("", id="sweep-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Sweep", id="apply", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#sweep-rows OnOff", OnOff).focus()

    def _in_row(self) -> tuple[int, str] | None:
        """(the row, "-on" or "") of the focused switch or SPEC; None elsewhere."""
        focused = self.focused
        wid = focused.id if focused is not None and focused.id else ""
        base, on = (wid[:-3], "-on") if wid.endswith("-on") else (wid, "")
        ids = [row_id(s.path) for s in self.rows]
        return (ids.index(base), on) if base in ids else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._in_row() is not None if action == "row" else True

    def action_row(self, delta: int) -> None:
        """↑/↓ in the rows: the same widget (switch or SPEC) of the row above or below."""
        where = self._in_row()
        if where is None:
            return
        ids = [row_id(s.path) for s in self.rows]
        row, on = where
        i = min(max(row + delta, 0), len(ids) - 1)
        self.query_one(f"#{ids[i]}{on}").focus()

    # ---- reading the form --------------------------------------------------------------
    def spec_of(self, path: str) -> Input:
        return self.query_one(f"#{row_id(path)}", Input)

    def chosen(self) -> list[str]:
        """PATH=SPEC of each setting switched on."""
        return [f"{s.path}={self.spec_of(s.path).value.strip()}" for s in self.rows if self.query_one(f"#{row_id(s.path)}-on", OnOff).value]

    def say(self, text: str, path: str = "") -> None:
        """A problem under the row of `path` (every other row's cleared), or under them all."""
        for s in self.rows:
            box = self.query_one(f"#{row_id(s.path)}-error", Static)
            box.update(plain(text) if s.path == path else "")
            box.display = s.path == path
            self.spec_of(s.path).set_class(s.path == path, "-invalid")
        self.query_one("#sweep-error", Static).update(plain(text) if not path else Text(f"{path}: fix its SPEC first.", style="bold"))
        if path:
            self.spec_of(path).focus()

    def options_values(self) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for f in self.options:
            try:
                values[f.name] = parse_field(f, self.query_one(f"#sweep-{f.name}", Input).value)
            except ValueError as exc:
                self.say(f"{f.name}: {exc}" + (f" ({PARALLEL_HELP.split(': ', 1)[1]})" if f.name == "parallel" else ""))
                self.query_one(f"#sweep-{f.name}", Input).focus()
                return None
        values["sampler"] = self.query_one("#sweep-sampler", Select).value
        values["pruner"] = self.query_one("#sweep-pruner", Select).value
        return values

    # ---- applying ----------------------------------------------------------------------
    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def _apply(self, event: Any) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    def action_submit(self) -> None:
        if self.busy:
            return
        params = self.chosen()
        if not params:
            self.say("Switch on at least one setting to search (Space on its row).")
            return
        options = self.options_values()
        if options is None:
            return
        path = self.experiment_file()
        if path is None:
            self.say("The experiment must be saved first: a sweep reads its file.")
            return
        self.busy = True
        self.query_one("#sweep-error", Static).update(plain("creating the sweep…"))
        self._create(path, params, options)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-create", description="create a sweep")
    def _create(self, path: Path, params: list[str], options: dict[str, Any]) -> None:
        try:
            sweep = Sweep.create(path, params, self.runs_dir, options["trials"], options["parallel"], options["sampler"], options["pruner"])
            self.start(sweep)
        except (KerminalError, OSError) as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.dismiss, sweep)

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        text = f"{exc.problem} {exc.fix}".strip() if isinstance(exc, KerminalError) else str(exc)
        self.say(text, named_path(exc.problem if isinstance(exc, SweepError) else "", [s.path for s in self.rows]))

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)


def named_path(problem: str, paths: list[str]) -> str:
    """The setting a SweepError's problem names (`--param PATH=...`, `--sampler grid:
    PATH=...`), "" when none of `paths`."""
    found = re.search(r"(?:--param |grid: )([^\s=:]+)", problem)
    return found.group(1) if found and found.group(1) in paths else ""


def start_driver(sweep: Sweep) -> None:
    """Drive `sweep` in a background process of its own (engine.sweeps.start_detached: a new
    session, its output in the sweep's driver log)."""
    from engine.sweeps import start_detached

    start_detached(sweep)


def open_sweep_dialog(pane: Any) -> None:
    """`w` in Layers and Train: the Sweep dialog on the open experiment (a stack that does
    not validate is said instead; an experiment with no file yet is saved as one first). The
    sweep it creates is said in a toast with the command that follows it."""
    from tui.messages import RunsChanged

    host = pane.host
    report, error = host.validate()
    if report is None or not report.ok:
        message = error if report is None else "; ".join(report.errors[:3])
        pane.notify(f"The layer stack does not validate, so no trial could train: {message}", title="Sweep", severity="error", timeout=8)
        return
    if host.experiment_path is None:
        pane.notify("A sweep reads the experiment's file: save it first.", title="Sweep")
        host.action_save_as(then=lambda: open_sweep_dialog(pane))
        return

    def experiment_file() -> Path | None:
        path = host.experiment_path
        if path is None or (host.dirty and not host.save_to(path)):
            return None
        return Path(path)

    def created(sweep: Sweep | None) -> None:
        if sweep is None:
            return
        trials, parallel = sweep.config["trials"], sweep.config["parallel"]
        pane.notify(f"Sweep {sweep.name}: {trials} trials, {parallel} at once, in the background. Follow it in Runs (5, g: sweep) or with `kerminal sweep --status {sweep.name}`.", title="Sweep started", timeout=12)
        pane.app.post_message(RunsChanged())

    pane.app.push_screen(SweepDialog(host.experiment, host.runs_dir, experiment_file, start_driver), created)
