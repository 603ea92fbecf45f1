import { Construct } from 'constructs';
import { NetworkingSecgroupRuleV2 } from '../../.gen/providers/openstack/networking-secgroup-rule-v2';
import { NetworkingSecgroupV2 } from '../../.gen/providers/openstack/networking-secgroup-v2';
import { addressPlanProblems } from '../net/cidr';
import type { LoadBalancer } from './load-balancer';

/** The two node groups of a cluster; each gets one security group. */
export type NodeGroup = 'servers' | 'agents';

export type RuleProtocol = 'tcp' | 'udp' | 'icmp' | 'any';

/**
 * One row of the rule matrix, and exactly one `openstack_networking_secgroup_rule_v2`.
 *
 * A peer (`from`, `to`) is a node group (`servers`, `agents`: matched by
 * `remote_group_id`, i.e. the nodes' own addresses) or a CIDR block
 * (`remote_ip_prefix`). A row whose `to` is a node group is an ingress rule of
 * that group; a row from a node group to a CIDR block is an egress rule.
 */
export interface SecurityRule {
  /** `'6443'`, a range `'2379-2380'`, or `'all'`. */
  readonly ports: string;
  readonly protocol: RuleProtocol;
  /** `servers`, `agents` or a CIDR block. */
  readonly from: string;
  /** `servers`, `agents`, or a CIDR block for egress rows. */
  readonly to: string;
  /** Why the opening exists; also the rule's description in OpenStack (at most 255 characters). */
  readonly why: string;
}

export interface IngressNodePorts {
  /** NodePort the ingress load balancer's `http` listener forwards to, e.g. 30080. */
  readonly http: number;
  /** NodePort the ingress load balancer's `https` listener forwards to, e.g. 30443. */
  readonly https: number;
}

export interface ClusterSecurityGroupsProps {
  /** Prefix of the security group names, e.g. `webhost-production`. */
  readonly namePrefix: string;
  /** The cluster's private network; the subnets must lie inside it. */
  readonly networkCidr: string;
  /**
   * Subnet of the control-plane servers. The API load balancer's VIP and its
   * member-side port live here, so the API and supervisor ports are open to it.
   */
  readonly serversSubnetCidr: string;
  /**
   * Subnet of the agents. The ingress load balancer's VIP and its member-side
   * port live here, so the ingress NodePorts are open to it (and only to it).
   */
  readonly agentsSubnetCidr: string;
  /** NodePorts of the ingress controller, in 30000-32767 and distinct. */
  readonly ingressNodePorts: IngressNodePorts;
  /**
   * Tags set on both security groups (rules take no tags).
   * @default - none
   */
  readonly tags?: string[];
}

/** Inclusive range of Kubernetes NodePorts (the kube-apiserver default). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

const ANY_IPV4 = '0.0.0.0/0';
const ANY_IPV6 = '::/0';
const GROUPS: readonly NodeGroup[] = ['servers', 'agents'];

function isGroup(peer: string): peer is NodeGroup {
  return peer === 'servers' || peer === 'agents';
}

/**
 * Everything wrong with the props, one line each as `field value: problem; fix`.
 * Empty when the props are valid.
 */
export function securityGroupPropProblems(props: ClusterSecurityGroupsProps): string[] {
  const problems: string[] = [];
  const show = (value: unknown) => JSON.stringify(value);
  if (!props.namePrefix) problems.push(`namePrefix ${show(props.namePrefix)}: must not be empty; use e.g. "webhost-production"`);
  for (const p of addressPlanProblems({
    networkCidr: props.networkCidr,
    serversSubnetCidr: props.serversSubnetCidr,
    agentsSubnetCidr: props.agentsSubnetCidr,
  })) {
    problems.push(`${p.field} ${show(props[p.field as 'networkCidr'])}: ${p.message}`);
  }


  const { min, max } = NODE_PORT_RANGE;
  for (const key of ['http', 'https'] as const) {
    const port = props.ingressNodePorts[key];
    if (!Number.isInteger(port) || port < min || port > max) {
      problems.push(`ingressNodePorts.${key} ${show(port)}: outside the NodePort range ${min}-${max}; use a port in it, e.g. ${key === 'http' ? 30080 : 30443}`);
    }
  }
  if (props.ingressNodePorts.http === props.ingressNodePorts.https) {
    problems.push(`ingressNodePorts.https ${show(props.ingressNodePorts.https)}: same as ingressNodePorts.http; give each listener its own NodePort`);
  }
  return problems;
}

/**
 * The rule matrix: every opening of the servers and agents security groups,
 * one row per rule resource. Both groups start empty (`delete_default_rules`),
 * so anything not listed here is dropped. Throws on invalid props.
 *
 * There is no SSH row and no way to add one: no node has a public address and
 * no SSH key is installed, RKE2 forms the cluster without a login and the
 * kubeconfigs come from the state, so port 22 would only be attack surface.
 */
export function securityRuleMatrix(props: ClusterSecurityGroupsProps): SecurityRule[] {
  const problems = securityGroupPropProblems(props);
  if (problems.length > 0) throw new Error(`invalid security group props:\n  ${problems.join('\n  ')}`);

  const rows: SecurityRule[] = [];
  const row = (ports: string, protocol: RuleProtocol, from: string, to: string, why: string) =>
    rows.push({ ports, protocol, from, to, why });
  const betweenAllNodes = (ports: string, protocol: RuleProtocol, why: string) => {
    for (const to of GROUPS) for (const from of GROUPS) row(ports, protocol, from, to, why);
  };
  const servers = props.serversSubnetCidr;

  row('2379-2380', 'tcp', 'servers', 'servers', 'etcd client and peer traffic: only the control-plane servers run etcd');
  for (const [port, what] of [['6443', 'Kubernetes API'], ['9345', 'RKE2 supervisor (nodes join and fetch their config)']]) {
    row(port, 'tcp', 'servers', 'servers', `${what}: from the servers`);
    row(port, 'tcp', 'agents', 'servers', `${what}: from the agents`);
    row(port, 'tcp', servers, 'servers',
      `${what} through the API load balancer: Octavia connects to members from its port in the servers subnet; the listener's allowed_cidrs decide who reaches the load balancer`);
  }
  betweenAllNodes('10250', 'tcp', 'kubelet API: logs, exec, port-forward and metrics');
  betweenAllNodes('8472', 'udp', 'Cilium VXLAN overlay: all pod-to-pod traffic between nodes');
  betweenAllNodes('4240', 'tcp', 'Cilium health checks between nodes');
  betweenAllNodes('all', 'icmp', 'ICMP within the cluster: Cilium health pings and path MTU discovery');
  for (const key of ['http', 'https'] as const) {
    row(String(props.ingressNodePorts[key]), 'tcp', props.agentsSubnetCidr, 'agents',
      `ingress NodePort (${key}): Octavia connects to members from its port in the agents subnet; the internet reaches this port only through the ingress load balancer`);
  }
  for (const from of GROUPS) {
    row('all', 'any', from, ANY_IPV4, 'all outbound IPv4 (images, charts, OpenStack and S3 APIs): delete_default_rules removed the default egress');
    row('all', 'any', from, ANY_IPV6, 'all outbound IPv6: delete_default_rules removed the default egress');
  }
  return rows;
}

/** Renders the matrix as a markdown table (for the README); CIDR blocks in backticks. */
export function renderSecurityRuleMatrix(rules: readonly SecurityRule[]): string {
  const peer = (p: string) => (isGroup(p) ? p : `\`${p}\``);
  const lines = [
    '| ports | protocol | from | to | why |',
    '|---|---|---|---|---|',
    ...rules.map((r) => `| ${r.ports} | ${r.protocol} | ${peer(r.from)} | ${peer(r.to)} | ${r.why.replace(/\|/g, '\\|')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Construct id of a row's rule, readable and derived from the row only (never
 * from its position), because it becomes the rule's Terraform address:
 * `servers-tcp-6443-from-agents`, `agents-tcp-30080-from-10-30-16-0_20`,
 * `servers-any-all-to-anywhere-ipv4`.
 */
export function securityRuleId(rule: SecurityRule): string {
  const slug = (peer: string) =>
    peer === ANY_IPV4 ? 'anywhere-ipv4' : peer === ANY_IPV6 ? 'anywhere-ipv6' : peer.replace(/\./g, '-').replace('/', '_');
  return isGroup(rule.to)
    ? `${rule.to}-${rule.protocol}-${rule.ports}-from-${slug(rule.from)}`
    : `${rule.from}-${rule.protocol}-${rule.ports}-to-${slug(rule.to)}`;
}

/**
 * The security groups of one cluster's nodes, the outer layer of tenant
 * isolation: a servers group and an agents group, both emptied of OpenStack's
 * default rules and filled from {@link securityRuleMatrix}, the single source
 * of truth. Node-to-node openings use remote groups; load balancer openings
 * use CIDR blocks. The ingress NodePorts are never open to the world.
 *
 * Two inputs are deliberately absent. The pod range: Cilium's VXLAN carries pod
 * traffic between nodes inside UDP 8472 from node addresses, so no pod address
 * ever meets a security group. The API's admin ranges: Octavia's amphora is a
 * full proxy, so the servers see the load balancer's member-side port (servers
 * subnet), never the admin's address; the ranges are enforced by the API
 * listener's `allowed_cidrs` (see {@link LoadBalancer}'s `allowedCidrs`).
 */
export class ClusterSecurityGroups extends Construct {
  static readonly NODE_PORT_RANGE = NODE_PORT_RANGE;

  /** Security group of the control-plane servers. */
  readonly servers: NetworkingSecgroupV2;
  /** Security group of the agents. */
  readonly agents: NetworkingSecgroupV2;
  /** The rule matrix, one row per rule resource, in creation order. */
  readonly rules: readonly SecurityRule[];
  /** Number of `openstack_networking_secgroup_rule_v2` resources created. */
  readonly ruleCount: number;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const problems = securityGroupPropProblems(props);
    if (problems.length > 0) {
      throw new Error(`${this.node.path}: invalid security group props:\n  ${problems.join('\n  ')}`);
    }
    this.rules = securityRuleMatrix(props);

    const group = (constructId: string, role: NodeGroup, what: string) =>
      new NetworkingSecgroupV2(this, constructId, {
        name: `${props.namePrefix}-${role}`,
        description: `${what} of ${props.namePrefix}: only the openings of the cluster's rule matrix`,
        deleteDefaultRules: true,
        tags: props.tags,
      });
    this.servers = group('Servers', 'servers', 'RKE2 control-plane servers');
    this.agents = group('Agents', 'agents', 'RKE2 agents');
    const groups: Record<NodeGroup, NetworkingSecgroupV2> = { servers: this.servers, agents: this.agents };

    for (const rule of this.rules) {
      const ingress = isGroup(rule.to);
      const owner = ingress ? (rule.to as NodeGroup) : (rule.from as NodeGroup);
      const peer = ingress ? rule.from : rule.to;
      const [min, max] = rule.ports === 'all' ? [undefined, undefined] : rule.ports.split('-').map(Number);
      new NetworkingSecgroupRuleV2(this, securityRuleId(rule), {
        securityGroupId: groups[owner].id,
        direction: ingress ? 'ingress' : 'egress',
        ethertype: peer.includes(':') ? 'IPv6' : 'IPv4',
        protocol: rule.protocol === 'any' ? undefined : rule.protocol,
        portRangeMin: min,
        portRangeMax: max ?? min,
        remoteGroupId: isGroup(peer) ? groups[peer].id : undefined,
        remoteIpPrefix: isGroup(peer) ? undefined : peer,
        description: rule.why,
      });
    }
    this.ruleCount = this.rules.length;
  }
}
