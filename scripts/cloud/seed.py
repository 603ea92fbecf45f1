"""Seeds the test cloud like Infomaniak's public cloud (called by up.sh).

    python seed.py identity   # service users, the catalog, a tenant project
    python seed.py resources  # flavors, ext-floating1, volume types, images

Facts seeded (region names, external network, flavor names, volume types,
image names) are Infomaniak's, the flavors read from the project's price
table (lib/cost/prices.ts). The quotas are the services' configured
defaults (scripts/cloud/config.sh).
"""
import os
import re
import sys
import time

import openstack

E = os.environ
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = E['CLOUD_REGION']
OTHER_REGIONS = ['dc4-a']
KEYSTONE = E['KEYSTONE_URL']
SECRETS = dict(line.strip().split('=', 1) for line in open(os.path.join(E['CLOUD_DIR'], 'secrets.env')))
TENANT_PROJECT = 'cloud-test'
SERVICES = [
    # name, type, URL
    ('placement', 'placement', f"http://127.0.0.1:{E['PORT_PLACEMENT']}"),
    ('nova', 'compute', f"http://127.0.0.1:{E['PORT_NOVA']}/v2.1"),
    ('neutron', 'network', f"http://127.0.0.1:{E['PORT_NEUTRON']}"),
    ('glance', 'image', f"http://127.0.0.1:{E['PORT_GLANCE']}"),
    ('cinder', 'block-storage', f"http://127.0.0.1:{E['PORT_CINDER']}/v3/%(project_id)s"),
    ('cinderv3', 'volumev3', f"http://127.0.0.1:{E['PORT_CINDER']}/v3/%(project_id)s"),
    ('octavia', 'load-balancer', f"http://127.0.0.1:{E['PORT_OCTAVIA']}"),
    ('swift', 'object-store', f"http://127.0.0.1:{E['PORT_SWIFT']}/v1/AUTH_%(project_id)s"),
]
SERVICE_USERS = ['placement', 'nova', 'neutron', 'glance', 'cinder', 'octavia', 'swift']


def admin():
    return openstack.connect(auth_url=KEYSTONE, username='admin', password=SECRETS['CLOUD_ADMIN_PASSWORD'],
                             project_name='admin', user_domain_name='Default', project_domain_name='Default',
                             region_name=REGION)


def openrc(path, user, password, project):
    with open(path, 'w') as f:
        os.chmod(path, 0o600)
        for k, v in [('OS_AUTH_URL', f'{KEYSTONE}/v3'), ('OS_REGION_NAME', REGION), ('OS_USERNAME', user),
                     ('OS_PASSWORD', password), ('OS_PROJECT_NAME', project), ('OS_USER_DOMAIN_NAME', 'Default'),
                     ('OS_PROJECT_DOMAIN_NAME', 'Default'), ('OS_IDENTITY_API_VERSION', '3'),
                     ('OS_INTERFACE', 'public')]:
            f.write(f'export {k}={v}\n')


def identity():
    c = admin()
    idn = c.identity
    for r in OTHER_REGIONS:
        idn.create_region(id=r)
        # keystone-manage bootstrap put identity in REGION only; the identity resources of a
        # stack in another region (credentials) look it up there, as on Infomaniak, whose
        # dc4-a has its own Keystone.
        identity_service = next(s for s in idn.services() if s.type == 'identity')
        idn.create_endpoint(service_id=identity_service.id, interface='public', url=f'{KEYSTONE}/v3', region_id=r)
    service_project = idn.create_project(name='service', domain_id='default')
    roles = {r.name: r for r in idn.roles()}
    for name in ['load-balancer_member', 'ResellerAdmin']:
        roles[name] = roles.get(name) or idn.create_role(name=name)
    for name in SERVICE_USERS:
        u = idn.create_user(name=name, password=SECRETS['CLOUD_SERVICE_PASSWORD'], domain_id='default')
        for role in ['admin', 'service']:
            idn.assign_project_role_to_user(service_project, u, roles[role])
    for name, type_, url in SERVICES:
        s = idn.create_service(name=name, type=type_)
        for interface in ['public', 'internal', 'admin']:
            idn.create_endpoint(service_id=s.id, interface=interface, url=url, region_id=REGION)
        # The same services answer in the other region's catalog too: one cloud here, where
        # Infomaniak's dc4-a is another, but a stack of an environment in dc4-a finds its
        # endpoints by region, as it would there (test.sh, "an environment in dc4-a").
        for r in OTHER_REGIONS:
            idn.create_endpoint(service_id=s.id, interface='public', url=url, region_id=r)
    tenant = idn.create_project(name=TENANT_PROJECT, domain_id='default', description='the stacks under test')
    user = idn.create_user(name='cloud-test', password=SECRETS['CLOUD_TENANT_PASSWORD'], domain_id='default',
                           default_project_id=tenant.id)
    # An Infomaniak project user: member (implies reader) and Octavia's member role.
    for role in ['member', 'load-balancer_member']:
        idn.assign_project_role_to_user(tenant, user, roles[role])
    d = E['CLOUD_DIR']
    openrc(os.path.join(d, 'openrc'), 'cloud-test', SECRETS['CLOUD_TENANT_PASSWORD'], TENANT_PROJECT)
    openrc(os.path.join(d, 'openrc-admin'), 'admin', SECRETS['CLOUD_ADMIN_PASSWORD'], 'admin')


def flavors():
    """Every flavor name of the price table: aV-ramR-diskD[-perfN]."""
    text = open(os.path.join(REPO, 'lib', 'cost', 'prices.ts')).read()
    names = sorted(set(re.findall(r"'(a\d+-ram\d+-disk\d+(?:-perf\d)?)'", text)))
    if not names:
        sys.exit('no flavor names found in lib/cost/prices.ts (expected quoted names like a2-ram4-disk0)')
    return names


def wait(what, check, limit=180):
    end = time.time() + limit
    while time.time() < end:
        try:
            if check():
                return
        except Exception as e:  # the service may still be starting
            last = e
        time.sleep(2)
    sys.exit(f'{what} not ready after {limit} s')


def resources():
    c = admin()
    for name in flavors():
        v, r, d = map(int, re.match(r'a(\d+)-ram(\d+)-disk(\d+)', name).groups())
        c.compute.create_flavor(name=name, vcpus=v, ram=r * 1024, disk=d, is_public=True)
    net = c.network.create_network(name='ext-floating1', is_router_external=True,
                                   provider_network_type='flat', provider_physical_network='public')
    c.network.create_subnet(network_id=net.id, name='ext-floating1-v4', ip_version=4, cidr='203.0.113.0/24',
                            gateway_ip='203.0.113.1', is_dhcp_enabled=False,
                            allocation_pools=[{'start': '203.0.113.10', 'end': '203.0.113.250'}])
    for n in (1, 2, 3):
        c.block_storage.create_type(name=f'CEPH_1_perf{n}', is_public=True,
                                    extra_specs={'volume_backend_name': 'fake'})
    blob = os.path.join(E['CLOUD_DIR'], 'image.raw')
    with open(blob, 'wb') as f:
        f.write(b'\0' * (1 << 20))
    for name, version in [('Ubuntu 24.04 LTS Noble Numbat', '24.04'), ('Ubuntu 22.04 LTS Jammy Jellyfish', '22.04')]:
        c.image.create_image(name=name, filename=blob, disk_format='raw', container_format='bare',
                             visibility='public', os_distro='ubuntu', os_version=version, wait=True)
    wait('a nova-compute hypervisor', lambda: list(c.compute.hypervisors()))
    wait('cinder-volume', lambda: any(s.binary == 'cinder-volume' and s.state == 'up'
                                      for s in c.block_storage.services()))
    print(f'seeded: {len(flavors())} flavors, ext-floating1 203.0.113.0/24, CEPH_1_perf1..3, 2 images, region {REGION}')


{'identity': identity, 'resources': resources}[sys.argv[1]]()
