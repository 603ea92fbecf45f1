"""Runs one Swift server (account, container, object or proxy) of
scripts/swift/server.sh with the swift.conf of its work directory.

    python run_server.py SWIFT_CONF SERVER CONF_FILE

Swift reads /etc/swift/swift.conf unless told otherwise, and before 2.31 (for
example 2.30.1) only a module setting tells it, which this sets before the
server starts; later versions also honour swift_dir in CONF_FILE.
"""
import sys

from swift.common import utils

utils.SWIFT_CONF_FILE = sys.argv[1]

from swift.common.wsgi import run_wsgi  # noqa: E402 (after the setting above)

sys.exit(run_wsgi(sys.argv[3], f"{sys.argv[2]}-server"))
