"""The kernel manager every report runs under: local sockets and a private log.

Jupyter's default wiring has two faults for a batch of reports run side by side:

- over TCP, the client picks five free ports and the kernel binds them a moment later; another
  kernel started in that moment can take one of them, and the kernel then prints a traceback
  (``ZMQError: Address already in use``) from its heartbeat thread;
- the kernel writes its own warnings and tracebacks to the stderr it inherits, that is into the
  terminal or log of whoever runs ``evaltools run``.

:class:`LocalKernelManager` uses IPC sockets (files next to the connection file) on POSIX, so
no port can be taken by another process, and sends the kernel's stderr to a log file next to
the connection file; :meth:`LocalKernelManager.stderr_tail` gives its end for an error message.
The files are removed with the kernel. On Windows, which has no IPC transport, and where the
temporary folder's path is too long for a Unix socket, it keeps TCP (the stderr log still
keeps a port clash out of the user's terminal).
"""

from __future__ import annotations

import os
import signal
import tempfile
import uuid
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_client.provisioning import LocalProvisioner
from jupyter_core.utils import run_sync

from evaltools.reports.kernel_fork import can_fork, fork_kernel
from evaltools.reports.layout import CONNECTION_PREFIX, SOCKET_PATH_MAX

__all__ = ["LocalKernelManager", "connection_file", "ipc_fits", "SOCKET_PATH_MAX", "KERNEL_SETUP",
           "KERNEL_OPTIONS"]

#: Run by every report kernel (warm or fresh) before the notebook: pandas keeps text in Python
#: objects rather than Arrow arrays. Values, tables and pages are the same (both are pandas'
#: ``str`` dtype with NaN for missing; the benchmark's 238 tables and 21 pages compared byte
#: for byte); a report looks up columns, filters and builds small frames thousands of times,
#: and with Arrow each column label or value read is a pyarrow scalar conversion (a tenth of
#: a batch's CPU, ``benchmarks/RESULTS.md``). Only the report kernels: a researcher's own
#: session keeps pandas' defaults.
KERNEL_SETUP = ('import pandas as _pd; _pd.set_option("mode.string_storage", "python"); '
                'del _pd')


#: Options of every report kernel:
#:
#: - no IPython history. A report's cells are no session of the user's: with history on,
#:   every cell's source (the study's paths and parameters) went into
#:   ``~/.ipython/profile_default/history.sqlite``, one write per cell from each kernel of a
#:   run into one SQLite file (22 MB after two days of runs on the development machine);
#: - no pause of half a millisecond before each cell's reply (ipykernel's ``_execute_sleep``,
#:   a guard for clients that stop reading at the reply). A report's client (nbclient, for
#:   warm and fresh kernels alike) reads a cell's outputs until the kernel reports itself
#:   idle, which the kernel sends after them on the same channel; the pause cost 1.5 to 2 ms
#:   a cell (300 cells: 1.6-1.8 s against 1.0-1.2 s, ``benchmarks/RESULTS.md``).
KERNEL_OPTIONS = ("--HistoryManager.enabled=False", "--Kernel._execute_sleep=0")


def connection_file() -> Path:
    """A new connection file path in the temporary folder that names this process:
    ``evaltools-kernel-<pid>-<id>.json`` (so a later run can tell a dead run's files)."""
    return Path(tempfile.gettempdir()) / (
        f"{CONNECTION_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}.json")



def ipc_fits(connection: str | Path) -> bool:
    """Whether the IPC sockets of ``connection`` (``<stem>-ipc-<port>``) have paths short
    enough for a Unix socket; with a long temporary folder the kernel stays on TCP."""
    longest = os.path.splitext(str(connection))[0] + "-ipc-65535"
    return len(os.fsencode(longest)) <= SOCKET_PATH_MAX


class LocalKernelManager(KernelManager):
    """A :class:`jupyter_client.KernelManager` on IPC sockets whose stderr goes to a log file,
    its kernel set up with :data:`KERNEL_SETUP`.

    Without an explicit ``connection_file`` one is made by :func:`connection_file`. With
    ``fork=True`` the kernel is forked from this process where that is safe
    (:mod:`evaltools.reports.kernel_fork`: a process that has imported the kernel's libraries
    already), else started as a new process.
    """

    def __init__(self, *, fork: bool = False, **kwargs):
        kwargs.setdefault("connection_file", str(connection_file()))
        if os.name == "posix" and ipc_fits(kwargs["connection_file"]):
            kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        self._stderr_path = Path(self.connection_file).with_suffix(".log")
        self._stderr = None
        self._fork = fork

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # the one step every start and restart goes through (jupyter_client's hook for this)
        if any("ipykernel" in str(part) for part in kernel_cmd):  # an IPython kernel
            kernel_cmd = [*kernel_cmd, f"--IPKernelApp.exec_lines={KERNEL_SETUP}",
                          *KERNEL_OPTIONS]
        if "stderr" not in kw:
            self._close_log()
            self._stderr = open(self._stderr_path, "ab")  # noqa: SIM115 - open while it runs
            kw["stderr"] = self._stderr
        # (exactly jupyter_client's local provisioner: a subclass may launch its own way)
        if self._fork and type(self.provisioner) is LocalProvisioner and can_fork(kernel_cmd):
            # what LocalProvisioner.launch_kernel does, with a fork for its Popen; once: a
            # restart comes after this process has a client's threads and sockets
            self._fork = False
            provisioner = self.provisioner
            env = dict(os.environ) if kw.get("env") is None else kw["env"]
            provisioner.process = fork_kernel(kernel_cmd, env=env, cwd=kw.get("cwd"),
                                              stderr=kw["stderr"])
            provisioner.pid = provisioner.pgid = provisioner.process.pid  # its own session
            provisioner.cwd = kw.get("cwd") or Path.cwd()
            self._reconcile_connection_info(provisioner.connection_info)
            return None
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    def stderr_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines the kernel wrote to stderr ('' if none)."""
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def kill_now(self) -> None:
        """SIGKILL the kernel, reap it and remove its files, waiting on nothing else.

        For a signal handler: :meth:`shutdown_kernel` runs jupyter_client's event loop, which
        the code the signal interrupted may be inside of."""
        provisioner = getattr(self, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is not None:
            group = getattr(provisioner, "pgid", None)
            try:
                if group and hasattr(os, "killpg") and group != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)  # the kernel runs in a session of its own
                else:
                    process.kill()
            except OSError:
                pass
            try:  # reap it (SIGKILL takes effect at once): no zombie left to the system
                process.wait(timeout=2)
            except Exception:  # noqa: BLE001 - gone already, or not ours to wait for
                pass
        # jupyter_client's own file cleanup is synchronous; only its wrapper runs the loop
        self.cleanup_connection_file()
        self.cleanup_ipc_files()
        self._remove_log()

    def _remove_log(self) -> None:
        self._close_log()
        self._stderr_path.unlink(missing_ok=True)

    def _close_log(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        # shutdown_kernel calls this one; the public cleanup_resources wraps the base class's
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._remove_log()

    def cleanup_resources(self, restart: bool = False) -> None:
        """Remove the connection, socket and log files (see ``_async_cleanup_resources``)."""
        run_sync(LocalKernelManager._async_cleanup_resources)(self, restart=restart)
