import { Construct } from 'constructs';
import { CHARTS, type KubernetesObject } from './helm-values';
import { HTTP_ENTRY_POINT, INGRESS_CLASS } from './ingress';
import { PlatformNamespace } from './namespace';
import { ManifestsRelease, PinnedRelease } from './release';

export const CLUSTER_ISSUER = 'letsencrypt-production';
export const CERT_MANAGER_NAMESPACE = 'cert-manager';
/** Let's Encrypt's production ACME directory. */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

export interface CertManagerProps {
  /** Contact address of the ACME account (expiry notices). */
  readonly acmeEmail: string;
  /** IngressClass that serves the HTTP-01 challenges. @default traefik */
  readonly ingressClass?: string;
}

/**
 * cert-manager (CRDs installed and kept by the chart) and the ClusterIssuer
 * `letsencrypt-production` (ACME, HTTP-01 through the traefik class, on :80).
 *
 * The ClusterIssuer is a custom resource: it goes out as its own release of the
 * platform-manifests chart, after the cert-manager release has waited for its
 * webhook, so the plan needs neither a reachable cluster nor the CRD.
 */
export class CertManager extends Construct {
  readonly namespace: PlatformNamespace;
  readonly release: PinnedRelease;
  readonly issuers: ManifestsRelease;
  readonly clusterIssuer: KubernetesObject;

  constructor(scope: Construct, id: string, props: CertManagerProps) {
    super(scope, id);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.acmeEmail)) {
      throw new Error(`${this.node.path}: acmeEmail ${JSON.stringify(props.acmeEmail)} is not an e-mail address`);
    }
    // The chart's pods run non-root with RuntimeDefault seccomp and no capabilities.
    this.namespace = new PlatformNamespace(this, 'Namespace', { name: CERT_MANAGER_NAMESPACE, podSecurity: 'restricted' });
    this.release = new PinnedRelease(this, 'CertManager', {
      name: 'cert-manager',
      namespace: this.namespace.name,
      chart: CHARTS.certManager,
      values: { crds: { enabled: true, keep: true }, replicaCount: 2, podDisruptionBudget: { enabled: true, minAvailable: 1 } },
    });
    this.clusterIssuer = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: CLUSTER_ISSUER },
      spec: {
        acme: {
          email: props.acmeEmail,
          server: LETS_ENCRYPT_PRODUCTION,
          privateKeySecretRef: { name: `${CLUSTER_ISSUER}-account-key` },
          solvers: [
            {
              http01: {
                ingress: {
                  ingressClassName: props.ingressClass ?? INGRESS_CLASS,
                  // The challenge comes in on :80. websecure is Traefik's default
                  // entry point, so the solver's Ingress names web; the redirect
                  // to HTTPS leaves its path alone.
                  ingressTemplate: { metadata: { annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': HTTP_ENTRY_POINT } } },
                },
              },
            },
          ],
        },
      },
    };
    this.issuers = new ManifestsRelease(this, 'Issuers', {
      name: 'cluster-issuers',
      namespace: this.namespace.name,
      objects: [this.clusterIssuer],
      // The CRD and a ready webhook: the release waits for its pods.
      dependsOn: [this.release.release],
    });
  }
}
