/** A container image reference, normalized the way Docker reads it. */
export interface ImageReference {
  /** Registry host, e.g. `docker.io`, `registry.k8s.io`. */
  readonly registry: string;
  /** Repository path below the registry, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB_ALIASES = ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/** Parses `[registry/]repository[:tag][@digest]`; a short name means Docker Hub (`nginx` → docker.io/library/nginx). */
export function parseImageReference(text: string): ImageReference {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const head = slash >= 0 ? rest.slice(0, slash) : '';
  const isHost = slash >= 0 && (head.includes('.') || head.includes(':') || head === 'localhost');
  let registry = isHost ? head.toLowerCase() : 'docker.io';
  let repository = isHost ? rest.slice(slash + 1) : rest;
  if (DOCKER_HUB_ALIASES.includes(registry)) registry = 'docker.io';
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, tag: tag || undefined, digest: digest || undefined };
}

/** `registry/repository`, e.g. `docker.io/library/nginx`. */
export function imageName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Whether the image comes from an allowed registry: a host, or a host/path prefix. */
export function isFromAllowedRegistry(ref: ImageReference, allowed: readonly string[]): boolean {
  const name = imageName(ref);
  return allowed.some((entry) => {
    const prefix = entry.replace(/\/+$/, '').toLowerCase();
    return name === prefix || name.startsWith(`${prefix}/`);
  });
}
