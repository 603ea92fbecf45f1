/** The three clusters of the platform, each its own OpenStack stack. */
export const ENVIRONMENT_NAMES = ['tools', 'production', 'test'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
