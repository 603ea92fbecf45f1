import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { parseCidr, PRIVATE_RANGES } from '../net/cidr';
import { CHARTS, type KubernetesObject } from './helm-values';
import { PlatformNamespace } from './namespace';
import { ManifestsRelease, PinnedRelease } from './release';

/** IngressClass of the platform: the sites use ingressClassName traefik. */
export const INGRESS_CLASS = 'traefik';
export const INGRESS_NAMESPACE = 'traefik';
/** Traefik's entry point on :80 (the load balancer's port 80): redirects to HTTPS, serves only ACME HTTP-01 challenges. */
export const HTTP_ENTRY_POINT = 'web';
/** Traefik's entry point on :443: TLS for every router; the default of an Ingress that names none. */
export const HTTPS_ENTRY_POINT = 'websecure';

/**
 * Annotations of an Ingress served on HTTPS only: its router is bound to the
 * websecure entry point with TLS, so it never answers on :80, where the
 * redirect to HTTPS does.
 */
export const HTTPS_ONLY_ANNOTATIONS: Readonly<Record<string, string>> = {
  'traefik.ingress.kubernetes.io/router.entrypoints': HTTPS_ENTRY_POINT,
  'traefik.ingress.kubernetes.io/router.tls': 'true',
};

/**
 * Where the ingress load balancer's connections reach Traefik from, so the only
 * sources whose PROXY protocol header (the client's address) it may believe:
 *
 * - the agents subnet: Octavia connects to the members (the agents' NodePorts)
 *   from its port there, and with a local Traefik pod kube-proxy may pass the
 *   connection on unchanged;
 * - the pod range: the Service is a NodePort with externalTrafficPolicy
 *   Cluster, so kube-proxy masquerades the connection towards the Traefik pod,
 *   and the source becomes the node's Cilium router address (cilium_host),
 *   which lies in the pod range.
 *
 * Not the servers subnet: the servers are no members of the ingress load balancer.
 */
export function ingressProxySources(cluster: Pick<EnvironmentConfig, 'network' | 'kubernetes'>): string[] {
  return [cluster.network.agentsSubnetCidr, cluster.kubernetes.podCidr];
}

export interface IngressControllerProps {
  /** NodePort the ingress load balancer sends :80 to (environments.<env>.ingress.httpNodePort). */
  readonly httpNodePort: number;
  /** NodePort the ingress load balancer sends :443 to. */
  readonly httpsNodePort: number;
  /**
   * Traefik replicas, spread across agents.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Sources Traefik takes a PROXY protocol header from (`proxyProtocol.trustedIPs`
   * of both entry points): use `ingressProxySources(cluster)`. From any other
   * source the header is read and dropped, and the connection's own address is
   * the client's. Connections without a header (health checks) are accepted.
   * @default IngressController.DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS (the RFC 1918 ranges)
   */
  readonly proxyProtocolTrustedCidrs?: readonly string[];
}

/** An entry point's PROXY protocol settings (chart 41: `ports.<name>.proxyProtocol`). */
export interface ProxyProtocolValues {
  readonly trustedIPs: readonly string[];
}

/** The parts of the Traefik chart's values this construct sets. */
export interface TraefikValues {
  readonly deployment: { readonly replicas: number };
  readonly podDisruptionBudget: { readonly enabled: boolean; readonly minAvailable: number };
  readonly ingressClass: { readonly enabled: boolean; readonly isDefaultClass: boolean; readonly name: string };
  readonly providers: {
    readonly kubernetesIngress: { readonly enabled: boolean };
    readonly kubernetesCRD: { readonly enabled: boolean; readonly allowCrossNamespace: boolean };
  };
  /** The chart's Service spec (chart 41: `service.spec`, merged into the Service). */
  readonly service: { readonly spec: { readonly type: 'NodePort' } };
  readonly ports: {
    readonly web: {
      readonly nodePort: number;
      /** Traefik v3.7: takes /.well-known/acme-challenge/ out of the redirect's rule (HostRegexp(`^.+$`) && !PathPrefix(...)). */
      readonly allowACMEByPass: boolean;
      /** Chart 41: under `http` (the chart's schema refuses `ports.web.redirections`). */
      readonly http: { readonly redirections: { readonly entryPoint: { readonly to: string; readonly scheme: 'https'; readonly permanent: boolean } } };
      readonly proxyProtocol: ProxyProtocolValues;
    };
    readonly websecure: {
      readonly nodePort: number;
      readonly asDefault: boolean;
      /** Middlewares of every router on the entry point, before the router's own. */
      readonly http: { readonly tls: { readonly enabled: boolean }; readonly middlewares: readonly string[] };
      readonly proxyProtocol: ProxyProtocolValues;
    };
  };
  readonly affinity: object;
  readonly topologySpreadConstraints: object[];
}

/**
 * Traefik, RKE2's new default ingress controller (ingress-nginx is retired), as a
 * NodePort service on the ports the ingress load balancer targets, on the agents
 * only (servers are tainted and excluded), at least two replicas spread across
 * nodes with a PodDisruptionBudget. Serves Ingress objects of class `traefik` and
 * Traefik's own CRDs (Middleware), which the chart installs.
 *
 * HTTPS only: :80 redirects to HTTPS and serves nothing but ACME HTTP-01
 * challenges; routers that name no entry point are served on :443, and every
 * HTTPS response carries Strict-Transport-Security (an entry-point Middleware).
 */
export class IngressController extends Construct {
  static readonly DEFAULT_REPLICAS = 2;
  /** Strict-Transport-Security max-age: one year, what browsers' HSTS preload lists ask for. */
  static readonly HSTS_MAX_AGE_SECONDS = 31_536_000;
  /** The Middleware (in the ingress namespace) that sends Strict-Transport-Security on every HTTPS response. */
  static readonly HSTS_MIDDLEWARE = 'hsts';
  /**
   * PROXY protocol sources when none are given: every private range. Only
   * private addresses can open a connection to Traefik at all (its NodePorts
   * admit the agents subnet only, and public clients arrive through Octavia,
   * which connects from its own private address), so this keeps the clients'
   * addresses right for any address plan; ingressProxySources narrows it to
   * the two blocks the connections really come from.
   */
  static readonly DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS: readonly string[] = PRIVATE_RANGES.map((range) => range.text);
  readonly namespace: PlatformNamespace;
  readonly release: PinnedRelease;
  readonly values: TraefikValues;
  /** The entry points' Middlewares (HSTS), a release of the platform-manifests chart after Traefik's (its CRDs). */
  readonly middlewares: ManifestsRelease;

  constructor(scope: Construct, id: string, props: IngressControllerProps) {
    super(scope, id);
    const replicas = props.replicas ?? IngressController.DEFAULT_REPLICAS;
    if (replicas < 2) throw new Error(`${this.node.path}: replicas must be at least 2 so that a node can be drained, got ${replicas}`);
    if (props.httpNodePort === props.httpsNodePort) {
      throw new Error(`${this.node.path}: httpNodePort and httpsNodePort must differ, got ${props.httpNodePort} twice`);
    }
    const trustedIPs = [...(props.proxyProtocolTrustedCidrs ?? IngressController.DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS)];
    const problem = proxySourcesProblem(trustedIPs);
    if (problem) throw new Error(`${this.node.path}: ${problem}`);
    // The chart runs non-root, read-only, all capabilities dropped, RuntimeDefault seccomp.
    this.namespace = new PlatformNamespace(this, 'Namespace', { name: INGRESS_NAMESPACE, podSecurity: 'restricted' });
    const selector = { matchLabels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' } };
    this.values = {
      deployment: { replicas },
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      ingressClass: { enabled: true, isDefaultClass: true, name: INGRESS_CLASS },
      providers: {
        kubernetesIngress: { enabled: true },
        kubernetesCRD: { enabled: true, allowCrossNamespace: false },
      },
      service: { spec: { type: 'NodePort' } },
      ports: {
        web: {
          nodePort: props.httpNodePort,
          // Every request on :80 is redirected (301) to https://<host>/, at the
          // redirect's own priority (Traefik's default, MaxInt - 1, above any
          // router's), except ACME HTTP-01 challenges: with allowACMEByPass the
          // redirect's rule leaves /.well-known/acme-challenge/ out, and
          // cert-manager's solver router (pinned to web) answers those.
          allowACMEByPass: true,
          http: { redirections: { entryPoint: { to: HTTPS_ENTRY_POINT, scheme: 'https', permanent: true } } },
          // The ingress load balancer's pools speak PROXY (v1): the client's
          // address reaches the redirect, the access log and IP allow-lists.
          proxyProtocol: { trustedIPs },
        },
        websecure: {
          nodePort: props.httpsNodePort,
          // An Ingress that names no entry point lands here, never on :80.
          asDefault: true,
          http: { tls: { enabled: true }, middlewares: [`${INGRESS_NAMESPACE}-${IngressController.HSTS_MIDDLEWARE}@kubernetescrd`] },
          proxyProtocol: { trustedIPs },
        },
      },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] }],
          },
        },
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector },
      ],
    };
    this.release = new PinnedRelease(this, 'Traefik', {
      name: 'traefik',
      namespace: this.namespace.name,
      chart: CHARTS.traefik,
      values: this.values,
    });
    // Browsers that saw one HTTPS response never try plain HTTP on the host for a
    // year. Not for subdomains and not preloaded: on a customer's apex that would
    // commit hosts we do not serve (README, Security model). Traefik sends it on
    // TLS requests only, and websecure is the only TLS entry point.
    const hsts: KubernetesObject = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: IngressController.HSTS_MIDDLEWARE, namespace: INGRESS_NAMESPACE },
      spec: { headers: { stsSeconds: IngressController.HSTS_MAX_AGE_SECONDS, stsIncludeSubdomains: false, stsPreload: false } },
    };
    this.middlewares = new ManifestsRelease(this, 'Middlewares', {
      name: 'ingress-middlewares',
      namespace: this.namespace.name,
      objects: [hsts],
      // The Middleware CRD comes with the chart. On the very first install
      // websecure routers fail (middleware not found) for the seconds between
      // the two releases; nothing is served yet at that point.
      dependsOn: [this.release.release],
    });
  }
}

/** What is wrong with a list of PROXY protocol sources, as `field value: problem; fix`, or undefined. */
function proxySourcesProblem(cidrs: readonly string[]): string | undefined {
  // An empty list would leave the chart's proxyProtocol off: Traefik would read
  // the load balancer's header as the start of the request and fail every one.
  if (cidrs.length === 0) {
    return 'proxyProtocolTrustedCidrs []: list the sources of the ingress load balancer\u2019s connections, e.g. ingressProxySources(cluster)';
  }
  for (const [index, text] of cidrs.entries()) {
    const parsed = parseCidr(text);
    const field = `proxyProtocolTrustedCidrs[${index}] ${JSON.stringify(text)}`;
    if (typeof parsed === 'string') return `${field}: ${parsed}`;
    if (parsed.prefixLength === 0) return `${field}: anyone could forge a client address; trust only the agents subnet and the pod range`;
  }
  return undefined;
}
