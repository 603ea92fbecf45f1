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

/**
 * Address blocks a tenant may never reach, in both isolation layers: private
 * networks (RFC 1918), carrier-grade NAT (RFC 6598), and link-local with the
 * cloud's metadata service (169.254.169.254).
 */
export const NON_PUBLIC_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] as const;
