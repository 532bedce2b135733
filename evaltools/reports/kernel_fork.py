"""A warm kernel forked from the process that has imported its libraries already.

A report kernel imports pandas, matplotlib, SciPy, statsmodels, IPython and evaltools: about
2.3 s of CPU, paid again by every kernel of a run (and by every worker for its own share).
On Linux ``evaltools run`` starts its workers from a forkserver that imported all of it once
(:mod:`evaltools.pipeline.preload`); a worker then forks its kernel instead of starting a new
interpreter, and the kernel begins with those modules in memory.

The child becomes what ``python -m ipykernel_launcher -f <connection file> ...`` would be: a
session of its own, stdin from ``/dev/null``, stderr to the manager's log, no descriptor of
the worker's left open, the environment, working folder and event loop of a new process, the
parent's exit handlers dropped, and ``PR_SET_PDEATHSIG`` so that it dies with the worker. It
runs ipykernel's own application with the command's arguments. Forking is only done where it
is safe: Linux, from the main thread of a process with no other Python thread, for a kernel of
this very interpreter (:func:`can_fork`).
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import gc
import importlib.util
import logging
import multiprocessing.context
import multiprocessing.forkserver
import multiprocessing.process
import multiprocessing.resource_tracker
import multiprocessing.util
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from ipykernel.kernelapp import IPKernelApp

__all__ = ["ForkedProcess", "can_fork", "fork_kernel", "die_with_parent", "KERNEL_NAME"]

_PR_SET_PDEATHSIG = 1  # prctl(2)
_PR_SET_NAME = 15
#: How long the parent waits for the child to be in a session of its own.
_READY_TIMEOUT = 30.0
#: A forked kernel's process name (``ps -o comm``, ``psutil.Process.name()``); its command
#: line stays the worker's.
KERNEL_NAME = "ipykernel"


def can_fork(cmd: list[str]) -> bool:
    """Whether the kernel command ``cmd`` may be forked from this process: Linux, an IPython
    kernel of this interpreter, and only the main thread running (a fork copies locks other
    threads may hold)."""
    return (sys.platform.startswith("linux") and len(cmd) > 3
            and list(cmd[1:3]) == ["-m", "ipykernel_launcher"]
            and os.path.abspath(cmd[0]) == os.path.abspath(sys.executable)
            and threading.current_thread() is threading.main_thread()
            and threading.active_count() == 1)


class ForkedProcess:
    """The part of :class:`subprocess.Popen` that jupyter_client's provisioner uses, for a
    forked child of this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: as Popen does
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            while self.returncode is None:
                try:
                    _, status = os.waitpid(self.pid, 0)
                except ChildProcessError:
                    self.returncode = 0
                else:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.005)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def fork_kernel(cmd: list[str], *, env: dict[str, str], cwd=None, stderr=None) -> ForkedProcess:
    """Fork the kernel ``cmd`` (``python -m ipykernel_launcher ARGS``) from this process.

    Returns once the child is in a session of its own (so that its process group can be
    signalled); ``stderr`` is an open file (or descriptor) the kernel's stderr goes to."""
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    err = stderr if stderr is None or isinstance(stderr, int) else stderr.fileno()
    libc = _libc()  # resolved here: the child runs no ldconfig (find_library's subprocess)
    ready_r, ready_w = os.pipe()
    parent = os.getpid()
    # until the child has its own handlers, a signal to the group must not run the worker's
    # (its SIGTERM handler would stop the worker's kernel from inside the child)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        os.close(ready_r)
        os.close(ready_w)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    if pid == 0:  # pragma: no cover - the child leaves through os._exit (tests see its work)
        os.close(ready_r)
        _child(list(cmd), dict(env), cwd, err, ready_w, parent, libc, blocked)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    os.close(ready_w)
    try:  # b"" (or nothing in time) if it died before: poll() tells
        if select.select([ready_r], [], [], _READY_TIMEOUT)[0]:
            os.read(ready_r, 1)
    finally:
        os.close(ready_r)
    return ForkedProcess(pid)


def _libc():
    """The C library's functions (``prctl``), or None."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no dynamic loading
        return None


def die_with_parent(sig: int, libc=None) -> bool:
    """Have Linux send this process ``sig`` when the thread that started it ends
    (``prctl(PR_SET_PDEATHSIG)``); False where there is no such call (not Linux)."""
    try:
        return (libc or _libc()).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except AttributeError:
        return False


def _child(cmd, env, cwd, err, ready, parent, libc, blocked) -> None:  # pragma: no cover
    # runs in the child; tests see its work
    code = 1
    try:
        # the worker's handlers (its SIGTERM stops the worker's kernel) are not the kernel's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        # the worker's exit handlers would stop the worker's kernel; the standard ones again
        atexit._clear()
        atexit.register(logging.shutdown)
        os.setsid()  # as jupyter_client's start_new_session: interrupts reach the group
        if die_with_parent(signal.SIGKILL, libc):
            libc.prctl(_PR_SET_NAME, KERNEL_NAME.encode(), 0, 0, 0)
        if os.getppid() != parent:  # the worker died before the line above took effect
            os._exit(1)
        os.write(ready, b"1")
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        if err is not None:
            os.dup2(err, 2)
        _close_inherited()  # the worker's pipes, sockets and files (and null, ready)
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        gc.freeze()  # nothing of the worker's is collected (and closes a descriptor) here
        os.environ.clear()
        os.environ.update(env)
        os.environ["JPY_PARENT_PID"] = str(parent)
        if cwd:
            os.chdir(cwd)
        tempfile.tempdir = None
        asyncio.set_event_loop_policy(None)  # no reference to the worker's event loop
        _new_process_state()
        # ipykernel read JPY_PARENT_PID when the forkserver imported it: given here, so that
        # the kernel watches its parent (and prints no note for a kernel started by hand)
        argv = [*cmd[3:], f"--IPKernelApp.parent_handle={parent}"]
        spec = importlib.util.find_spec("ipykernel_launcher")
        sys.argv = [spec.origin if spec else "ipykernel_launcher", *argv]
        if sys.path and not sys.flags.safe_path:  # the run's script folder (or ""): a new
            del sys.path[0]  # ``python -m ipykernel_launcher`` has none on its path
        app = IPKernelApp.instance()
        app.initialize(argv)
        _matplotlib_backend()
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:  # noqa: BLE001 - into the kernel's log, then out
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # the kernel's own (IPython's history, temporary files)
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (AttributeError, OSError, ValueError):
                    pass
            os._exit(code)


def _close_inherited() -> None:  # pragma: no cover - runs in the child
    """Close every descriptor above stderr (as Popen's ``close_fds``)."""
    try:
        found = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        found = range(3, 1 << 16)
    for fd in found:
        if fd > 2:
            try:
                os.close(fd)
            except OSError:  # the listing's own descriptor, gone already
                pass


def _new_process_state() -> None:  # pragma: no cover - runs in the child
    """What the worker's modules hold about the worker's process, as a new process has it:
    multiprocessing (this process, its start method, resource tracker and forkserver, whose
    descriptors are closed), Jupyter's event loop, numpy's global random state."""
    multiprocessing.context._default_context._actual_context = None
    tracker = multiprocessing.resource_tracker._resource_tracker
    tracker._fd = tracker._pid = None
    server = multiprocessing.forkserver._forkserver
    server._forkserver_address = server._forkserver_alive_fd = None
    server._forkserver_pid = server._inherited_fds = None
    current = multiprocessing.process.current_process()  # the worker's, made the main one
    current._identity, current._name, current._parent_pid = (), "MainProcess", None
    current._config = {"authkey": multiprocessing.process.AuthenticationString(os.urandom(32)),
                       "semprefix": "/mp"}  # no temporary folder of the worker's
    multiprocessing.process._parent_process = None
    multiprocessing.process._children = set()
    multiprocessing.util._finalizer_registry.clear()
    atexit.register(multiprocessing.util._exit_function)
    utils = sys.modules.get("jupyter_core.utils")
    if utils is not None and hasattr(utils, "_loop"):
        utils._loop.set(None)
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # numpy has no after-fork hook (Python's random has one)
        numpy.random.seed()


def _matplotlib_backend() -> None:  # pragma: no cover - runs in the child
    """matplotlib read ``MPLBACKEND`` when the forkserver imported it, before ipykernel set
    its inline backend (``IPKernelApp.init_gui_pylab``): read it again, as its import does."""
    matplotlib = sys.modules.get("matplotlib")
    backend = os.environ.get("MPLBACKEND")
    if matplotlib is not None and backend:
        matplotlib.rcParams["backend"] = backend
