"""Loads N tenants under one partner through the API and writes tokens and ids for wrk."""
import http.client
import json
import sys
import urllib.parse

base, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)


def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        raise SystemExit(f"{method} {path}: {res.status} {data!r}")
    return json.loads(data) if data else None


admin = call("POST", "/v1/auth/token", {"email": "bench@example.com", "password": "bench-password-123"})["access_token"]
partner = call("POST", "/v1/tenants", {"name": "Bench Partner", "slug": "bench-partner"}, admin)["id"]
call("POST", f"/v1/tenants/{partner}/users",
     {"email": "partner@bench.example.com", "display_name": "Partner", "role": "partner_admin",
      "password": "partner-password-1"}, admin)
token = call("POST", "/v1/auth/token", {"email": "partner@bench.example.com", "password": "partner-password-1"})["access_token"]
ids = []
for i in range(n):
    t = call("POST", "/v1/tenants", {"name": f"Bench customer {i}", "slug": f"bench-{i}", "parent_id": partner}, token)
    ids.append(t["id"])
with open(f"{work}/ids", "w") as f:
    f.write("\n".join(ids) + "\n")
with open(f"{work}/token", "w") as f:
    f.write(token)
with open(f"{work}/admin_token", "w") as f:
    f.write(admin)
print(f"loaded {n} tenants")
