"""Prints what Nova, Cinder and Neutron hold about servers, as JSON (scripts/check-capo-cloud.sh).

    python server_facts.py SERVER_ID...   # with the admin's OS_* (CLOUD_DIR/openrc-admin)

Per server: name, status, flavor name, config drive, metadata, tags, the user data
(base64, as Nova stores it: only the admin may read it), its volumes (size, type,
bootable, the image they were made from), its ports (network, subnets, security
groups) and the server groups that list it as a member. An unknown id prints null.
"""
import json
import sys

import openstack

c = openstack.connect()
groups = list(c.compute.server_groups(all_projects=True))
out = {}
for sid in sys.argv[1:]:
    s = c.compute.find_server(sid, ignore_missing=True, all_projects=True)
    if s is None:
        out[sid] = None
        continue
    s = c.compute.get_server(s.id)
    volumes = []
    for a in s.attached_volumes or []:
        v = c.block_storage.get_volume(a['id'])
        volumes.append({'id': v.id, 'size_gib': v.size, 'type': v.volume_type, 'bootable': str(v.is_bootable).lower(),
                        'image_id': (v.volume_image_metadata or {}).get('image_id')})
    ports = [{'id': p.id, 'network_id': p.network_id, 'subnet_ids': sorted(f['subnet_id'] for f in p.fixed_ips),
              'security_group_ids': sorted(p.security_group_ids)} for p in c.network.ports(device_id=s.id)]
    out[sid] = {
        'id': s.id,
        'name': s.name,
        'status': s.status,
        'flavor': s.flavor.name,
        'image_id': (s.image or {}).get('id') or None,
        'config_drive': str(s.has_config_drive).lower() in ('true', '1'),
        'metadata': s.metadata,
        'tags': sorted(s.tags or []),
        'user_data': s.user_data,
        'volumes': volumes,
        'ports': ports,
        'server_groups': sorted(g.id for g in groups if s.id in (g.member_ids or [])),
    }
json.dump(out, sys.stdout, indent=2)
