"""Octavia's noop network driver, except that the VIP is a real Neutron port.

The noop driver invents a VIP port Neutron never saw; a client that reads
the load balancer's VIP port (the openstack provider reads its security
groups) then gets 404 PortNotFound. This driver creates the VIP port in
Neutron, in the load balancer's project, on the VIP subnet or network the
user asked for, and deletes it with the load balancer. Amphorae, their
networks and everything else stay noop.
"""
import openstack
from oslo_config import cfg
from oslo_log import log as logging

from octavia.common import data_models
from octavia.common import keystone
from octavia.network.drivers.neutron import utils
from octavia.network.drivers.noop_driver import driver as noop

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def _neutron():
    # Octavia's own service session ([service_auth]), as its Neutron driver uses.
    session = keystone.KeystoneSession().get_session()
    return openstack.connection.Connection(
        session=session, region_name=CONF.neutron.region_name or None).network


class VipPortNoopNetworkDriver(noop.NoopNetworkDriver):
    def allocate_vip(self, loadbalancer):
        vip = loadbalancer.vip
        net = _neutron()
        if vip.port_id:
            port = net.get_port(vip.port_id)
        else:
            network_id = vip.network_id
            fixed_ip = {}
            if vip.subnet_id:
                fixed_ip['subnet_id'] = vip.subnet_id
                network_id = network_id or net.get_subnet(vip.subnet_id).network_id
            if vip.ip_address:
                fixed_ip['ip_address'] = vip.ip_address
            port = net.create_port(
                name=f'octavia-lb-{loadbalancer.id}', network_id=network_id,
                fixed_ips=[fixed_ip] if fixed_ip else None,
                project_id=loadbalancer.project_id,
                device_owner='Octavia', device_id=f'lb-{loadbalancer.id}',
                admin_state_up=False)
            LOG.info('VIP port %s created for load balancer %s', port.id, loadbalancer.id)
        ip = port.fixed_ips[0]
        return data_models.Vip(
            ip_address=ip['ip_address'], subnet_id=ip['subnet_id'],
            network_id=port.network_id, port_id=port.id,
            load_balancer_id=loadbalancer.id), []

    def deallocate_vip(self, vip):
        if vip.port_id:
            _neutron().delete_port(vip.port_id, ignore_missing=True)
            LOG.info('VIP port %s deleted', vip.port_id)

    # Subnets and networks as Neutron has them, so that the worker's network
    # deltas (VIP network, members' networks) agree with the real VIP port.
    def get_subnet(self, subnet_id, context=None):
        return utils.convert_subnet_to_model(_neutron().get_subnet(subnet_id))

    def get_network(self, network_id, context=None):
        return utils.convert_network_to_model(_neutron().get_network(network_id))
