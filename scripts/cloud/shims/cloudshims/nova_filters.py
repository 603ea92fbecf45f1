"""A ServerGroupAntiAffinityFilter that lets every host pass.

The test cloud has one fake compute host; the real filter would refuse the
second member of an anti-affinity group. The group, its policy and its
members are still Nova's own (created, listed, deleted by the real API).
"""
from nova.scheduler import filters


class ServerGroupAntiAffinityFilter(filters.BaseHostFilter):
    run_filter_once_per_request = True
    RUN_ON_REBUILD = False

    def host_passes(self, host_state, spec_obj):
        return True
