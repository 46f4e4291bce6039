#!/usr/bin/env python3
# Usage: scripts/freeze-from-outside.py target/release/factdesk  (needs PostgreSQL on 127.0.0.1:5432 with
# trust auth, createdb/dropdb/psql and python3-cryptography; the real server is never frozen)
# From outside: a release replica on PostgreSQL behind a proxy that freezes for 15 s under
# load; p99 of answers, /healthz and /healthz/store, writing after the thaw, SIGTERM during a freeze.
import json, os, re, socket, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

BIN = os.path.abspath(sys.argv[1])
DB = "factdesk_freeze_%d" % os.getpid()
subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
frozen = threading.Event()
gen = [0]

def pump(a, b, g):
    a.settimeout(0.01)
    while gen[0] == g:
        if frozen.is_set():
            time.sleep(0.005); continue
        try:
            d = a.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            break
        try:
            b.sendall(d)
        except OSError:
            break
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass

def conn(c):
    g = gen[0]
    while frozen.is_set():
        time.sleep(0.005)
    u = socket.create_connection(("127.0.0.1", 5432))
    threading.Thread(target=pump, args=(c, u, g), daemon=True).start()
    pump(u, c, g)

ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0)); ls.listen(64)
port = ls.getsockname()[1]
threading.Thread(target=lambda: [threading.Thread(target=conn, args=(ls.accept()[0],), daemon=True).start() for _ in iter(int, 1)], daemon=True).start()

key = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
work = tempfile.mkdtemp()
env = dict(os.environ, DISCORD_TOKEN="fake", DISCORD_PUBLIC_KEY=pub, DISCORD_APPLICATION_ID="900000000000000001",
           DISCORD_API_BASE="http://127.0.0.1:9", FACTDESK_REGISTER="0", FACTDESK_COOLDOWN_SECS="0",
           FACTDESK_DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/{DB}", RUST_LOG="error")
env.pop("FACTDESK_DB", None); env.pop("FACTDESK_KNOWLEDGE", None)
p = subprocess.Popen([BIN, "serve", "--http", "127.0.0.1:0"], env=env, cwd=work, stderr=subprocess.PIPE, text=True)
base = None
for line in p.stderr:
    m = re.search(r"at (http://\S+)/interactions", line)
    if m:
        base = m.group(1); break
err_lines = []
threading.Thread(target=lambda: [err_lines.append(l) for l in p.stderr], daemon=True).start()

n = [0]; lock = threading.Lock()
def ask():
    with lock:
        n[0] += 1; i = n[0]
    user = {"id": str(1000 + i), "username": "m", "discriminator": "0", "global_name": "m", "avatar": None, "bot": False}
    v = {"id": str(10**6 + i), "application_id": "900000000000000001", "type": 2, "token": f"t{i}", "version": 1,
         "locale": "en-US", "entitlements": [], "attachment_size_limit": 8388608, "guild_id": "800000000000000001",
         "channel_id": str(700000000000000001 + i), "app_permissions": "2147483647", "guild_locale": "en-US",
         "member": {"user": user, "roles": [], "deaf": False, "mute": False, "flags": 0,
                    "joined_at": "2024-01-01T00:00:00.000000+00:00", "permissions": "2147483647"},
         "data": {"id": "600000000000000001", "name": "ask", "type": 1,
                  "options": [{"name": "question", "type": 3, "value": "who is paying for the stadium?"}]}}
    data = json.dumps(v).encode(); ts = str(int(time.time()))
    req = urllib.request.Request(base + "/interactions", data=data, headers={"content-type": "application/json",
        "x-signature-ed25519": key.sign(ts.encode() + data).hex(), "x-signature-timestamp": ts})
    t = time.monotonic()
    r = urllib.request.urlopen(req, timeout=10)
    assert r.status == 200 and json.loads(r.read())["type"] == 4
    return time.monotonic() - t

def get(path):
    try:
        r = urllib.request.urlopen(base + path, timeout=5); return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

lat = []; stop = threading.Event()
def load():
    while not stop.is_set():
        lat.append(ask()); time.sleep(0.01)
workers = [threading.Thread(target=load) for _ in range(4)]
[w.start() for w in workers]
time.sleep(3)
before = len(lat)
frozen.set(); t0 = time.monotonic(); bad = None; healthz = set()
while time.monotonic() - t0 < 15:
    c, _ = get("/healthz/store"); healthz.add(get("/healthz")[0])
    if c == 503 and bad is None: bad = time.monotonic() - t0
    time.sleep(0.05)
frozen_lat = sorted(lat[before:])
frozen.clear(); t1 = time.monotonic(); good = None
while time.monotonic() - t1 < 10:
    if get("/healthz/store")[0] == 200 and json.loads(get("/healthz/store")[1])["queue_depth"] == 0:
        good = time.monotonic() - t1; break
    time.sleep(0.02)
stop.set(); [w.join() for w in workers]
print(f"answered {len(lat)} asks, {len(frozen_lat)} during the 15 s freeze; p99 during freeze {frozen_lat[int(len(frozen_lat)*0.99)]*1000:.0f} ms, max {frozen_lat[-1]*1000:.0f} ms")
print(f"/healthz codes during freeze {sorted(healthz)}; /healthz/store 503 after {bad:.2f} s; queue empty again {good:.2f} s after the thaw")
# SIGTERM during a second freeze, with load.
stop.clear(); workers = [threading.Thread(target=load) for _ in range(2)]; [w.start() for w in workers]
time.sleep(1); frozen.set(); time.sleep(1.5)
stop.set(); [w.join() for w in workers]
t = time.monotonic(); p.terminate(); p.wait(timeout=30); took = time.monotonic() - t
time.sleep(0.3)
print(f"SIGTERM during a freeze: exit {p.returncode} after {took:.2f} s (grace 5 s); {[l.strip() for l in err_lines if 'question log closed' in l]}")
frozen.clear(); gen[0] += 1; time.sleep(1)
rows = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tA", DB, "-c", "select count(*) from questions"], capture_output=True, text=True).stdout.strip()
print(f"asked {n[0]}, rows in the database {rows}")
subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", DB])
