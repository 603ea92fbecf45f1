import { Fn, Token, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { ComputeInstanceV2 } from '../../.gen/providers/openstack/compute-instance-v2';
import { ComputeServergroupV2 } from '../../.gen/providers/openstack/compute-servergroup-v2';
import { NetworkingPortV2 } from '../../.gen/providers/openstack/networking-port-v2';
import { FLAVOR_PATTERN, VOLUME_TYPES } from '../config/infomaniak';

export type NodeRole = 'server' | 'agent';

export interface NodePoolProps {
  /** Prefix of the resource names, e.g. `webhost-production`. */
  readonly namePrefix: string;
  /** The pool's name; nodes are `<namePrefix>-<poolName>-<n>`, n from 1. */
  readonly poolName: string;
  readonly role: NodeRole;
  /** Number of nodes. Servers: odd (etcd quorum). */
  readonly count: number;
  /**
   * Infomaniak flavor. Changing it reaches new nodes only: running nodes keep
   * theirs until scripts/roll-nodes.sh resizes them one at a time, each drained
   * first (see {@link NodePool.IMMUTABLE_ATTRIBUTES}).
   */
  readonly flavor: string;
  readonly bootVolume: { readonly sizeGiB: number; readonly type: string };
  /** Image the boot volumes are created from (an image data source's id). */
  readonly imageId: string;
  readonly networkId: string;
  /** Subnet of the nodes' ports. */
  readonly subnetId: string;
  readonly securityGroupIds: string[];
  /**
   * Spread of the nodes over hypervisors: `hard` refuses to place two nodes
   * on one host (servers: losing a host must not cost etcd its quorum),
   * `soft` prefers not to.
   * @default 'hard' for servers, 'soft' for agents
   */
  readonly antiAffinity?: 'hard' | 'soft';
  /**
   * Metadata set on every instance.
   * @default - role and pool
   */
  readonly metadata?: Record<string, string>;
  readonly tags?: string[];
  /**
   * Refuse to destroy or replace the instances (`prevent_destroy`): for the
   * only server of a cluster, whose replacement would lose etcd. A deliberate
   * destroy lifts it with an override file (README, Operations).
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/** What each node's boot needs; known only once the load balancers exist. */
export interface NodePoolLaunchProps {
  /** cloud-init user data of every node. Must not depend on the flavor or the node's index. */
  readonly userData: string;
  /**
   * User data of node 1 only: the bootstrap server, which initializes the
   * cluster instead of joining it.
   * @default userData
   */
  readonly firstNodeUserData?: string;
  /**
   * Resources whose creation, update or replacement replaces every instance
   * of the pool in the same apply (`replace_triggered_by`), e.g. the
   * `terraform_data` holding the servers' restore. Adding one to running
   * instances replaces them at once.
   * @default - none: instances are replaced one by one, by hand
   */
  readonly replaceTriggeredBy?: TerraformResource[];
}

/** One node of a pool: its port exists from construction, its instance after `launch`. */
export interface PoolNode {
  readonly name: string;
  readonly port: NetworkingPortV2;
  /** The node's fixed IPv4 address in its subnet. */
  readonly address: string;
}

/**
 * A pool of RKE2 nodes of one flavor: a server group for anti-affinity, and
 * per node a port in its subnet with the pool's security groups and an
 * instance booting from a Cinder volume made from the node image.
 *
 * Two steps, because the load balancers need the ports' addresses and the
 * nodes' user data needs the load balancers: construct (server group, ports),
 * then `launch(userData)` (instances).
 *
 * Safe scaling: the n-th node keeps its name, port and construct id when the
 * count changes. No apply restarts running nodes: instances ignore later
 * changes of their user data, boot image and flavor
 * ({@link NodePool.IMMUTABLE_ATTRIBUTES}), so a new RKE2 version, image or
 * flavor never reaches every node of a pool at once. RKE2 versions are
 * upgraded in place by the system-upgrade-controller (platform stack);
 * flavors and images are rolled one drained node at a time by
 * scripts/roll-nodes.sh, which lifts the flavor for one instance per apply.
 */
export class NodePool extends Construct {
  /**
   * Attributes of a running instance that no plain apply changes: user data,
   * boot volume and config drive (a change would replace the node) and the
   * flavor (a change would resize, and so restart, every node of the pool in
   * one apply). scripts/roll-nodes.sh overrides this list, without
   * `flavor_name`, for the one instance it resizes.
   */
  static readonly IMMUTABLE_ATTRIBUTES: readonly string[] = ['user_data', 'block_device', 'config_drive', 'flavor_name'];

  readonly role: NodeRole;
  readonly poolName: string;
  readonly serverGroup: ComputeServergroupV2;
  readonly nodes: readonly PoolNode[];
  /** The image the boot volumes are made from (what Cluster API's machines of the pool boot too). */
  readonly imageId: string;
  private readonly props: NodePoolProps;
  private launched: ComputeInstanceV2[] | undefined;
  private launchedUserData: string | undefined;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(scope, id);
    validate(this.node.path, props);
    this.props = props;
    this.role = props.role;
    this.imageId = props.imageId;
    this.poolName = props.poolName;
    const antiAffinity = props.antiAffinity ?? (props.role === 'server' ? 'hard' : 'soft');
    const base = `${props.namePrefix}-${props.poolName}`;

    this.serverGroup = new ComputeServergroupV2(this, 'ServerGroup', {
      name: base,
      policies: [antiAffinity === 'hard' ? 'anti-affinity' : 'soft-anti-affinity'],
    });
    this.nodes = Array.from({ length: props.count }, (_, index) => {
      const name = `${base}-${index + 1}`;
      const port = new NetworkingPortV2(this, `Port${index + 1}`, {
        name,
        networkId: props.networkId,
        adminStateUp: true,
        fixedIp: [{ subnetId: props.subnetId }],
        securityGroupIds: props.securityGroupIds,
        tags: props.tags,
      });
      return { name, port, address: Token.asString(Fn.element(port.allFixedIps, 0)) };
    });
  }

  /** The instances, once launched. */
  get instances(): readonly ComputeInstanceV2[] {
    if (!this.launched) throw new Error(`${this.node.path}: the pool is not launched yet; call launch() first`);
    return this.launched;
  }

  /**
   * The user data every node but a bootstrap server boots with, as given to
   * `launch` (the instances' `user_data` attribute holds only its hash).
   */
  get userData(): string {
    if (this.launchedUserData === undefined) throw new Error(`${this.node.path}: the pool is not launched yet; call launch() first`);
    return this.launchedUserData;
  }

  /**
   * One line per launched node, as scripts/roll-nodes.sh reads them from the
   * cluster stack's `nodes` output: `<role> <pool> <node name> <instance
   * address> <flavor now> <flavor configured>`. The flavor now is the
   * instance's, from the state (the configured one reaches running nodes only
   * through the roll).
   */
  rolloutLines(): string[] {
    return this.instances.map(
      (instance, index) =>
        `${this.role} ${this.props.poolName} ${this.nodes[index].name} ${instance.terraformResourceType}.${instance.friendlyUniqueId} ${instance.flavorName} ${this.props.flavor}`,
    );
  }

  /** Creates one instance per node, with the given user data. Once. */
  launch(props: NodePoolLaunchProps): readonly ComputeInstanceV2[] {
    if (this.launched) throw new Error(`${this.node.path}: launch() was already called; call it once per pool`);
    const p = this.props;
    this.launchedUserData = props.userData;
    this.launched = this.nodes.map(
      (node, index) =>
        new ComputeInstanceV2(this, `Node${index + 1}`, {
          name: node.name,
          flavorName: p.flavor,
          blockDevice: [
            {
              uuid: p.imageId,
              sourceType: 'image',
              destinationType: 'volume',
              bootIndex: 0,
              volumeSize: p.bootVolume.sizeGiB,
              volumeType: p.bootVolume.type,
              deleteOnTermination: true,
            },
          ],
          network: [{ port: node.port.id }],
          // cloud-init reads the user data from the config drive, where only root
          // can read it; the node then blocks the metadata service for good.
          configDrive: true,
          schedulerHints: [{ group: this.serverGroup.id }],
          userData: index === 0 ? (props.firstNodeUserData ?? props.userData) : props.userData,
          metadata: p.metadata ?? { role: p.role, pool: p.poolName },
          tags: p.tags,
          // A changed boot (user data, image, config drive) or flavor reaches new
          // nodes only: it never replaces or resizes the running ones (see
          // IMMUTABLE_ATTRIBUTES). The only server of a cluster is never destroyed.
          lifecycle: {
            ignoreChanges: [...NodePool.IMMUTABLE_ATTRIBUTES],
            ...(p.preventDestroy ? { preventDestroy: true } : {}),
            // Bare addresses: cdktf renders a resource as "${type.name}", which
            // OpenTofu refuses in JSON's replace_triggered_by ("Invalid
            // character"); restore-trigger.test.ts runs it through tofu.
            ...(props.replaceTriggeredBy?.length
              ? { replaceTriggeredBy: props.replaceTriggeredBy.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`) }
              : {}),
          },
        }),
    );
    return this.launched;
  }
}

function validate(path: string, props: NodePoolProps): void {
  const problems: string[] = [];
  if (!Number.isInteger(props.count) || props.count < 1) {
    problems.push(`count ${props.count}: a pool needs at least 1 node; raise it or remove the pool`);
  } else if (props.role === 'server' && props.count % 2 === 0) {
    problems.push(`count ${props.count}: servers must be odd for etcd quorum; use 1, 3 or 5`);
  }
  if (!FLAVOR_PATTERN.test(props.flavor)) {
    problems.push(
      `flavor ${JSON.stringify(props.flavor)}: not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0`,
    );
  }
  if (!(VOLUME_TYPES as readonly string[]).includes(props.bootVolume.type)) {
    problems.push(`bootVolume.type ${JSON.stringify(props.bootVolume.type)}: use one of ${VOLUME_TYPES.join(', ')}`);
  }
  if (!Number.isInteger(props.bootVolume.sizeGiB) || props.bootVolume.sizeGiB < 20) {
    problems.push(`bootVolume.sizeGiB ${props.bootVolume.sizeGiB}: must be a whole number of at least 20 GiB`);
  }
  if (!/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(props.poolName)) {
    problems.push(`poolName ${JSON.stringify(props.poolName)}: must be a DNS label (lower-case letters, digits, dashes)`);
  }
  if (problems.length > 0) throw new Error(`${path}: invalid node pool:\n  ${problems.join('\n  ')}`);
}
