"""Every built-in pool against the shipped contract (`airlab.testing.pool.PoolSuite`)."""

from __future__ import annotations

import pytest

from airlab.runner import LocalPool, make_pool
from airlab.testing.pool import PoolSuite


class TestLocalPool(PoolSuite):
    @pytest.fixture
    def pool_factory(self):
        return LocalPool


@pytest.fixture(scope="module")
def ray_instance(ray_exclusive):
    """One local Ray instance for the module (never an existing cluster)."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
class TestRayPool(PoolSuite):
    @pytest.fixture
    def pool_factory(self, ray_instance):
        return lambda workers, sandbox: make_pool("ray", workers, sandbox)
