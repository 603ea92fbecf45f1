/**
 * Pods per node, the kubelet's `max-pods`, chosen and not inherited: the
 * capacity check at synth counts with it, and Cilium must have the addresses.
 *
 * RKE2's Cilium runs in `cluster-pool` IPAM and hands each node a /24 of the
 * pod range (`clusterPoolIPv4MaskSize: 24`): 256 addresses, of which Cilium
 * keeps some for itself (the router `cilium_host` and the health endpoint).
 * 110 (the kubelet's own default, also the limit Kubernetes tests per node)
 * uses fewer than half of them, so a node under churn (terminating pods still
 * hold their address while replacements start) never runs out: the same
 * "twice the addresses of max-pods" rule managed Kubernetes offerings use for
 * a /24 per node.
 */
export const MAX_PODS_PER_NODE = 110;

/** The prefix length of the pod range each node gets from Cilium's cluster-pool IPAM (RKE2's default). */
export const CILIUM_NODE_POD_CIDR_PREFIX = 24;

/**
 * Output of a cluster stack with autoscaled pools, `{ <pool>: { min_nodes,
 * max_nodes } }`: what npm run cost prices each pool's range from. Here, in a
 * module without imports, so that the estimator reads it without loading cdktf.
 */
export const AUTOSCALED_POOLS_OUTPUT = 'autoscaled_pools';
