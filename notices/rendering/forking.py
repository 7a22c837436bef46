"""Typst work in forked children, and when a process may still fork.

Typst starts its worker threads at a process's first compilation. A process forked after
that inherits the threads' locks but not the threads, and hangs. So the renderer compiles
in forked children, which exit with Typst's memory, and a process that has compiled here
(``mark_compiled``: tests, the single-document path) does its work in-process instead.
Work that only needs a lot of memory for a moment (a font's tables) runs in a child too,
so that the parent, and every child later forked from it, stays small.
"""

from __future__ import annotations

import os
from collections.abc import Callable


class RenderError(RuntimeError):
    """A template could not be compiled, or a forked renderer failed."""


_compiled_here = False


def mark_compiled() -> None:
    """This process is about to compile with Typst: it must not fork for Typst work again."""
    global _compiled_here
    _compiled_here = True


def compiled_here() -> bool:
    return _compiled_here


def isolated(work: Callable[[], bytes]) -> bytes:
    """``work()`` in a forked child while this process may fork, else here."""
    return work() if _compiled_here else in_child(work)


def in_child(work: Callable[[], bytes]) -> bytes:
    """Run ``work`` in a forked child; return the bytes it returned (through a pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(read_end)
            result = work()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(result)
        except BaseException as exc:
            try:
                os.write(2, f"notices renderer child: {exc!r}\n".encode())
            finally:
                status = 1
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        result = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RenderError(f"the forked renderer failed (status {status})")
    return result
