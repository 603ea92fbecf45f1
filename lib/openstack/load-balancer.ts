import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { LbListenerV2 } from '../../.gen/providers/openstack/lb-listener-v2';
import { LbLoadbalancerV2 } from '../../.gen/providers/openstack/lb-loadbalancer-v2';
import { LbMemberV2 } from '../../.gen/providers/openstack/lb-member-v2';
import { LbMonitorV2 } from '../../.gen/providers/openstack/lb-monitor-v2';
import { LbPoolV2 } from '../../.gen/providers/openstack/lb-pool-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { parseCidr } from '../net/cidr';

export interface HealthMonitorProps {
  /**
   * `TCP` checks that the member port accepts connections. `HTTP` and `HTTPS`
   * send a GET to `urlPath`; Octavia's HTTPS monitor does not validate the
   * certificate.
   */
  readonly type: 'TCP' | 'HTTP' | 'HTTPS';
  /**
   * Path of an HTTP(S) check; only for `HTTP` and `HTTPS`.
   * @default '/'
   */
  readonly urlPath?: string;
  /**
   * Status codes that count as healthy, e.g. `'200'`, `'200,204'` or `'200-299'`;
   * only for `HTTP` and `HTTPS`.
   * @default '200'
   */
  readonly expectedCodes?: string;
  /**
   * Port checked on each member, when it is not the listener's `memberPort`
   * (Octavia's member `monitor_port`), e.g. the API port for a pool whose
   * port opens before the member is ready.
   * @default - the listener's memberPort
   */
  readonly port?: number;
}

export interface ListenerProps {
  /** Short name, e.g. `api`: part of the resource names and Terraform addresses. */
  readonly name: string;
  /** Port on the load balancer's address. */
  readonly port: number;
  /** Port on the members the traffic goes to, e.g. a NodePort. */
  readonly memberPort: number;
  /** Plain TCP pass-through: TLS ends on the members. */
  readonly protocol: 'TCP';
  /**
   * Source ranges allowed to connect (Octavia `allowed_cidrs`). An empty list
   * is refused: Octavia would read it as "everyone".
   * @default - everyone
   */
  readonly allowedCidrs?: string[];
  /** Health check of each member on `memberPort`. */
  readonly monitor: HealthMonitorProps;
  /**
   * Seconds a connection may stay idle (no data either way) before the load
   * balancer closes it, on the client and the member side.
   * @default LoadBalancer.DEFAULT_IDLE_TIMEOUT_SECONDS (600 s)
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * How new connections are spread over the members.
   * @default 'LEAST_CONNECTIONS'
   */
  readonly balancing?: 'LEAST_CONNECTIONS' | 'ROUND_ROBIN';
  /**
   * Prepend the PROXY protocol header (v1) so that the members see the client's
   * address: the pool's protocol is `PROXY`. The members must expect it (Traefik
   * `proxyProtocol.trustedIPs`, ingress-nginx `use-proxy-protocol`) and accept
   * connections without it too: the health monitor connects without a header.
   * The provider marks a pool's protocol ForceNew: switching it on or off
   * replaces the pool, its monitor and members.
   * @default false
   */
  readonly proxyProtocol?: boolean;
}

export interface LoadBalancerMember {
  /** Unique name, e.g. the node's name: part of the Terraform addresses, so a plain string. */
  readonly name: string;
  /** The member's private IPv4 address (a token is fine). */
  readonly address: string;
  /** Subnet of that address (a token is fine). */
  readonly subnetId: string;
}

export interface LoadBalancerProps {
  /** Name of the load balancer; prefix of its listeners', pools' and monitors' names. */
  readonly name: string;
  /** Subnet the virtual IP is taken from (a token is fine). */
  readonly vipSubnetId: string;
  /**
   * External network the floating IP comes from.
   * @default LoadBalancer.DEFAULT_FLOATING_IP_POOL ('ext-floating1')
   */
  readonly floatingIpPool?: string;
  /** At least one; names and ports unique. */
  readonly listeners: ListenerProps[];
  /** Every member serves every listener, on the listener's `memberPort`. */
  readonly members: LoadBalancerMember[];
  /**
   * Put a floating IP on the virtual IP's port.
   * @default true
   */
  readonly publicIp?: boolean;
  /**
   * Tags set on the load balancer, listeners, pools, members and floating IP.
   * @default - none
   */
  readonly tags?: string[];
}

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const EXPECTED_CODES_PATTERN = /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/;
/** Octavia's upper bound for listener timeouts: 24 hours. */
const MAX_TIMEOUT_SECONDS = 86_400;

/**
 * Everything wrong with the props, one line each as `field value: problem; fix`.
 * Values that are still tokens are not checked.
 */
export function loadBalancerPropProblems(props: LoadBalancerProps): string[] {
  const problems: string[] = [];
  const show = (value: unknown) => JSON.stringify(value);
  const literal = (value: unknown): value is string => typeof value === 'string' && !Token.isUnresolved(value);
  const checkName = (field: string, name: string) => {
    if (!literal(name)) problems.push(`${field}: must be a plain string known at synth time; it becomes part of Terraform addresses`);
    else if (!NAME_PATTERN.test(name)) problems.push(`${field} ${show(name)}: not a DNS label; use lowercase letters, digits and '-', at most 63 characters`);
  };
  const checkPort = (field: string, port: number) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${field} ${show(port)}: not a port; use 1 to 65535`);
  };
  const firstUse = <T>(seen: Map<T, string>, value: T, field: string, what: string, fix = 'each needs its own') => {
    const first = seen.get(value);
    if (first !== undefined) problems.push(`${field} ${show(value)}: same ${what} as ${first}; ${fix}`);
    else seen.set(value, field);
  };

  if (!literal(props.name) || props.name.length === 0) problems.push(`name ${show(props.name)}: must be a non-empty plain string`);
  if (props.listeners.length === 0) problems.push('listeners []: a load balancer needs at least one listener; add one');
  const listenerNames = new Map<string, string>();
  const listenerPorts = new Map<number, string>();
  props.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    checkName(`${at}.name`, l.name);
    firstUse(listenerNames, l.name, `${at}.name`, 'name');
    checkPort(`${at}.port`, l.port);
    firstUse(listenerPorts, l.port, `${at}.port`, 'port');
    checkPort(`${at}.memberPort`, l.memberPort);
    if (l.protocol !== 'TCP') problems.push(`${at}.protocol ${show(l.protocol)}: only TCP pass-through is supported; use 'TCP'`);
    if (l.allowedCidrs !== undefined && l.allowedCidrs.length === 0) {
      problems.push(`${at}.allowedCidrs []: an empty list lets everyone in; omit allowedCidrs to say so, or list the allowed ranges`);
    }
    const cidrs = new Map<string, string>();
    (l.allowedCidrs ?? []).forEach((cidr, j) => {
      if (!literal(cidr)) return;
      const parsed = parseCidr(cidr);
      if (typeof parsed === 'string') problems.push(`${at}.allowedCidrs[${j}] ${show(cidr)}: ${parsed}`);
      firstUse(cidrs, cidr, `${at}.allowedCidrs[${j}]`, 'range', 'remove the duplicate');
    });
    const timeout = l.idleTimeoutSeconds;
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS)) {
      problems.push(`${at}.idleTimeoutSeconds ${show(timeout)}: use whole seconds from 1 to ${MAX_TIMEOUT_SECONDS} (24 hours, Octavia's limit)`);
    }
    const m = l.monitor;
    if (m.port !== undefined) checkPort(`${at}.monitor.port`, m.port);
    if (m.type === 'TCP') {
      for (const key of ['urlPath', 'expectedCodes'] as const) {
        if (m[key] !== undefined) problems.push(`${at}.monitor.${key} ${show(m[key])}: only HTTP and HTTPS monitors take it; remove it or use type 'HTTP'`);
      }
    } else {
      if (m.urlPath !== undefined && !m.urlPath.startsWith('/')) {
        problems.push(`${at}.monitor.urlPath ${show(m.urlPath)}: must start with '/', e.g. '/healthz'`);
      }
      if (m.expectedCodes !== undefined && !EXPECTED_CODES_PATTERN.test(m.expectedCodes)) {
        problems.push(`${at}.monitor.expectedCodes ${show(m.expectedCodes)}: not a status code list; write e.g. '200', '200,204' or '200-299'`);
      }
    }
  });

  const memberNames = new Map<string, string>();
  props.members.forEach((member, i) => {
    const at = `members[${i}]`;
    checkName(`${at}.name`, member.name);
    firstUse(memberNames, member.name, `${at}.name`, 'name');
    if (literal(member.address) && !IPV4_PATTERN.test(member.address)) {
      problems.push(`${at}.address ${show(member.address)}: not an IPv4 address; use the node's private address, e.g. its access_ip_v4`);
    }
  });
  return problems;
}

/**
 * One Octavia load balancer with one public IP: per listener a TCP listener,
 * a pool, a health monitor, and one member resource per member. Members are
 * addressed by name, so adding a node adds one member per pool and leaves
 * everything else untouched.
 */
export class LoadBalancer extends Construct {
  /** Idle timeout of listeners: long enough for Kubernetes watches and websockets (clients ping every 30 s or so). */
  static readonly DEFAULT_IDLE_TIMEOUT_SECONDS = 600;
  static readonly DEFAULT_FLOATING_IP_POOL = 'ext-floating1';
  /** Health monitor timing: a member is out after 3 failed checks 5 s apart (about 15 s). */
  static readonly MONITOR_DELAY_SECONDS = 5;
  static readonly MONITOR_TIMEOUT_SECONDS = 4;
  static readonly MONITOR_MAX_RETRIES = 3;

  readonly loadBalancer: LbLoadbalancerV2;
  /** The floating IP on the virtual IP's port; undefined when `publicIp` is false. */
  readonly floatingIp?: NetworkingFloatingipV2;
  /** The private virtual IP (a token). */
  readonly vipAddress: string;
  /** The floating IP's address, or the virtual IP without `publicIp` (a token). */
  readonly publicAddress: string;
  /** Listeners by listener name. */
  readonly listeners: Readonly<Record<string, LbListenerV2>>;
  /** Pools by listener name. */
  readonly pools: Readonly<Record<string, LbPoolV2>>;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const problems = loadBalancerPropProblems(props);
    if (problems.length > 0) {
      throw new Error(`${this.node.path}: invalid load balancer props:\n  ${problems.join('\n  ')}`);
    }
    const tags = props.tags;

    this.loadBalancer = new LbLoadbalancerV2(this, 'LoadBalancer', {
      name: props.name,
      vipSubnetId: props.vipSubnetId,
      tags,
    });
    this.vipAddress = this.loadBalancer.vipAddress;

    if (props.publicIp ?? true) {
      // floatingip_v2 takes port_id directly; no separate associate resource needed.
      this.floatingIp = new NetworkingFloatingipV2(this, 'FloatingIp', {
        pool: props.floatingIpPool ?? LoadBalancer.DEFAULT_FLOATING_IP_POOL,
        portId: this.loadBalancer.vipPortId,
        description: `public address of load balancer ${props.name}`,
        tags,
      });
    }
    this.publicAddress = this.floatingIp ? this.floatingIp.address : this.vipAddress;

    const listeners: Record<string, LbListenerV2> = {};
    const pools: Record<string, LbPoolV2> = {};
    for (const l of props.listeners) {
      const name = `${props.name}-${l.name}`;
      const idleMs = (l.idleTimeoutSeconds ?? LoadBalancer.DEFAULT_IDLE_TIMEOUT_SECONDS) * 1000;
      const listener = new LbListenerV2(this, `${l.name}-listener`, {
        name,
        loadbalancerId: this.loadBalancer.id,
        protocol: l.protocol,
        protocolPort: l.port,
        // Sorted: Octavia returns them so, and the provider's list would diff forever otherwise.
        allowedCidrs: l.allowedCidrs && [...l.allowedCidrs].sort(),
        timeoutClientData: idleMs,
        timeoutMemberData: idleMs,
        tags,
      });
      const pool = new LbPoolV2(this, `${l.name}-pool`, {
        name,
        listenerId: listener.id,
        protocol: l.proxyProtocol ? 'PROXY' : 'TCP',
        lbMethod: l.balancing ?? 'LEAST_CONNECTIONS',
        tags,
      });
      const http = l.monitor.type !== 'TCP';
      new LbMonitorV2(this, `${l.name}-monitor`, {
        name,
        poolId: pool.id,
        type: l.monitor.type,
        delay: LoadBalancer.MONITOR_DELAY_SECONDS,
        timeout: LoadBalancer.MONITOR_TIMEOUT_SECONDS,
        maxRetries: LoadBalancer.MONITOR_MAX_RETRIES,
        maxRetriesDown: LoadBalancer.MONITOR_MAX_RETRIES,
        httpMethod: http ? 'GET' : undefined,
        urlPath: http ? (l.monitor.urlPath ?? '/') : undefined,
        expectedCodes: http ? (l.monitor.expectedCodes ?? '200') : undefined,
      });
      for (const member of props.members) {
        new LbMemberV2(this, `${l.name}-member-${member.name}`, {
          name: member.name,
          poolId: pool.id,
          address: member.address,
          subnetId: member.subnetId,
          protocolPort: l.memberPort,
          monitorPort: l.monitor.port,
          tags,
        });
      }
      listeners[l.name] = listener;
      pools[l.name] = pool;
    }
    this.listeners = listeners;
    this.pools = pools;
  }
}
