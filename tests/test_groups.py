"""make test shares expensive work between tests of one xdist_group (a cache, a cluster): under
--dist loadgroup, xdist must really send a group to one worker. It marks the group on the test's
node id; pytest 9.2 stopped reading that mark, and the grouping stopped, silently
(pytest-xdist#1386). This fails when it stops again."""

import os

import pytest


@pytest.mark.xdist_group("groups-check")
def test_a_grouped_test_carries_its_group_to_the_scheduler(request):
    if os.environ.get("PYTEST_XDIST_WORKER") is None or not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist's --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@groups-check"), request.node.nodeid
