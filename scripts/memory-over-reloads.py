#!/usr/bin/env python3
# Usage: scripts/memory-over-reloads.py target/release/factdesk . 300  (needs python3-cryptography)
# RSS of `factdesk serve --http` over knowledge reloads and questions (signed interactions).
import json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

BIN, REPO, RELOADS = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])
key = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
work = tempfile.mkdtemp()
kdir = os.path.join(work, "knowledge")
shutil.copytree(os.path.join(REPO, "knowledge"), kdir)
env = dict(os.environ, DISCORD_TOKEN="fake", DISCORD_PUBLIC_KEY=pub, DISCORD_APPLICATION_ID="900000000000000001",
           DISCORD_API_BASE="http://127.0.0.1:9", FACTDESK_REGISTER="0", FACTDESK_COOLDOWN_SECS="0",
           FACTDESK_KNOWLEDGE=kdir, FACTDESK_DB=os.path.join(work, "f.db"), RUST_LOG="error")
p = subprocess.Popen([BIN, "serve", "--http", "127.0.0.1:0"], env=env, cwd=work, stderr=subprocess.PIPE, text=True)
base = None
for line in p.stderr:
    m = re.search(r"at (http://\S+)/interactions", line)
    if m:
        base = m.group(1)
        break

def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1]) / 1024

def send(body):
    data = json.dumps(body).encode()
    ts = str(int(time.time()))
    sig = key.sign(ts.encode() + data).hex()
    req = urllib.request.Request(base + "/interactions", data=data, headers={
        "content-type": "application/json", "x-signature-ed25519": sig, "x-signature-timestamp": ts})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())

n = [0]
def command(name, options, sub=None):
    n[0] += 1
    user = {"id": "42", "username": "m", "discriminator": "0", "global_name": "m", "avatar": None, "bot": False}
    v = {"id": str(10**6 + n[0]), "application_id": "900000000000000001", "type": 2, "token": f"t{n[0]}", "version": 1,
         "locale": "en-US", "entitlements": [], "attachment_size_limit": 8388608, "guild_id": "800000000000000001",
         "channel_id": str(700000000000000001 + n[0]), "app_permissions": "2147483647", "guild_locale": "en-US",
         "member": {"user": user, "roles": [], "deaf": False, "mute": False, "flags": 0,
                    "joined_at": "2024-01-01T00:00:00.000000+00:00", "permissions": "2147483647"}}
    opts = [{"name": k, "type": 3, "value": val} for k, val in options]
    if sub:
        opts = [{"name": sub, "type": 1, "options": []}]
    v["data"] = {"id": "600000000000000001", "name": name, "type": 1, "options": opts}
    return v

time.sleep(1)
print(f"start: {rss():.1f} MiB")
questions = ["who is paying for the stadium?", "how many people would be deported?", "when was this published", "what does the report say about cost"]
for i in range(1, RELOADS + 1):
    r = send(command("faq-admin", [], sub="reload"))
    assert "Reloaded" in json.dumps(r), r
    for q in questions:
        send(command("ask", [("question", q)]))
    if i % 50 == 0:
        print(f"after {i} reloads and {4 * i} questions: {rss():.1f} MiB", flush=True)
p.terminate()
p.wait(timeout=15)
print("exit", p.returncode)
