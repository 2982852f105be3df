"""Start one Ray worker node and keep it up: `python ray_node.py GCS_ADDRESS CPUS STORE_BYTES`.

Used by `ray_cluster.py`; the node listens on loopback only.
"""

from __future__ import annotations

import signal
import sys
import time

import ray._private.node
import ray._private.parameter


def main() -> None:
    address, cpus, store = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    params = ray._private.parameter.RayParams(
        gcs_address=address,
        node_ip_address="127.0.0.1",
        num_cpus=cpus,
        num_gpus=0,
        object_store_memory=store,
        include_log_monitor=False,
        node_manager_port=0,
        min_worker_port=0,
        max_worker_port=0,
    )
    params.dashboard_agent_listen_port = None
    ray._private.node.Node(params, head=False, shutdown_at_exit=True, spawn_reaper=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("node up", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
