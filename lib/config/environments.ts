/**
 * The platform's environments are data: `environments` in the config is a map
 * of any number of named clusters, each its own stacks (`<env>`,
 * `<env>-platform`, and for a sites environment `<env>-sites-NN`). This module
 * holds what every layer reads of that map, so that none keeps its own list.
 */

/** What an environment runs: `tools` watches the others (Grafana, Mimir, Loki); `sites` receives tenant sites. */
export const ENVIRONMENT_ROLES = ['tools', 'sites'] as const;
export type EnvironmentRole = (typeof ENVIRONMENT_ROLES)[number];

/** An environment's name: it is the first word of its stack names and part of every resource name. */
export type EnvironmentName = string;

/**
 * 1 to 12 lower-case letters and digits, starting with a letter: no dash, so
 * that a stack name (`production-sites-01`) names its environment unambiguously,
 * and short enough for node host names (`<platform>-<env>-<pool>-NN`) to stay
 * DNS labels.
 */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

/**
 * The role of an environment that names none: configs written before roles
 * existed keep their meaning (`tools` watches, every other one hosts sites).
 */
export function defaultRoleOf(name: EnvironmentName): EnvironmentRole {
  return name === 'tools' ? 'tools' : 'sites';
}

/** Whether an environment that does not say is protected: `production` is, as it always was. */
export function defaultProtectedOf(name: EnvironmentName): boolean {
  return name === 'production';
}

/** What the helpers below read of a config. */
export interface EnvironmentsView {
  readonly environments: Readonly<Record<EnvironmentName, { readonly role: EnvironmentRole; readonly protected: boolean }>>;
}

/** Every environment, in the config's order (the order of the stacks too). */
export function environmentNames(config: EnvironmentsView): EnvironmentName[] {
  return Object.keys(config.environments);
}

/** The environments that receive tenant sites, in the config's order. */
export function siteEnvironments(config: EnvironmentsView): EnvironmentName[] {
  return environmentNames(config).filter((name) => config.environments[name].role === 'sites');
}

/** The one environment that watches the others, if the config has one. */
export function toolsEnvironment(config: EnvironmentsView): EnvironmentName | undefined {
  return environmentNames(config).find((name) => config.environments[name].role === 'tools');
}

/** The sites environment Grafana opens by default: the first protected one, else the first. */
export function defaultSitesEnvironment(config: EnvironmentsView): EnvironmentName | undefined {
  const sites = siteEnvironments(config);
  return sites.find((name) => config.environments[name].protected) ?? sites[0];
}

/** The protected environments (production-only rules apply to them), in the config's order. */
export function protectedEnvironments(config: EnvironmentsView): EnvironmentName[] {
  return environmentNames(config).filter((name) => config.environments[name].protected);
}

/**
 * Whether an environment's applies wait for a person: a protected one, and
 * tools (every cluster's telemetry target, whose apply can cut all of them off).
 */
export function appliesByHand(environment: { readonly role: EnvironmentRole; readonly protected: boolean }): boolean {
  return environment.protected || environment.role === 'tools';
}

/** Each environment with its role and whether it applies by hand, in the config's order: what the pipeline reads of the config. */
export function environmentPolicies(config: EnvironmentsView): { name: EnvironmentName; role: EnvironmentRole; manualApply: boolean }[] {
  return environmentNames(config).map((name) => ({ name, role: config.environments[name].role, manualApply: appliesByHand(config.environments[name]) }));
}

/**
 * The environment a stack name belongs to: `production`, `production-platform`
 * and `production-sites-01` are production's. An environment name has no dash,
 * so the first word decides.
 */
export function environmentOfStackName(stackName: string): EnvironmentName {
  const dash = stackName.indexOf('-');
  return dash === -1 ? stackName : stackName.slice(0, dash);
}
