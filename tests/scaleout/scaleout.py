#!/usr/bin/env python3
"""Scale-out test: two `centralita api` behind HAProxy and two `centralita worker` on one
PostgreSQL and one Redis, with one API and one worker killed with SIGKILL mid-run.

Run by tests/scaleout/run.sh (which builds the binary, installs HAProxy and wrk, and makes
the database); every process listens on loopback only. It shows, failing otherwise:

1. `centralita migrate` started twice at once on an empty database: both succeed, each
   migration is recorded once;
2. readiness: both APIs and both workers' probes answer `/readyz`, HAProxy routes to both;
3. a change made through one API (an extension set to do-not-disturb) is seen through the
   other's switch directory, whose answers are cached per process, within a second (Redis
   carries the invalidation);
4. login limits are counted across both APIs (failures alternated between them);
5. throughput of reads through HAProxy to two APIs against one API alone, same run;
6. under a bounded load of reads and keyed top-ups through HAProxy, one API and one worker
   (the one holding a lease, if any) are killed with SIGKILL and restarted: no read fails,
   every keyed top-up is posted exactly once, every rate-deck import job (one deck version
   each) is done exactly once, the dead worker's lease taken over after it expired;
7. with Redis stopped: both APIs still ready (`degraded`) and serving through HAProxy, a
   change through one API visible through the other at once (no process serves a cached
   switch answer it can no longer invalidate), a keyed top-up still posts once, and the
   workers finish new jobs by polling the database.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

BIN = os.path.abspath(os.environ.get("CENTRALITA_BIN", "target/debug/centralita"))
HAPROXY_CFG = os.path.abspath("deploy/haproxy/haproxy.cfg")
DB = "centralita_scaleout"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}?sslmode=disable"
PORT_LB, PORT_API, PORT_PROBE, PORT_REDIS = 18380, (18381, 18382), (18391, 18392), 18379
LB = f"http://127.0.0.1:{PORT_LB}"
API = [f"http://127.0.0.1:{p}" for p in PORT_API]
PROBE = [f"http://127.0.0.1:{p}" for p in PORT_PROBE]
WORK = tempfile.mkdtemp(prefix="centralita-scaleout-")
ADMIN, ADMIN_PASSWORD = "ops@scaleout.example.com", "scale-out-password-123"
LEASE_SECS = 4

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def psql(sql, db=DB):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def http(method, url, body=None, token=None, headers=None, timeout=10):
    """(status, parsed JSON or text); status 0 for a transport error."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if isinstance(body, (bytes, str)):
            data = body.encode() if isinstance(body, str) else body
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("content-type", "application/json")
    if token:
        hdrs["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw, status = res.read(), res.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


BASE_ENV = {
    "PATH": os.environ["PATH"],
    "RUST_LOG": "warn",
    "CENTRALITA_DATABASE_URL": DB_URL,
    "CENTRALITA_DATABASE_MAX_CONNECTIONS": "8",
    "CENTRALITA_REDIS_URL": f"redis://127.0.0.1:{PORT_REDIS}",
    "CENTRALITA_REDIS_PREFIX": "scaleout:",
    "CENTRALITA_JWT_SECRET": secrets.token_urlsafe(48),
    "CENTRALITA_JOB_LEASE_SECS": str(LEASE_SECS),
    "CENTRALITA_TRUSTED_PROXIES": "127.0.0.1",
    "CENTRALITA_LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS": "5",
    "CENTRALITA_HTTP_WORKERS": "1",
}


class Proc:
    """One process of ours (or HAProxy, Redis), its output in WORK/<name>.log."""

    def __init__(self, name, args, env=None):
        self.name, self.args, self.env, self.p = name, args, env, None

    def start(self):
        log = open(os.path.join(WORK, f"{self.name}.log"), "ab")
        self.p = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def centralita(name, role, extra):
    env = dict(BASE_ENV, CENTRALITA_DATA_DIR=os.path.join(WORK, name), **extra)
    return Proc(name, [BIN, *role], env)


def api(i):
    return centralita(f"api{i + 1}", ["api"], {"CENTRALITA_LISTEN": f"127.0.0.1:{PORT_API[i]}"})


def worker(i):
    return centralita(f"worker{i + 1}", ["worker", "--concurrency", "1"],
                      {"CENTRALITA_WORKER_PROBE_LISTEN": f"127.0.0.1:{PORT_PROBE[i]}"})


def wait_ready(url, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, _ = http("GET", f"{url}/readyz", timeout=2)
        if status == 200:
            return True
        time.sleep(0.1)
    check(False, f"{what} ready at {url}")
    return False


def wrk(url, token, seconds=3, conns=8):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-H",
                          f"authorization: Bearer {token}", url],
                         check=True, capture_output=True, text=True).stdout
    rps = next(float(line.split()[1]) for line in out.splitlines() if "Requests/sec" in line)
    non2xx = next((int(line.split()[-1]) for line in out.splitlines()
                   if "Non-2xx" in line), 0)
    return rps, non2xx


def deck_csv(rows, seed):
    lines = ["prefix,destination,rate,connection_fee,first_increment,next_increment"]
    for i in range(rows):
        lines.append(f"{seed}{i:06d},Destination {i},0.0{(i % 90) + 10},0,60,60")
    return "\n".join(lines) + "\n"


def import_deck(token, deck, rows, seed):
    for _ in range(20):
        status, body = http("POST", f"{LB}/v1/rate-decks/{deck}/imports", deck_csv(rows, seed),
                            token, {"content-type": "text/csv"}, timeout=60)
        if status == 202:
            return body["id"]
        time.sleep(0.2)
    raise SystemExit(f"import not accepted: {status} {body}")


def wait_imports(token, deck, ids, seconds):
    deadline, done = time.time() + seconds, {}
    while time.time() < deadline and len(done) < len(ids):
        for i in ids:
            if i in done:
                continue
            status, body = http("GET", f"{LB}/v1/rate-decks/{deck}/imports/{i}", token=token)
            if status == 200 and body["status"] in ("succeeded", "rejected", "failed"):
                done[i] = body["status"]
        time.sleep(0.2)
    return done


def main():
    procs = []
    try:
        run(procs)
    finally:
        for p in procs:
            p.stop()
    if failures:
        print(f"\nscale-out test FAILED ({len(failures)}): " + "; ".join(failures))
        print(f"logs kept in {WORK}")
        return 1
    print("\nscale-out test passed")
    return 0


def run(procs):
    # 1. Two migrations at once on an empty database.
    env = dict(BASE_ENV, CENTRALITA_DATA_DIR=os.path.join(WORK, "migrate"))
    pair = [subprocess.Popen([BIN, "migrate"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in pair]
    codes = [p.returncode for p in pair]
    check(codes == [0, 0], f"two concurrent `centralita migrate` both exit 0 (exit codes {codes})")
    if codes != [0, 0]:
        print("\n".join(o[0][-2000:] for o in outs))
    total, distinct = psql("SELECT count(*), count(DISTINCT version) FROM seaql_migrations").split("|")
    check(total == distinct and int(total) > 0, f"each of the {distinct} migrations recorded once ({total} rows)")

    # 2. Redis, two APIs, two workers, HAProxy with the committed configuration on test ports.
    redis = Proc("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(PORT_REDIS),
                           "--save", "", "--appendonly", "no"]).start()
    procs.append(redis)
    time.sleep(0.3)
    made = subprocess.run([BIN, "admin", "create-user", "--email", ADMIN, "--password", ADMIN_PASSWORD],
                          env=env, capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"admin create-user failed: {made.stdout[-2000:]} {made.stderr[-2000:]}")
    apis = [api(i).start() for i in range(2)]
    workers = [worker(i).start() for i in range(2)]
    procs.extend(apis + workers)
    cfg = open(HAPROXY_CFG).read()
    cfg = (cfg.replace("127.0.0.1:8080", f"127.0.0.1:{PORT_LB}")
           .replace("127.0.0.1:8081", f"127.0.0.1:{PORT_API[0]}")
           .replace("127.0.0.1:8082", f"127.0.0.1:{PORT_API[1]}")
           .replace("inter 2s", "inter 500ms"))
    with open(os.path.join(WORK, "haproxy.cfg"), "w") as f:
        f.write(cfg)
    procs.append(Proc("haproxy", ["haproxy", "-db", "-f", os.path.join(WORK, "haproxy.cfg")]).start())
    for url, what in [(API[0], "api1"), (API[1], "api2"), (PROBE[0], "worker1 probes"),
                      (PROBE[1], "worker2 probes"), (LB, "HAProxy")]:
        check(wait_ready(url, what), f"{what} answers /readyz")
    check(http("GET", f"{PROBE[0]}/livez")[0] == 200, "a worker answers /livez")
    check(http("GET", f"{PROBE[0]}/v1/tenants")[0] == 404, "a worker serves nothing but probes")

    status, body = http("POST", f"{LB}/v1/auth/token", {"email": ADMIN, "password": ADMIN_PASSWORD})
    assert status == 200, (status, body)
    token = body["access_token"]
    status, tenant = http("POST", f"{LB}/v1/tenants", {"name": "Scale Out"}, token)
    assert status == 201, (status, tenant)
    t = tenant["id"]
    domain = f"so-{uuid.uuid4().hex[:8]}.example.com"
    assert http("POST", f"{LB}/v1/tenants/{t}/domains", {"name": domain}, token)[0] == 201
    status, ext = http("POST", f"{LB}/v1/tenants/{t}/extensions",
                       {"number": "101", "display_name": "Desk"}, token)
    assert status == 201, (status, ext)
    status, node = http("POST", f"{LB}/v1/switch-nodes",
                        {"name": "edge-so", "kind": "kamailio", "addresses": ["127.0.0.1"]}, token)
    assert status == 201, (status, node)

    # 3. A change through api1 is seen through api2's cached switch directory within a second.
    directory = f"/v1/switch/directory/{domain}/101"
    status, before = http("GET", API[1] + directory, token=node["token"])
    check(status == 200 and before["dnd"] is False, "api2 answers (and caches) the directory entry")
    status, _ = http("PATCH", f"{API[0]}/v1/tenants/{t}/extensions/{ext['id']}", {"dnd": True}, token)
    assert status == 200, status
    changed, seen_after = time.time(), None
    while time.time() - changed < 5:
        status, now = http("GET", API[1] + directory, token=node["token"])
        if status == 200 and now["dnd"] is True:
            seen_after = time.time() - changed
            break
        time.sleep(0.02)
    check(seen_after is not None and seen_after < 1.0,
          f"a change through api1 is visible through api2 within a second ({seen_after})")

    # 4. Login limits across both APIs: 3 failures on each, the 6th attempt already refused.
    email = f"limited-{uuid.uuid4().hex[:6]}@scaleout.example.com"
    status, _ = http("POST", f"{LB}/v1/tenants/{t}/users",
                     {"email": email, "display_name": "L", "role": "tenant_user",
                      "password": "the-right-password-1"}, token)
    assert status == 201, status
    answers = [http("POST", f"{API[i % 2]}/v1/auth/token", {"email": email, "password": "wrong-password-00"})[0]
               for i in range(6)]
    check(answers[:5] == [401] * 5 and answers[5] == 429,
          f"login failures counted across both APIs (answers {answers})")

    # 5. Throughput of reads: one API alone, then two through HAProxy.
    read = f"/v1/tenants/{t}"
    one, bad1 = wrk(API[0] + read, token)
    two, bad2 = wrk(LB + read, token)
    check(bad1 == 0 and bad2 == 0, "the throughput runs answered 200 only")
    print(f"      throughput GET {read}: one API {one:,.0f} req/s; two APIs behind HAProxy "
          f"{two:,.0f} req/s ({two / one:.2f}x), 8 connections, 3 s each, each API one HTTP worker, "
          f"2 cores shared with wrk, HAProxy and PostgreSQL")

    # 6. Load, then SIGKILL of one API and one worker, and their restart.
    status, deck = http("POST", f"{LB}/v1/rate-decks", {"name": "Scale", "currency": "USD"}, token)
    assert status == 201, (status, deck)
    imports = [import_deck(token, deck["id"], 20000 if i < 6 else 2000, 100 + i) for i in range(10)]
    stop = threading.Event()
    reads = {"ok": 0, "failed": []}
    keys = []
    lock = threading.Lock()

    def reader():
        while not stop.is_set():
            status, body = http("GET", LB + read, token=token)
            with lock:
                if status == 200:
                    reads["ok"] += 1
                else:
                    reads["failed"].append((status, str(body)[:200]))

    def writer(n):
        for _ in range(n):
            key = str(uuid.uuid4())
            with lock:
                keys.append(key)
            for _ in range(100):
                status, _ = http("POST", f"{LB}/v1/tenants/{t}/transactions",
                                 {"kind": "top_up", "amount": "1"}, token, {"Idempotency-Key": key})
                if status in (200, 201):
                    break
                time.sleep(0.1)  # transport error, 5xx or 409 in progress: the same key again
            else:
                with lock:
                    reads["failed"].append(("top-up never answered", key))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads += [threading.Thread(target=writer, args=(40,)) for _ in range(2)]
    for th in threads:
        th.start()
    time.sleep(1.5)
    # The worker to kill: the one holding a lease now, if either does.
    holding = psql("SELECT lease_owner FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL LIMIT 1")
    victim = 0
    for i, w in enumerate(workers):
        if f":{w.p.pid}:" in holding:
            victim = i
    leased = psql(f"SELECT id FROM jobs WHERE status = 'running' AND lease_owner LIKE '%:{workers[victim].p.pid}:%'")
    apis[0].kill9()
    workers[victim].kill9()
    print(f"      SIGKILL api1 and worker{victim + 1} (holding {len(leased.split()) if leased else 0} lease)")
    time.sleep(2)
    apis[0] = api(0).start()
    workers[victim] = worker(victim).start()
    procs.extend([apis[0], workers[victim]])
    check(wait_ready(API[0], "restarted api1"), "api1 restarted and ready")
    time.sleep(3)
    for th in threads[3:]:
        th.join(120)
    stop.set()
    for th in threads[:3]:
        th.join(30)
    check(not reads["failed"], f"no failed read through HAProxy ({reads['ok']} reads, failures {reads['failed'][:3]})")
    status, tx = http("GET", f"{LB}/v1/tenants/{t}/transactions?kind=top_up&limit=200", token=token)
    posted = len(tx["items"]) if status == 200 else -1
    status, bal = http("GET", f"{LB}/v1/tenants/{t}/balance", token=token)
    check(posted == len(keys) == 80 and float(bal["balance"]) == 80,
          f"each of {len(keys)} keyed top-ups posted exactly once ({posted} transactions, balance {bal.get('balance')})")
    done = wait_imports(token, deck["id"], imports, 180)
    check(len(done) == len(imports) and set(done.values()) == {"succeeded"},
          f"every import job finished and succeeded ({sorted(done.values())})")
    rows = psql(f"SELECT count(*) FROM rate_deck_versions WHERE deck_id = '{deck['id']}'")
    check(int(rows) == len(imports), f"one deck version per import job ({rows} versions, {len(imports)} imports)")
    retried = psql("SELECT count(*) FROM jobs WHERE kind = 'rate_deck.import' AND attempts > 1")
    if leased:
        taken = psql(f"SELECT status || ' ' || attempts FROM jobs WHERE id = '{leased.split()[0]}'")
        check(taken.startswith("succeeded") and int(taken.split()[1]) >= 2,
              f"the dead worker's job was taken over after its lease expired and done ({taken})")
    print(f"      import jobs run more than once: {retried} (a run's work is undone before a retry)")

    # 7. Redis stopped: both APIs serve, top-ups post once, workers finish jobs by polling.
    redis.kill9()
    for i in range(2):
        status, body = http("GET", f"{API[i]}/readyz")
        check(status == 200 and body == {"status": "degraded"}, f"api{i + 1} ready but degraded without Redis ({status} {body})")
    answers = [http("GET", LB + read, token=token)[0] for _ in range(50)]
    check(answers == [200] * 50, "reads through HAProxy without Redis")
    # Not hearing the others' changes, each API stops serving its cached switch answers.
    http("GET", API[1] + directory, token=node["token"])
    started = time.time()
    status, _ = http("PATCH", f"{API[0]}/v1/tenants/{t}/extensions/{ext['id']}", {"dnd": False}, token)
    write_secs = time.time() - started
    check(status == 200 and write_secs < 1.0, f"a write without Redis is not held up ({write_secs:.3f} s)")
    status, now = http("GET", API[1] + directory, token=node["token"])
    check(status == 200 and now["dnd"] is False,
          "a change through api1 is visible through api2 at once without Redis (no stale cached answer)")
    check(all(http("GET", API[i] + read, token=token)[0] == 200 for i in range(2)), "both APIs serve reads without Redis")
    key = str(uuid.uuid4())
    first = [http("POST", f"{LB}/v1/tenants/{t}/transactions", {"kind": "top_up", "amount": "1"}, token,
                  {"Idempotency-Key": key})[0] for _ in range(3)]
    check(first[0] == 201 and all(s in (200, 201) for s in first), f"a keyed top-up without Redis ({first})")
    status, bal = http("GET", f"{LB}/v1/tenants/{t}/balance", token=token)
    check(float(bal["balance"]) == 81, f"posted once ({bal['balance']})")
    later = [import_deck(token, deck["id"], 500, 200 + i) for i in range(2)]
    done = wait_imports(token, deck["id"], later, 60)
    check(set(done.values()) == {"succeeded"} and len(done) == 2, f"workers finish jobs by polling without Redis ({done})")


if __name__ == "__main__":
    sys.exit(main())
