"""The few classes the test cloud's fake backends need (scripts/cloud/up.sh).

Each one stands where a data plane would be: nothing here answers an API
call, every API is the real OpenStack service.
"""
