#!/usr/bin/env python3
# The company directory's cost, on this machine: a temporary OpenLDAP slapd with USERS people
# (StartTLS with a certificate made for the run) and a confabd that syncs it.
#
#   tests/bench/ldap-bench.py <build>/src/server/confabd [USERS] [SIGN_INS]
#
# Prints the first sync's time (from its "sync started" to its "synced" line in confabd's log:
# one search of every person, then one transaction that makes their accounts), a second
# sync's (every account checked, none changed), and the sign-in time, median and 90th percentile of SIGN_INS
# sequential POST /v1/login over one kept-alive HTTP connection, for a directory user
# (service bind, search and user bind over StartTLS, on a worker thread) and for a local user
# (Argon2id with confabd's default interactive limits).
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SUFFIX = 'dc=example,dc=com'
PEOPLE = 'ou=people,' + SUFFIX
SERVICE = 'cn=confab,' + SUFFIX


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f'nothing listens on {port}')


def ldif(users):
    out = [f'dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\n'
           'dc: example\n',
           f'dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n',
           f'dn: {SERVICE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n'
           'cn: confab\nuserPassword: service-secret\n']
    for i in range(users):
        out.append(f'dn: uid=user{i},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: user{i}\n'
                   f'cn: User {i}\nsn: {i}\nmail: user{i}@example.com\n'
                   f'departmentNumber: Department {i % 20}\ntitle: Title {i % 7}\nl: Kyiv\n'
                   f'userPassword: password-{i}\n')
    return '\n'.join(out)


def login(conn, username, password):
    body = json.dumps({'username': username, 'password': password})
    start = time.perf_counter()
    conn.request('POST', '/v1/login', body, {'Content-Type': 'application/json'})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit(f'login of {username}: HTTP {response.status}')
    return elapsed


def stamp(line):
    m = re.search(r'(\d\d):(\d\d):(\d\d\.\d+)', line)
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def main():
    confabd = os.path.abspath(sys.argv[1])
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    sign_ins = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    tmp = tempfile.mkdtemp(prefix='confab-ldap-bench-')
    slapd = confab = None
    try:
        cert, key = f'{tmp}/cert.pem', f'{tmp}/key.pem'
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
                        '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', key, '-out', cert], check=True, capture_output=True)
        os.mkdir(f'{tmp}/db')
        with open(f'{tmp}/slapd.conf', 'w') as f:
            f.write('include /etc/ldap/schema/core.schema\n'
                    'include /etc/ldap/schema/cosine.schema\n'
                    'include /etc/ldap/schema/inetorgperson.schema\n'
                    'modulepath /usr/lib/ldap\nmoduleload back_mdb\n'
                    f'pidfile {tmp}/slapd.pid\nargsfile {tmp}/slapd.args\n'
                    f'TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n'
                    f'database mdb\nmaxsize 104857600\nsuffix "{SUFFIX}"\n'
                    f'rootdn "cn=admin,{SUFFIX}"\nrootpw admin-secret\ndirectory {tmp}/db\n'
                    f'limits dn.exact="{SERVICE}" size=unlimited\n'
                    'access to attrs=userPassword by anonymous auth by * none\n'
                    f'access to * by dn.exact="{SERVICE}" read by self read by * none\n')
        with open(f'{tmp}/users.ldif', 'w') as f:
            f.write(ldif(users))
        subprocess.run(['/usr/sbin/slapadd', '-q', '-f', f'{tmp}/slapd.conf', '-l',
                        f'{tmp}/users.ldif'], check=True)
        ldap_port = free_port()
        slapd = subprocess.Popen(['/usr/sbin/slapd', '-d', '0', '-f', f'{tmp}/slapd.conf', '-h',
                                  f'ldap://127.0.0.1:{ldap_port}/'],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        wait_port(ldap_port, time.monotonic() + 10)

        with open(f'{tmp}/confabd.conf', 'w') as f:
            f.write(f'[ldap]\nurl=ldap://127.0.0.1:{ldap_port}\nstarttls=true\n'
                    f'bind_dn={SERVICE}\nbind_password=service-secret\nbase_dn={PEOPLE}\n'
                    f'ca_file={cert}\nsync_interval_s=5\n')
        confab = subprocess.Popen([confabd, '--data-dir', f'{tmp}/data', '--plain', '--listen',
                                   '127.0.0.1:0', '--config', f'{tmp}/confabd.conf'],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True,
                                  env=dict(os.environ, G_MESSAGES_DEBUG='confab-ldap'))
        lines, syncs, started, port = [], [], [], None
        while len(syncs) < 2 or port is None:
            line = confab.stdout.readline()
            if not line:
                raise SystemExit('confabd stopped: ' + ''.join(lines))
            lines.append(line)
            if line.startswith('listening on '):
                port = int(line.split()[-1].rsplit(':', 1)[1])
            elif 'sync started' in line:
                started.append(stamp(line))
            elif 'company directory synced' in line:
                syncs.append(stamp(line))
        first = syncs[0] - started[0]
        second = syncs[1] - started[1]

        conn = http.client.HTTPConnection('127.0.0.1', port)
        conn.request('POST', '/v1/register', json.dumps({'username': 'admin',
                                                         'password': 'local-password'}),
                     {'Content-Type': 'application/json'})
        conn.getresponse().read()
        directory = sorted(login(conn, f'user{i % users}', f'password-{i % users}')
                           for i in range(sign_ins))
        local = sorted(login(conn, 'admin', 'local-password') for _ in range(sign_ins))
        print(f'{users} directory users')
        print(f'first sync (accounts made): {first * 1000:.0f} ms')
        print(f'second sync (all checked, none changed): {second * 1000:.0f} ms')
        for name, times in (('directory', directory), ('local', local)):
            print(f'{name} sign-in: median {statistics.median(times):.1f} ms, '
                  f'p90 {times[int(len(times) * 0.9)]:.1f} ms ({len(times)} sign-ins)')
    finally:
        for process in (confab, slapd):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


main()
