// Trims `tofu providers schema -json` output to what the project uses or plans
// to use, so the generated bindings stay small and fast to load.
// Usage: node openstack-schema-filter.mjs FULL_SCHEMA.json VERSION > schema.json
import { readFileSync } from 'node:fs';

export const RESOURCES = [
  'openstack_networking_network_v2',
  'openstack_networking_subnet_v2',
  'openstack_networking_router_v2',
  'openstack_networking_router_interface_v2',
  'openstack_networking_secgroup_v2',
  'openstack_networking_secgroup_rule_v2',
  'openstack_networking_port_v2',
  'openstack_networking_floatingip_v2',
  'openstack_networking_floatingip_associate_v2',
  'openstack_compute_instance_v2',
  'openstack_compute_servergroup_v2',
  'openstack_compute_keypair_v2',
  'openstack_blockstorage_volume_v3',
  'openstack_lb_loadbalancer_v2',
  'openstack_lb_listener_v2',
  'openstack_lb_pool_v2',
  'openstack_lb_member_v2',
  'openstack_lb_members_v2',
  'openstack_lb_monitor_v2',
  'openstack_objectstorage_container_v1',
  'openstack_identity_ec2_credential_v3',
  'openstack_identity_application_credential_v3',
  'openstack_dns_zone_v2',
  'openstack_dns_recordset_v2',
];

export const DATA_SOURCES = [
  'openstack_networking_network_v2',
  'openstack_networking_subnet_v2',
  'openstack_images_image_v2',
  'openstack_compute_flavor_v2',
];

const [file, version] = process.argv.slice(2);
if (!file || !version) {
  console.error('usage: node openstack-schema-filter.mjs FULL_SCHEMA.json VERSION');
  process.exit(2);
}
const full = JSON.parse(readFileSync(file, 'utf8'));
const [address] = Object.keys(full.provider_schemas);
const provider = full.provider_schemas[address];
const pick = (all, names) =>
  Object.fromEntries(
    names.map((name) => {
      if (!all[name]) throw new Error(`${name} is not in the provider schema of ${address}`);
      return [name, all[name]];
    }),
  );
const trimmed = {
  format_version: full.format_version,
  provider_schemas: {
    [address]: {
      provider: provider.provider,
      resource_schemas: pick(provider.resource_schemas, RESOURCES),
      data_source_schemas: pick(provider.data_source_schemas, DATA_SOURCES),
    },
  },
  provider_versions: { [address]: version },
};
process.stdout.write(`${JSON.stringify(trimmed, null, 2)}\n`);
