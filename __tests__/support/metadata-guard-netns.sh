#!/usr/bin/env bash
# Loads an nftables ruleset into a throw-away "node" network namespace that
# routes for a "pod" namespace, with the metadata address in a third, and
# prints whether the pod and the node reach 169.254.169.254:80 before and after.
# Needs root (network namespaces), iproute2, nft and python3.
set -euo pipefail
rules=$1
p=mg-pod-$$; n=mg-node-$$; m=mg-meta-$$
cleanup() { for ns in $p $n $m; do ip netns del $ns 2>/dev/null || true; done; }
trap cleanup EXIT
for ns in $p $n $m; do ip netns add $ns; ip netns exec $ns ip link set lo up; done
ip link add vp netns $p type veth peer name vn1 netns $n
ip link add vm netns $m type veth peer name vn2 netns $n
ip -n $p addr add 10.99.0.2/24 dev vp; ip -n $p link set vp up; ip -n $p route add default via 10.99.0.1
ip -n $n addr add 10.99.0.1/24 dev vn1; ip -n $n link set vn1 up
ip -n $n addr add 169.254.169.1/24 dev vn2; ip -n $n link set vn2 up
ip -n $m addr add 169.254.169.254/24 dev vm; ip -n $m link set vm up; ip -n $m route add default via 169.254.169.1
ip netns exec $n sysctl -qw net.ipv4.ip_forward=1
probe() { ip netns exec $1 python3 -c "
import socket,sys
s=socket.socket(); s.settimeout(2)
try: s.connect(('169.254.169.254',80)); print('reached')
except ConnectionRefusedError: print('reached')
except (socket.timeout, PermissionError, OSError) as e: print('blocked')"; }
echo "pod before: $(probe $p)"; echo "node before: $(probe $n)"
ip netns exec $n nft -f "$rules"
echo "pod after: $(probe $p)"; echo "node after: $(probe $n)"
