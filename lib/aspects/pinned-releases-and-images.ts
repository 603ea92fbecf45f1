import type { IConstruct } from 'constructs';
import { parse } from 'yaml';
import { imageName, isFromAllowedRegistry, parseImageReference } from './private/image-reference';
import { isLiteral, isRecord, terraformBlockOf, walk } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

export interface PinnedReleasesAndImagesProps {
  /** Registries (a host, or a host/path prefix) images may come from: `guardrails.allowedRegistries`. */
  readonly allowedRegistries: readonly string[];
}

/** An exact SemVer 2 version, optionally with a leading v; no ranges. */
const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Kubernetes workload resources whose pod templates hold containers. */
const WORKLOAD_TYPE = /^kubernetes_(deployment|stateful_set|daemon_set|daemonset|job|cron_job|pod)(_v1)?$/;

/**
 * `pinned-releases-and-images`: every Helm release names its repository and an
 * exact chart version, and every container image (in workloads and in Helm
 * values) has a tag or digest other than `latest` and comes from an allowed
 * registry. Values not known at synth are skipped.
 */
export class PinnedReleasesAndImages implements GuardrailRule {
  static readonly ID = 'pinned-releases-and-images';
  readonly id = PinnedReleasesAndImages.ID;

  constructor(private readonly props: PinnedReleasesAndImagesProps) {}

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource') return [];
    const path = construct.node.path;
    if (block.type === 'helm_release') return [...this.checkRelease(path, block.attributes), ...this.checkValues(path, block.attributes.values)];
    if (!WORKLOAD_TYPE.test(block.type)) return [];
    const violations: GuardrailViolation[] = [];
    walk(block.attributes, (key, value, at) => {
      if ((key === 'container' || key === 'init_container') && Array.isArray(value)) {
        value.forEach((container, index) => {
          if (isRecord(container) && typeof container.image === 'string') {
            violations.push(...this.checkImage(path, container.image, `${formatPath(at)}[${index}].image`));
          } else if (isRecord(container) && container.image === undefined) {
            violations.push(this.violation(path, `container at ${formatPath(at)}[${index}] has no image`, 'set image to a pinned reference, e.g. docker.io/library/nginx:1.27.3'));
          }
        });
      }
    });
    return violations;
  }

  private checkRelease(path: string, a: Readonly<Record<string, unknown>>): GuardrailViolation[] {
    const chart = typeof a.chart === 'string' ? `chart "${a.chart}"` : 'chart';
    const violations: GuardrailViolation[] = [];
    if (a.repository === undefined || a.repository === '') {
      violations.push(this.violation(path, `${chart} has no repository`, "set repository to the chart's https:// or oci:// repository"));
    }
    const version = a.version;
    if (version === undefined || version === '') {
      violations.push(this.violation(path, `${chart} has no version`, 'pin version to an exact chart version, e.g. 1.16.2'));
    } else if (typeof version === 'string' && isLiteral(version) && !EXACT_VERSION.test(version.trim())) {
      violations.push(
        this.violation(path, `${chart} version "${version}" is not an exact version`, 'pin an exact chart version, e.g. 1.16.2 (no ^ ~ > < * x ranges)'),
      );
    }
    return violations;
  }

  private checkValues(path: string, values: unknown): GuardrailViolation[] {
    if (!Array.isArray(values)) return [];
    const violations: GuardrailViolation[] = [];
    values.forEach((text, index) => {
      if (typeof text !== 'string') return;
      let doc: unknown;
      try {
        doc = parse(text);
      } catch (err) {
        if (isLiteral(text)) {
          violations.push(this.violation(path, `values[${index}] is not valid YAML (${String((err as Error).message).split('\n')[0]})`, 'fix the YAML of the values'));
        }
        return;
      }
      for (const { image, at } of imagesInValues(doc)) {
        violations.push(...this.checkImage(path, image, `values[${index}] ${at}`));
      }
    });
    return violations;
  }

  private checkImage(path: string, image: string, at: string): GuardrailViolation[] {
    if (!isLiteral(image)) return [];
    const ref = parseImageReference(image);
    const violations: GuardrailViolation[] = [];
    if (ref.tag === undefined && ref.digest === undefined) {
      violations.push(this.violation(path, `image "${image}" at ${at} has no tag or digest`, `pin a version tag or a digest, e.g. ${imageName(ref)}:1.2.3`));
    } else if (ref.tag === 'latest' && ref.digest === undefined) {
      violations.push(this.violation(path, `image "${image}" at ${at} uses the mutable tag latest`, 'pin a version tag or a digest'));
    }
    if (!isFromAllowedRegistry(ref, this.props.allowedRegistries)) {
      violations.push(
        this.violation(
          path,
          `image "${image}" at ${at} comes from ${ref.registry}, not an allowed registry`,
          `pull it from one of guardrails.allowedRegistries (${this.props.allowedRegistries.join(', ')}), or add its registry there`,
        ),
      );
    }
    return violations;
  }

  private violation(path: string, problem: string, fix: string): GuardrailViolation {
    return { path, rule: this.id, problem, fix };
  }
}

/**
 * Image references in Helm values: strings under keys named `image` (or ending
 * in Image), and objects with registry/repository/tag/digest under such keys
 * or anywhere with both repository and tag.
 */
function imagesInValues(doc: unknown): { image: string; at: string }[] {
  const found: { image: string; at: string }[] = [];
  walk(doc, (key, value, at) => {
    const imageKey = /image$/i.test(key);
    if (imageKey && typeof value === 'string' && value !== '') {
      found.push({ image: value, at: formatPath(at) });
    } else if (isRecord(value) && (imageKey ? 'repository' in value || 'registry' in value : 'repository' in value && 'tag' in value)) {
      const repository = value.repository;
      if (typeof repository !== 'string' || repository === '') return; // the chart's default image
      const registry = typeof value.registry === 'string' && value.registry !== '' ? `${value.registry}/` : '';
      const tag = value.tag === undefined || value.tag === null || value.tag === '' ? '' : `:${String(value.tag)}`;
      const digest = typeof value.digest === 'string' && value.digest !== '' ? `@${value.digest}` : '';
      found.push({ image: `${registry}${repository}${tag}${digest}`, at: formatPath(at) });
    }
  });
  return found;
}

function formatPath(keys: readonly (string | number)[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${k}`)).join('');
}
