import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { POD_SECURITY_LABELS } from '../aspects/conventions';

/** Pod Security Standard a namespace enforces. */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface PlatformNamespaceProps {
  readonly name: string;
  /**
   * The level enforced. RKE2's CIS profile enforces `restricted` on every
   * namespace but kube-system unless the namespace says otherwise.
   */
  readonly podSecurity: PodSecurityLevel;
  /**
   * Level that only warns and audits, to see what a stricter level would reject.
   * @default - the enforced level
   */
  readonly podSecurityWarn?: PodSecurityLevel;
}

/** A namespace of the platform layer, labelled with the Pod Security level its workloads need. */
export class PlatformNamespace extends Construct {
  readonly namespace: NamespaceV1;
  /** The namespace's name, as a reference: using it orders a release after the namespace. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const warn = props.podSecurityWarn ?? props.podSecurity;
    const [enforce, audit, warnLabel] = POD_SECURITY_LABELS;
    this.namespace = new NamespaceV1(this, 'Namespace', {
      metadata: {
        name: props.name,
        labels: {
          'app.kubernetes.io/part-of': 'platform',
          [enforce]: props.podSecurity,
          [audit]: warn,
          [warnLabel]: warn,
        },
      },
    });
    this.name = this.namespace.metadata.name;
  }
}
