#!/opt/wo/bin/python3
"""Test support, run inside a real-WordOps server: give site ARGV[1] SSL the way
`wo site update D -le` leaves it, with a self-signed certificate instead of Let's
Encrypt's (not reachable here), using WordOps' own code for every step: its ssl.conf
template (without the HTTP/3 lines, which Debian's nginx 1.22 does not know), its
HTTPS redirect vhost, its site database update and its siteurl switch to https."""
import subprocess
import sys
import time

from wo.cli.main import WOApp
from wo.cli.plugins.sitedb import updateSiteInfo
from wo.core.sslutils import SSL
from wo.core.template import WOTemplate

domain = sys.argv[1]
live = '/etc/letsencrypt/live'
subprocess.run(['mkdir', '-p', f'{live}/{domain}'], check=True)
subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', f'/CN={domain}',
                '-addext', f'subjectAltName=DNS:{domain},DNS:www.{domain}',
                '-keyout', f'{live}/{domain}/key.pem', '-out', f'{live}/{domain}/fullchain.pem'],
               check=True, capture_output=True)
for copy in ('ca.pem', 'cert.pem'):
    subprocess.run(['cp', f'{live}/{domain}/fullchain.pem', f'{live}/{domain}/{copy}'], check=True)


class Caller:
    """What WordOps' helpers take as `self`: an object with the cement app."""

    def __init__(self, app):
        self.app = app


with WOApp(argv=[]) as app:
    caller = Caller(app)
    conf = f'/var/www/{domain}/conf/nginx/ssl.conf'
    WOTemplate.deploy(caller, conf, 'ssl.mustache', dict(ssl_live_path=live, domain=domain, quic=True), overwrite=True)
    with open(conf) as f:
        kept = [line for line in f if 'quic' not in line and 'Alt-Svc' not in line]
    with open(conf, 'w') as f:
        f.writelines(kept)
    SSL.httpsredirect(caller, domain, [domain, f'www.{domain}'], redirect=True)
    updateSiteInfo(caller, domain, ssl=True)
    SSL.siteurlhttps(caller, domain)
    # Still inside the block: WordOps' app exits the process when it closes.
    subprocess.run(['nginx', '-t'], check=True, capture_output=True)
    subprocess.run(['nginx', '-s', 'reload'], check=True, capture_output=True)
    # nginx reloads asynchronously: wait until plain HTTP answers with WordOps' redirect.
    for _ in range(20):
        time.sleep(0.5)
        code = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', f'Host: {domain}', 'http://127.0.0.2/'],
                              capture_output=True, text=True).stdout
        if code == '301':
            break
    else:
        sys.exit(f'{domain}: no HTTPS redirect 10 s after the nginx reload')
