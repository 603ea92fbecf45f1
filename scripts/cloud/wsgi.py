"""WSGI entry point for the test cloud's API services under gunicorn.

The services read their options with oslo.config, some from sys.argv, which
under gunicorn holds gunicorn's own flags: this module replaces sys.argv with
the service's config files (CLOUD_CONFIG_FILES, ':'-separated) before the
service's own WSGI module builds the application. CLOUD_SERVICE names it.
"""
import importlib
import os
import sys

MODULES = {
    'keystone': 'keystone.wsgi.api',
    'placement': 'placement.wsgi.api',
    'nova': 'nova.wsgi.osapi_compute',
    'neutron': 'neutron.wsgi.api',
    'glance': 'glance.wsgi.api',
    'cinder': 'cinder.wsgi.api',
    'octavia': 'octavia.wsgi.api',
}

service = os.environ['CLOUD_SERVICE']
files = [f for f in os.environ.get('CLOUD_CONFIG_FILES', '').split(':') if f]
sys.argv = [f'{service}-api'] + [a for f in files for a in ('--config-file', f)]
application = importlib.import_module(MODULES[service]).application
