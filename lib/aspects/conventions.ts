/**
 * Names shared by the constructs that build tenants and the guardrails that
 * check them. Import these instead of spelling the strings again.
 */

/** Label on every tenant (customer website) namespace; its value is the tenant's id. */
export const TENANT_LABEL = 'platform.webhost.ch/tenant';

/** Pod Security Admission labels a tenant namespace must carry, each set to `restricted`. */
export const POD_SECURITY_LABELS = [
  'pod-security.kubernetes.io/enforce',
  'pod-security.kubernetes.io/audit',
  'pod-security.kubernetes.io/warn',
] as const;

/** The Pod Security Standard tenant namespaces enforce. */
export const POD_SECURITY_LEVEL = 'restricted';
