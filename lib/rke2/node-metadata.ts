/**
 * What Kubernetes accepts as a node's labels and taints, and what the kubelet may set
 * on its own node (the NodeRestriction admission plugin). One set of rules for the
 * config loader and for the user data builder, so a config that loads never fails
 * later in cloud-init's checks. Plain functions, no cdktf: the loader imports them.
 */

/** The name part of a qualified name, and a label value: Kubernetes' `qualifiedNameFmt`. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A lower-case RFC 1123 DNS subdomain (the prefix of a qualified name). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Labels in kubernetes.io / k8s.io the kubelet may still set (NodeRestriction). */
const KUBELET_ALLOWED_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);

/** Syntax of a label or taint key: `[dns-subdomain/]name`. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'name part must be 1-63 characters [A-Za-z0-9-_.], starting and ending alphanumeric';
  }
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'prefix must be a lower-case DNS subdomain';
  }
  return undefined;
}

/** A label value: empty, or up to 63 characters of the name alphabet. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return 'label value must be at most 63 characters [A-Za-z0-9-_.], alphanumeric at both ends';
}

/** A key the kubelet may set as a label of its own node. */
export function labelKeyProblem(key: string): string | undefined {
  const syntax = qualifiedNameProblem(key);
  if (syntax) return syntax;
  const slash = key.lastIndexOf('/');
  if (slash < 0 || KUBELET_ALLOWED_LABELS.has(key)) return undefined;
  const prefix = key.slice(0, slash);
  const under = (domain: string) => prefix === domain || prefix.endsWith(`.${domain}`);
  if ((under('kubernetes.io') || under('k8s.io')) && !under('node.kubernetes.io') && !under('kubelet.kubernetes.io')) {
    return 'the kubelet may not set labels under kubernetes.io or k8s.io (NodeRestriction); use node.kubernetes.io/ or your own prefix';
  }
  return undefined;
}

/** A taint as RKE2's `node-taint` takes it: `key[=value]:Effect`. */
export function taintProblem(taint: string): string | undefined {
  const match = /^([^=:]+)(?:=([^:]*))?:([^:]+)$/.exec(taint);
  if (!match) return 'must be key[=value]:Effect';
  const [, key, value, effect] = match;
  const keyProblem = qualifiedNameProblem(key);
  if (keyProblem) return `key ${JSON.stringify(key)}: ${keyProblem}`;
  if (value !== undefined && labelValueProblem(value)) return `value ${JSON.stringify(value)} is not a valid label value`;
  if (!TAINT_EFFECTS.includes(effect)) return `effect must be one of ${TAINT_EFFECTS.join(', ')}`;
  return undefined;
}
