"""Lists what the tenant project still holds, one line a resource; exits 1 if anything.

    python leftovers.py   # with the tenant's OS_* (CLOUD_DIR/openrc)

The project's default security group is Neutron's own and not counted.
"""
import sys

import openstack

c = openstack.connect()
left = []
left += [f'server {s.name} {s.id}' for s in c.compute.servers()]
left += [f'server group {g.name} {g.id}' for g in c.compute.server_groups()]
left += [f'volume {v.name} {v.id} {v.status}' for v in c.block_storage.volumes()]
left += [f'load balancer {lb.name} {lb.id}' for lb in c.load_balancer.load_balancers()]
pid = c.current_project_id
left += [f'network {n.name} {n.id}' for n in c.network.networks(project_id=pid)]
left += [f'port {p.name} {p.id} {p.device_owner}' for p in c.network.ports(project_id=pid)]
left += [f'router {r.name} {r.id}' for r in c.network.routers(project_id=pid)]
left += [f'floating ip {f.floating_ip_address}' for f in c.network.ips(project_id=pid)]
left += [f'security group {g.name} {g.id}' for g in c.network.security_groups(project_id=pid) if g.name != 'default']
left += [f'container {x.name}' for x in c.object_store.containers()]
user = c.current_user_id
left += [f'application credential {a.name}' for a in c.identity.application_credentials(user=user)]
left += [f'ec2 credential {x.id}' for x in c.identity.credentials(type='ec2', user_id=user)]
for line in left:
    print(line)
sys.exit(1 if left else 0)
