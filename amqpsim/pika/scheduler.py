"""Cooperative programs on simulated time, for :func:`amqpsim.pika.run_concurrently`.

Each program runs in its own thread but only one holds the baton at a time, so
the simulation stays deterministic. A program gives up the baton only when it
waits. The next program to run is the first (oldest wait) whose wait is over:
its condition holds, its deadline has come, or, when every program waits
without a deadline and nothing is scheduled, the oldest waiter is told it is
idle (its ``start_consuming`` returns). Time advances only when no program can
run at the current instant.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import World

DRIVER = "driver"  # the thread that called run_concurrently


class Wait:
    __slots__ = ("ready", "deadline", "seq", "outcome")

    def __init__(self, ready: Callable[[], bool], deadline: float | None, seq: int) -> None:
        self.ready = ready
        self.deadline = deadline
        self.seq = seq
        self.outcome: str | None = None


class Program:
    __slots__ = ("fn", "name", "thread", "wait", "done", "result", "error")

    def __init__(self, fn: Callable[[], Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self.thread: threading.Thread | None = None
        self.wait: Wait | None = None
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class Scheduler:
    def __init__(self, world: World) -> None:
        self.world = world
        self.cv = threading.Condition()
        self.turn: Any = DRIVER
        self.programs: list[Program] = []
        self.by_thread: dict[int, Program] = {}
        self.seq = itertools.count()
        self.failures: list[Program] = []

    @property
    def running(self) -> bool:
        return bool(self.programs)

    def current(self) -> Program | None:
        return self.by_thread.get(threading.get_ident())

    # ---------------------------------------------------------------- driver side
    def run(self, fns: list[Callable[[], Any]], names: list[str] | None) -> list[Any]:
        if self.running:
            raise RuntimeError("run_concurrently() cannot be nested")
        if not fns:
            return []
        names = names or [getattr(fn, "__name__", f"program-{i}") for i, fn in enumerate(fns, 1)]
        progs = [Program(fn, name) for fn, name in zip(fns, names, strict=True)]
        self.failures = []
        for p in progs:
            p.wait = Wait(lambda: True, None, next(self.seq))  # not started yet: ready to run
            p.thread = threading.Thread(target=self._main, args=(p,), name=f"amqpsim-{p.name}", daemon=True)
        self.programs = progs
        try:
            for p in progs:
                assert p.thread is not None
                p.thread.start()
            self._switch(DRIVER, self._next())
        finally:
            self.programs = []
            self.by_thread.clear()
        for p in progs:
            if p.done and p.thread is not None:
                p.thread.join()
        if self.failures:
            raise self.failures[0].error  # type: ignore[misc]
        return [p.result for p in progs]

    # ---------------------------------------------------------------- program side
    def _main(self, prog: Program) -> None:
        self.by_thread[threading.get_ident()] = prog
        with self.cv:
            while self.turn is not prog:
                self.cv.wait()
        prog.wait = None
        try:
            prog.result = prog.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the driver
            prog.error = exc
            self.failures.append(prog)
        finally:
            prog.done = True
            try:
                nxt = self._next()
            except BaseException as exc:  # noqa: BLE001 - a broker bug while advancing time
                if prog.error is None:
                    prog.error = exc
                    self.failures.append(prog)
                nxt = DRIVER
            self._switch(None, nxt)

    def wait(self, prog: Program, ready: Callable[[], bool], deadline: float | None) -> str:
        w = Wait(ready, deadline, next(self.seq))
        prog.wait = w
        try:
            nxt = self._next()
            if nxt is not prog:
                self._switch(prog, nxt)
        finally:
            prog.wait = None
        assert w.outcome is not None
        return w.outcome

    # ---------------------------------------------------------------- the baton
    def _switch(self, me: Any, nxt: Any) -> None:
        with self.cv:
            self.turn = nxt
            self.cv.notify_all()
            if me is None:
                return
            while self.turn is not me:
                self.cv.wait()

    def _next(self) -> Any:
        """Who runs next (advancing the clock as needed); called by the baton holder."""
        world = self.world
        while True:
            waiting = sorted((p for p in self.programs if not p.done and p.wait is not None),
                             key=lambda p: p.wait.seq)  # type: ignore[union-attr]
            if not waiting:
                return DRIVER
            world.fire_due()
            for p in waiting:
                w = p.wait
                assert w is not None
                if w.outcome is None:
                    if w.ready():
                        w.outcome = "ready"
                    elif w.deadline is not None and world.now >= w.deadline:
                        w.outcome = "timeout"
                if w.outcome is not None:
                    return p
            t = world.next_time()
            for p in waiting:
                d = p.wait.deadline  # type: ignore[union-attr]
                if d is not None and (t is None or d < t):
                    t = d
            if t is None:
                waiting[0].wait.outcome = "idle"  # type: ignore[union-attr]
                return waiting[0]
            world.advance_to(t)
