"""A minimal S3 client for the local Swift of scripts/swift/server.sh: creates
the state bucket and reads the objects OpenTofu leaves in it, with requests of
its own (signature V2, which every Swift s3api accepts), not through the AWS
SDK inside tofu that is under test. Standard library only.

    python s3_probe.py ENDPOINT create-bucket NAME
    python s3_probe.py ENDPOINT get BUCKET KEY   # body on stdout; exit 4 if absent
    python s3_probe.py free-ports N              # N free TCP ports on 127.0.0.1

Keys: tempauth's test:tester / testing (server.sh).
"""
import base64
import hashlib
import hmac
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.utils import formatdate

ACCESS_KEY, SECRET_KEY = "test:tester", "testing"


def s3_request(method, endpoint, path):
    date = formatdate(usegmt=True)
    signature = hmac.new(SECRET_KEY.encode(), f"{method}\n\n\n{date}\n{path}".encode(), hashlib.sha1).digest()
    headers = {"Date": date, "Authorization": f"AWS {ACCESS_KEY}:{base64.b64encode(signature).decode()}"}
    req = urllib.request.Request(endpoint + urllib.parse.quote(path), method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read()


def main(argv):
    if argv[0] == "free-ports":
        sockets = [socket.socket() for _ in range(int(argv[1]))]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        print(" ".join(str(s.getsockname()[1]) for s in sockets))
        for s in sockets:
            s.close()
        return 0
    endpoint, command, *args = argv
    if command == "create-bucket":
        s3_request("PUT", endpoint, f"/{args[0]}")
        return 0
    if command == "get":
        try:
            sys.stdout.buffer.write(s3_request("GET", endpoint, f"/{args[0]}/{args[1]}"))
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return 4
            raise
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
