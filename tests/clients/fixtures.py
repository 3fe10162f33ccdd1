"""Fixtures for the schemathesis run: one of every resource, so that the path ids schemathesis
sends name real objects, and the schemathesis configuration files that pass those ids.

Usage: fixtures.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD OUT_DIR
Writes OUT_DIR/platform.toml (platform admin token), OUT_DIR/tenant.toml (tenant admin token)
and OUT_DIR/switch.toml (switch-node token, the /v1/switch/* surface).
"""

import json
import sys
import uuid

import httpx


def main(base, email, password, out):
    http = httpx.Client(base_url=base, timeout=30)

    def call(method, path, token, body=None, status=201):
        r = http.request(
            method, path, json=body, headers={"authorization": f"Bearer {token}"}
        )
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    r = http.post("/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    admin = r.json()["access_token"]

    run = uuid.uuid4().hex[:8]
    t = call("POST", "/v1/tenants", admin, {"name": f"Fixtures {run}"})["id"]
    base_path = f"/v1/tenants/{t}"
    sip_domain = f"fixtures-{run}.pbx.example.com"
    domain = call("POST", f"{base_path}/domains", admin, {"name": sip_domain})["id"]
    tenant_admin_email = f"admin-{run}@fixtures.example.com"
    call(
        "POST",
        f"{base_path}/users",
        admin,
        {"email": tenant_admin_email, "display_name": "Admin", "role": "tenant_admin",
         "password": "fixture-password-1234"},
    )
    r = http.post(
        "/v1/auth/token",
        json={"email": tenant_admin_email, "password": "fixture-password-1234"},
    )
    tenant_token = r.json()["access_token"]
    user = call(
        "POST",
        f"{base_path}/users",
        admin,
        {"email": f"luis-{run}@fixtures.example.com", "display_name": "Luis",
         "role": "tenant_user", "password": "fixture-password-1234",
         "extension": {"number": "1001", "display_name": "Luis"},
         "voicemail": {"mailbox": "1001", "pin": "480613"}},
    )
    user_id = user["id"] if "id" in user else user["user"]["id"]
    ext = call("GET", f"{base_path}/extensions?number=1001", admin, status=200)["items"][0]["id"]
    box = call("GET", f"{base_path}/voicemail-boxes", admin, status=200)["items"][0]["id"]
    ring_group = call(
        "POST", f"{base_path}/ring-groups", admin,
        {"number": "600", "name": "Sales",
         "members": [{"target": {"type": "extension", "id": ext}}]},
    )["id"]
    queue = call(
        "POST", f"{base_path}/queues", admin,
        {"number": "700", "name": "Support", "agents": [{"extension_id": ext}]},
    )["id"]
    conference = call(
        "POST", f"{base_path}/conferences", admin, {"number": "800", "name": "Board"}
    )["id"]
    condition = call(
        "POST", f"{base_path}/time-conditions", admin,
        {"name": "Office hours",
         "schedule": {"time_zone": "Europe/Madrid",
                      "rules": [{"weekdays": ["mon-fri"], "times": ["09:00-17:00"]}]},
         "matched_destination": {"type": "ring_group", "id": ring_group},
         "unmatched_destination": {"type": "voicemail_box", "id": box}},
    )["id"]
    menu = call(
        "POST", f"{base_path}/ivr-menus", admin,
        {"number": "500", "name": "Main", "greeting": {"type": "text", "text": "Hello"},
         "options": [{"digit": "1", "destination": {"type": "time_condition", "id": condition}}]},
    )["id"]
    trunk = call(
        "POST", f"{base_path}/trunks", admin, {"name": "Own", "host": "sip.own.example.com"}
    )["id"]
    carrier = call(
        "POST", "/v1/trunks", admin, {"name": f"Carrier {run}", "host": "sip.carrier.example.com"}
    )["id"]
    route = call(
        "POST", f"{base_path}/outbound-routes", admin,
        {"name": "Spain", "patterns": ["9|NXXXXXXXX"], "trunk_ids": [trunk]},
    )["id"]
    number = f"+3491{int(run, 16) % 10_000_000:07d}"
    did = call(
        "POST", "/v1/dids", admin,
        {"number": number, "carrier_trunk_id": carrier, "currency": "EUR"},
    )["id"]
    call("POST", f"{base_path}/dids", admin, {"did_id": did})
    node = call(
        "POST", "/v1/switch-nodes", admin,
        {"name": f"edge-{run}", "kind": "kamailio", "addresses": ["127.0.0.1"]},
    )
    key = call("POST", f"{base_path}/api-keys", admin, {"name": "ci", "role": "tenant_admin"})

    ids = {
        "tenant_id": t,
        "domain_id": domain,
        "user_id": user_id,
        "key_id": key["id"],
        "extension_id": ext,
        "box_id": box,
        "ring_group_id": ring_group,
        "queue_id": queue,
        "conference_id": conference,
        "condition_id": condition,
        "ivr_menu_id": menu,
        "route_id": route,
        "did_id": did,
        "node_id": node["id"],
        # The switch directory's path names a SIP user of a domain.
        "domain": sip_domain,
        "user": "1001",
    }
    # Tenant trunks and carrier trunks share the parameter name `trunk_id`.
    per_path = [("^/v1/trunks", {"trunk_id": carrier}), ("^/v1/tenants/", {"trunk_id": trunk})]

    def config(token):
        lines = ["[headers]", f'Authorization = "Bearer {token}"', "", "[parameters]"]
        lines += [f'"path.{k}" = {json.dumps(v)}' for k, v in ids.items()]
        for regex, params in per_path:
            lines += ["", "[[operations]]", f"include-path-regex = {json.dumps(regex)}",
                      "[operations.parameters]"]
            lines += [f'"path.{k}" = {json.dumps(v)}' for k, v in params.items()]
        return "\n".join(lines) + "\n"

    for name, token in (("platform", admin), ("tenant", tenant_token), ("switch", node["token"])):
        with open(f"{out}/{name}.toml", "w") as f:
            f.write(config(token))
    print(f"fixtures: tenant {t}, {len(ids)} ids")


if __name__ == "__main__":
    main(*sys.argv[1:5])
