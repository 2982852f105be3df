"""A multi-node Ray cluster on this machine, shaped like a rented one: no shared filesystem.

The head node holds no CPUs (the driver's machine runs no candidate). Each worker node is its
own process tree in its own mount namespace (`unshare`), where the driver's folder is an
empty tmpfs: a worker can neither read the task's public data at the driver's path nor write
into the run folder, as on separate machines. Every node has its own working root, chosen by
`AIRLAB_WORKER_ROOT`. Everything listens on loopback only.

Worker nodes are started by `ray_node.py` (Ray's own `Node` class, as `ray.cluster_utils` does)
because `ray start` refuses to add a node to a loopback-only head.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

NODE_SCRIPT = Path(__file__).with_name("ray_node.py")
OBJECT_STORE_BYTES = 80 * 1024 * 1024


DRIVER_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""What a driver of this cluster needs: Ray then takes loopback as this machine's address."""

NODE_ENV = {
    **DRIVER_ENV,
    # Token auth is read once per process, when Ray's core starts, so a pytest process that
    # already used Ray could not join a token-protected cluster; on loopback only, it is off.
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """Head plus worker nodes; `kill_node` takes one down the way a lost machine goes."""

    def __init__(self, hidden: Path, logs: Path) -> None:
        if shutil.which("unshare") is None or os.geteuid() != 0:
            raise RuntimeError("hiding the driver's folder from nodes needs root and unshare")
        self.hidden = hidden
        self.logs = logs
        self.env = {**os.environ, **NODE_ENV}
        self.address = f"127.0.0.1:{_free_port()}"
        self.head: subprocess.Popen[bytes] | None = None
        self.nodes: dict[str, subprocess.Popen[bytes]] = {}

    def _log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def start(self) -> None:
        ray = Path(sys.executable).with_name("ray")
        port = self.address.rsplit(":", 1)[1]
        argv = [str(ray), "start", "--head", f"--port={port}", "--num-cpus=0"]
        argv += ["--include-dashboard=false", f"--object-store-memory={OBJECT_STORE_BYTES}"]
        argv += ["--disable-usage-stats", "--block"]
        with self._log("head").open("wb") as log:
            self.head = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_for(lambda: "Ray runtime started" in self._log("head").read_text(), "head")

    def add_node(self, name: str, root: Path, cpus: int = 1) -> None:
        """A worker node whose working root is `root` (started one at a time: two raylets
        starting at once can race for a port)."""
        root.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "AIRLAB_WORKER_ROOT": str(root)}
        # A mount namespace of its own, the driver's folder covered by an empty tmpfs (unshare,
        # not bwrap: the candidates' own bwrap must still be able to mount a /proc inside it).
        hide = 'mount -t tmpfs airlab-hidden "$0" && shift && exec "$@"'
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", hide]
        argv += [str(self.hidden), "--", sys.executable, str(NODE_SCRIPT), self.address]
        argv += [str(cpus), str(OBJECT_STORE_BYTES)]
        log_path = self._log(name)
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.nodes[name] = proc
        self._wait_for(lambda: "node up" in log_path.read_text(), name)

    def _wait_for(self, condition, what: str, seconds: float = 90.0) -> None:
        give_up = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > give_up:
                raise RuntimeError(f"ray test cluster: {what} did not start (see {self.logs})")
            time.sleep(0.1)

    def tree(self, name: str) -> list[psutil.Process]:
        """Every process of a node (its raylet, its Ray workers, their sandboxes)."""
        try:
            top = psutil.Process(self.nodes[name].pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill_node(self, name: str) -> None:
        """SIGKILL every process of the node at once: a machine lost mid-candidate."""
        top = self.nodes[name]
        for proc in self.tree(name):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        top.kill()  # the node's own process even where its tree could not be read
        del self.nodes[name]
        top.wait(timeout=30)

    def shutdown(self) -> None:
        """Every node, then the head: one that will not die does not spare the others."""
        with contextlib.ExitStack() as stack:  # its callbacks run last in, first out
            stack.callback(self._stop_head)
            for name in list(self.nodes):
                stack.callback(self.kill_node, name)

    def _stop_head(self) -> None:
        if self.head is not None:
            children = psutil.Process(self.head.pid).children(recursive=True)
            self.head.send_signal(signal.SIGTERM)
            try:
                self.head.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.head.kill()
                self.head.wait()
            for child in children:
                with contextlib.suppress(psutil.Error):
                    child.kill()
