"""Steering: the run's thread that reads its command channel and beats its heart.

Every POLL_S it takes the commands waiting in RUN/commands/ (see engine.runs.commands) and
applies them to the TrainControl and the RunState, answering each with a Steered event (the
heartbeat is the RunWriter's own thread; this one writes running/paused when they change). It runs beside the
training loop, so a paused run (blocked between batches) still hears `resume` and `stop`.
When the run ends, `close()` answers whatever arrived too late.
"""

from __future__ import annotations

import threading

from engine.runs import events as ev
from engine.runs.commands import Command, Inbox
from engine.runs.status import Status
from engine.training.state import RunState

POLL_S = 0.2


class Steering:
    def __init__(self, state: RunState) -> None:
        self.state = state
        self.inbox = Inbox(state.writer.path)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kerminal-steering", daemon=True)

    def start(self) -> Steering:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._done.wait(POLL_S):
            for command in self.inbox.take():
                self.apply(command)

    def apply(self, command: Command) -> None:
        state, control = self.state, self.state.control
        where = (f"epoch {state.epoch} step {state.step}" if state.step else f"the start of epoch {state.epoch}") if state.epoch else "before the first batch"

        def answer(ok: bool, message: str) -> None:
            state.emit(ev.Steered(command.id, command.command, command.value, ok, message, state.epoch, state.step))

        if command.problem:
            answer(False, command.problem)
        elif command.command == "stop":
            control.stop("stopped on request (a stop command).")
            answer(True, f"stopping at the end of the current batch ({where}); finished epochs are kept.")
        elif command.command == "pause":
            if control.paused:
                answer(False, f"already paused at {where}.")
            else:
                control.pause()
                state.writer.beat(Status.PAUSED)
                answer(True, f"paused at {where}.")
        elif command.command == "resume":
            if not control.paused:
                answer(False, "the run is not paused.")
            else:
                control.resume()
                state.writer.beat(Status.RUNNING)
                answer(True, f"resumed at {where}.")
        elif command.command == "lr":
            lr = command.value
            if lr is None:  # the inbox checks every command (commands.check), so not met in practice
                answer(False, "no learning rate given.")
                return
            if control.paused:  # no batch runs until `resume`: answer now, log it when applied
                replaced = control.set_learning_rate(lr, "")
                # no value: the change is drawn when it happens (BatchGuard logs it then)
                state.emit(ev.Steered(command.id, "lr", None, True, f"learning rate {lr:.3g} from the first batch after `resume`.", state.epoch, state.step))
            else:
                replaced = control.set_learning_rate(lr, command.id)  # BatchGuard answers when set
            if replaced is not None and replaced[0]:  # every command is answered: this one never reached a batch
                state.emit(ev.Steered(replaced[0], "lr", replaced[1], False, f"replaced by a later lr command ({lr:.3g}) before the next batch.", state.epoch, state.step))
        elif command.command == "more":
            before = state.target
            target = state.extend(int(command.value or 0))
            if target is None:
                answer(False, f"the run is already ending ({state.epochs_done} epochs); continue it with `kerminal train --resume`.")
            else:
                state.writer.record_target(target)  # the run's experiment.toml says it too
                answer(True, f"training to epoch {target} (was {before}).")

    def close(self, status: str) -> None:
        """Stop the thread; answer the commands that came too late."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for command in self.inbox.take():
            self.state.emit(ev.Steered(command.id, command.command, command.value, False, f"arrived after the run ended ({status} after {self.state.epochs_done} epochs).", self.state.epoch, self.state.step))
        request = self.state.control.take_learning_rate()  # an lr that no batch applied
        if request is not None:
            self.state.emit(ev.Steered(request[0], "lr", request[1], False, f"arrived after the last batch ({status}).", self.state.epoch, self.state.step))
