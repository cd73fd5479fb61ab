#!/usr/bin/env python3
"""Reproducible benchmark of the `api` binary on PostgreSQL (issue 5).

Builds the release binary, creates a fresh database `bench_<random>` on the
server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
starts the server with production settings, seeds 1,000 users x 100 todos,
drives it with wrk (scripts/bench/*.lua) and measures the floor of each
scenario with pgbench (scripts/bench/floor_*.sql) on the same database.
Prints one table and writes target/bench/results.json. The database, the
server and the temporary keys are removed at the end, also on failure or
Ctrl-C.

Then the growth section (issue 16, item 4; scripts/bench_growth.py): in a
second database `bench_<random>_growth`, three users get 1,000, 100,000 and
1,000,000 todos by SQL; for each, the median latency of page 1, a cursor page
from the middle of the list, completed=true and the admin list, with the
ratio to the 1,000 row; for the 100,000 user, wrk of page 1 against the
pgbench floor of one indexed `SELECT ... LIMIT 20`. About a minute. Run it
alone with BENCH_SCENARIOS=growth; leave it out by naming the other scenarios.

The binary is CARGO_TARGET_DIR/release/api when CARGO_TARGET_DIR is set (as
cargo itself resolves it: relative to the repository root), else
target/release/api.

Environment:
  DATABASE_URL        server to create the throw-away database on
  BENCH_DURATION      seconds per scenario (default 10)
  BENCH_CONNECTIONS   wrk connections / pgbench clients (default 32)
  BENCH_DB_POOL_SIZE  the server's DB_POOL_SIZE (default 8)
  BENCH_PORT          the server's port on 127.0.0.1 (default: a free one)
  BENCH_WORKERS       the server's WORKERS (default: its own default, the cores)
  BENCH_SCENARIOS     comma-separated scenario names to run (default: all): health,
                      todo_get, todo_list, todo_create, todo_patch, me, login, mixed,
                      todo_get_during_login_flood, growth (the growth section)
  BENCH_GROWTH_SIZES  the growth section's sizes, comma-separated (default
                      1000,100000,1000000; wrk and the floor run at 100000, or the
                      largest size below it)
  BENCH_GROWTH_SAMPLES sequential requests per growth cell, after 3 unmeasured (default 25)
  BENCH_BCRYPT_COST   the server's BCRYPT_COST (default 12, what the targets assume)
  BENCH_BCRYPT_NICE   the server's BCRYPT_NICE (default: the server's own, 10)
  BENCH_AB            an A/B run instead of the full table: space-separated variants
                      LABEL=BINARY[:NAME=value...] (a prebuilt `api` and extra server
                      settings), e.g. "before=/tmp/api-old after=target/release/api" or
                      "cache=target/release/api nocache=target/release/api:JWT_VERIFY_CACHE_SIZE=0".
                      Nothing is built; every scenario runs once per variant per round,
                      variants alternating, on the same database and tokens.
  BENCH_AB_ROUNDS     rounds of an A/B run (default 2); an A/B run has no growth section

Python 3 standard library only. Talks to 127.0.0.1 and the database server only.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import apiproc
import bench_growth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA_DIR = os.path.join(ROOT, "scripts", "bench")
# cargo resolves a relative CARGO_TARGET_DIR against its working directory,
# which is ROOT below.
TARGET_DIR = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target")
API = os.path.join(TARGET_DIR, "release", "api")
OUT_DIR = os.path.join(ROOT, "target", "bench")

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
POOL_SIZE = int(os.environ.get("BENCH_DB_POOL_SIZE", "8"))
WORKERS = os.environ.get("BENCH_WORKERS")
# The login targets are defined at cost 12; lower it only to iterate faster.
BCRYPT_COST = int(os.environ.get("BENCH_BCRYPT_COST", "12"))
ONLY = {n.strip() for n in os.environ.get("BENCH_SCENARIOS", "").split(",") if n.strip()}
AB_ROUNDS = int(os.environ.get("BENCH_AB_ROUNDS", "2"))


def ab_variants():
    """BENCH_AB as [(label, binary, {NAME: value})], or [] for the full run."""
    variants = []
    for item in os.environ.get("BENCH_AB", "").split():
        label, _, spec = item.partition("=")
        binary, *settings = spec.split(":")
        if not label or not binary:
            raise SystemExit(f"BENCH_AB: expected LABEL=BINARY[:NAME=value...], got {item!r}")
        binary = os.path.abspath(binary)
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"BENCH_AB: {binary} is not an executable")
        extra = dict(kv.split("=", 1) for kv in settings)
        variants.append((label, binary, extra))
    return variants
CORES = os.cpu_count() or 1
USERS = 1000
TODOS_PER_USER = 100
TOKEN_USERS = 100
PASSWORD = "bench-password-" + secrets.token_hex(8)
# High enough that the benchmark's own traffic is never throttled (it logs in
# with the right password, so only the IP/registration counters could matter),
# but still on, so the throttle's queries stay in the measured login path.
THROTTLE_OFF_LIMIT = "1000000"


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def pg_url(dbname):
    u = urllib.parse.urlsplit(DATABASE_URL)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, ""))


def admin_url():
    u = urllib.parse.urlsplit(DATABASE_URL)
    return DATABASE_URL if u.path not in ("", "/") else pg_url("postgres")


def psql(url, sql, capture=False):
    res = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", url, "-c", sql],
        check=True, capture_output=True, text=True,
    )
    return res.stdout if capture else None


def settle(url):
    """Pays the write debt of what ran before (dead rows, dirty buffers) so
    that autovacuum or a checkpoint does not land inside the next scenario's
    measurement: the write scenarios and their pgbench floors insert and
    update tens of thousands of rows."""
    psql(url, "VACUUM (ANALYZE) todos, sessions")
    try:
        psql(url, "CHECKPOINT")
    except subprocess.CalledProcessError:
        pass  # needs superuser or pg_checkpoint; VACUUM alone still helps




class Server:
    """The `api` process, its environment and its RSS sampler."""

    def __init__(self, env, log_path, binary=None):
        self.env = env
        self.log_path = log_path
        self.proc = None
        self.binary = binary or API

    def start(self):
        logf = open(self.log_path, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=logf, stderr=logf,
                                     start_new_session=True)
        logf.close()
        return t0

    def wait_ready(self, t0, timeout=60.0):
        """Polls /v1/health/ready; returns seconds from spawn to the first 200."""
        port = int(self.env["PORT"])
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/v1/health/ready")
                status = c.getresponse().status
                c.close()
                if status == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError(f"the server was not ready within {timeout} s; see {self.log_path}")

    def rss_kib(self):
        return apiproc.rss_kib(self.proc.pid)

    def stop(self):
        apiproc.stop(self.proc)


class RssSampler:
    """Samples the server's VmRSS every 100 ms while a scenario runs."""

    def __init__(self, server):
        self.server = server
        self.samples = []  # (seconds since start, KiB)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        t0 = time.monotonic()
        while not self._stop.is_set():
            v = self.server.rss_kib()
            if v is not None:
                self.samples.append((time.monotonic() - t0, v))
            self._stop.wait(0.1)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    def peak_mib(self):
        return max(v for _, v in self.samples) / 1024 if self.samples else None

    def window_mib(self, first, seconds=60):
        if not self.samples:
            return None
        end = self.samples[-1][0]
        if first:
            vals = [v for t, v in self.samples if t <= seconds]
        else:
            vals = [v for t, v in self.samples if t >= end - seconds]
        return statistics.mean(vals) / 1024 if vals else None


def http_json(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)


def login(port, username):
    t = time.perf_counter()
    status, body = http_json(port, "POST", "/v1/auth/login",
                             {"username": username, "password": PASSWORD})
    elapsed = time.perf_counter() - t
    if status != 200:
        raise RuntimeError(f"login of {username} answered {status}: {body}")
    return body["access_token"], elapsed


def seed(db_url, port):
    """One user through the API (a real cost-12 hash), the rest by SQL (with
    the folded keys the service writes, `fold_case`: these names are
    lower-case ASCII already)."""
    status, body = http_json(port, "POST", "/v1/auth/register", {
        "email": "bench0@example.com", "username": "bench0",
        "full_name": "Bench User 0", "password": PASSWORD})
    if status != 201:
        raise RuntimeError(f"register answered {status}: {body}")
    t = time.perf_counter()
    psql(db_url, f"""
        INSERT INTO users (email, email_key, username, username_key, full_name, hashed_password,
                           is_active, is_admin, created_at, updated_at)
        SELECT 'bench' || g || '@example.com', 'bench' || g || '@example.com',
               'bench' || g, 'bench' || g, 'Bench User ' || g,
               (SELECT hashed_password FROM users WHERE username = 'bench0'),
               TRUE, FALSE, now(), now()
        FROM generate_series(1, {USERS - 1}) AS g;
        INSERT INTO todos (title, description, priority, is_completed, user_id, created_at, updated_at)
        SELECT 'todo ' || g || ' of ' || u.username,
               CASE WHEN g % 2 = 0 THEN 'seeded description ' || g END,
               (ARRAY['low', 'medium', 'high'])[1 + g % 3], g % 4 = 0, u.id,
               now() - g * interval '1 minute', now() - g * interval '1 minute'
        FROM users u CROSS JOIN generate_series(1, {TODOS_PER_USER}) AS g;
        ANALYZE;
    """)
    log(f"seeded {USERS} users x {TODOS_PER_USER} todos by SQL in {time.perf_counter() - t:.1f} s")


def bcrypt_time(port):
    """Median of 5 sequential logins of one user: an upper bound of one bcrypt
    verification at the configured cost (a login also does a few queries and
    one RS256 signature, each well under a millisecond or two)."""
    times = [login(port, "bench0")[1] for _ in range(5)]
    return statistics.median(times), times


def tokens(port, db_url):
    names = [f"bench{i}" for i in range(TOKEN_USERS)]
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CORES) as ex:
        toks = list(ex.map(lambda n: login(port, n)[0], names))
    log(f"{TOKEN_USERS} logins in {time.perf_counter() - t:.1f} s")
    rows = psql(db_url, f"""
        SELECT u.username, u.id, string_agg(t.id::text, ',' ORDER BY t.id)
        FROM users u JOIN todos t ON t.user_id = u.id
        WHERE u.username IN ({",".join("'" + n + "'" for n in names)})
        GROUP BY u.username, u.id""", capture=True)
    by_name = {}
    for line in rows.strip().splitlines():
        name, uid, ids = line.split("|")
        by_name[name] = (uid, ids)
    path = os.path.join(OUT_DIR, "data.txt")
    with open(path, "w") as f:
        for name, tok in zip(names, toks):
            uid, ids = by_name[name]
            f.write(f"{uid} {name} {tok} {ids}\n")
    os.chmod(path, 0o600)
    return path


def wrk(script, port, connections, data_path, duration=None):
    threads = min(CORES, connections)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration or DURATION}s",
           "--timeout", "10s", "--latency", "-s", os.path.join(LUA_DIR, script),
           f"http://127.0.0.1:{port}"]
    env = dict(os.environ, BENCH_LUA_DIR=LUA_DIR, BENCH_DATA=data_path, BENCH_PASSWORD=PASSWORD)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def wrk_result(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}")
    m = re.search(r"^BENCH_RESULT (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError(f"no BENCH_RESULT in wrk's output:\n{out}")
    r = json.loads(m.group(1))
    ok = sum(v for k, v in r["statuses"].items() if k.startswith("2"))
    non2xx = sum(v for k, v in r["statuses"].items() if not k.startswith("2"))
    sock = sum(r["socket_errors"].values())
    secs = r["duration_us"] / 1e6
    return {
        "req_per_s": r["requests"] / secs,
        "ok_per_s": ok / secs,
        "requests": r["requests"],
        "p50_ms": r["latency_us"]["p50"] / 1000,
        "p99_ms": r["latency_us"]["p99"] / 1000,
        "max_ms": r["latency_us"]["max"] / 1000,
        "errors": non2xx + sock,
        "statuses": r["statuses"],
        "socket_errors": r["socket_errors"],
    }


def pgbench(script, db_url, variables, clients):
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(CORES, clients)),
           "-T", str(DURATION), "-f", os.path.join(LUA_DIR, script)]
    for k, v in variables.items():
        cmd += ["-D", f"{k}={v}"]
    cmd.append(db_url)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{res.stdout}\n{res.stderr}")
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", res.stdout)
    if not m:
        raise RuntimeError(f"no tps in pgbench's output:\n{res.stdout}")
    return float(m.group(1))


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's wrk with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(sudo + ["apt-get", "install", "-y", "-q", "wrk"])


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def target_verdicts(results, login_target, ready):
    """(label, met) for each issue-5 target whose scenarios were run."""
    targets = []

    def ratio_target(name, floor_ratio):
        if name in results:
            targets.append((f"{name} >= {floor_ratio}x floor",
                            results[name]["ratio"] >= floor_ratio))

    get = results.get("todo_get")
    if get:
        targets.append(("todo_get >= 0.4x floor, p99 <= 10 ms, 0 errors",
                        get["ratio"] >= 0.4 and get["p99_ms"] <= 10 and get["errors"] == 0))
    ratio_target("todo_list", 0.3)
    ratio_target("todo_create", 0.4)
    ratio_target("todo_patch", 0.4)
    ratio_target("me", 0.4)
    flood = results.get("todo_get_during_login_flood")
    targets.append(("zero errors everywhere",
                    all(r["errors"] == 0 for r in results.values())
                    and (flood is None or flood["flood"]["errors"] == 0)))
    if "login" in results:
        targets.append((f"login >= 0.9 x cores/bcrypt = {login_target:.2f}/s",
                        results["login"]["req_per_s"] >= login_target))
    if get and flood:
        targets.append((f"todo_get p99 during login flood <= 3 x {get['p99_ms']:.2f} ms",
                        flood["p99_ms"] <= 3 * get["p99_ms"]))
    mixed = results.get("mixed")
    if mixed:
        targets.append(("peak RSS <= 64 MiB during the mixed run", mixed["peak_rss_mib"] <= 64))
        if DURATION >= 120:
            a, b = mixed["rss_first_minute_mib"], mixed["rss_last_minute_mib"]
            targets.append((f"mixed RSS flat (first minute {a:.1f}, last {b:.1f} MiB)",
                            b <= a * 1.1 + 1))
    targets.append(("start to ready <= 300 ms", ready <= 0.3))
    return targets


def ab_run(variants, scenarios, measure, server, env):
    """Every scenario once per variant per round, the variants alternating;
    prints one row per run and the median per variant."""
    runs = {}
    for name, script, conns, floor in scenarios:
        for round_no in range(AB_ROUNDS):
            for label, binary, extra in variants:
                server.stop()
                server.binary = binary
                server.env = dict(env, **extra)
                server.wait_ready(server.start())
                r = measure(name, script, conns, floor, with_floor=False)
                runs.setdefault((name, label), []).append(r)
                log(f"  {name} [{label}] round {round_no + 1}: {r['req_per_s']:.0f} req/s, "
                    f"p99 {r['p99_ms']:.2f} ms")
    head = f"{'scenario':<16} {'variant':<12} {'req/s per round':<24} {'median':>8} " \
           f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    lines = [head, "-" * len(head)]
    for (name, label), rs in runs.items():
        rates = [r["req_per_s"] for r in rs]
        lines.append(
            f"{name:<16} {label:<12} {' / '.join(f'{x:.0f}' for x in rates):<24} "
            f"{statistics.median(rates):>8.0f} {statistics.median(r['p50_ms'] for r in rs):>8.2f} "
            f"{statistics.median(r['p99_ms'] for r in rs):>8.2f} {sum(r['errors'] for r in rs):>7}")
    print("\n".join(lines))
    with open(os.path.join(OUT_DIR, "ab.json"), "w") as f:
        json.dump({f"{n} [{l}]": rs for (n, l), rs in runs.items()}, f, indent=2)
    log(f"wrote {os.path.join(OUT_DIR, 'ab.json')}")


def main():
    if subprocess.run(["pgrep", "-f", r"\.ci/run"], capture_output=True).returncode == 0:
        log("warning: a CI run (.ci/run) is running: the numbers will be low")
    os.makedirs(OUT_DIR, exist_ok=True)
    variants = ab_variants()
    if variants:
        log("A/B run of " + ", ".join(f"{label} ({binary} {extra or ''})"
                                       for label, binary, extra in variants))
    else:
        log("building the release binary")
        run(["cargo", "build", "--release", "-p", "http-actix", "--bin", "api"], cwd=ROOT)
    ensure_wrk()
    api = variants[0][1] if variants else API

    dbname = "bench_" + secrets.token_hex(6)
    db_url = pg_url(dbname)
    growth_db = dbname + "_growth"
    growth_created = False
    tmp = tempfile.mkdtemp(prefix="bench-")
    server = None
    created = False

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    running = []
    try:
        psql(admin_url(), f'CREATE DATABASE "{dbname}"')
        created = True
        log(f"created database {dbname}")
        keys = os.path.join(tmp, "keys")
        run([api, "keygen", "--dir", keys], stdout=subprocess.DEVNULL)
        port = int(os.environ.get("BENCH_PORT") or apiproc.free_port())
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ENVIRONMENT": "production",
            # Production needs SMTP_URL or MAIL_DIR: account mail goes to files here.
            "MAIL_DIR": os.path.join(tmp, "mail"),
            "AUTO_MIGRATE": "true",
            "LOG_LEVEL": "warn",
            "BCRYPT_COST": str(BCRYPT_COST),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": db_url,
            "DB_POOL_SIZE": str(POOL_SIZE),
            "JWT_PRIVATE_KEY_PATH": os.path.join(keys, "private_key.pem"),
            "JWT_PUBLIC_KEY_PATH": os.path.join(keys, "public_key.pem"),
            "JWT_VERIFY_KEYS_DIR": os.path.join(keys, "retired"),
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": THROTTLE_OFF_LIMIT,
            "LOGIN_MAX_FAILURES_PER_IP": THROTTLE_OFF_LIMIT,
            "REGISTER_MAX_PER_IP": THROTTLE_OFF_LIMIT,
        }
        if WORKERS:
            env["WORKERS"] = WORKERS
        if os.environ.get("BENCH_BCRYPT_NICE"):
            env["BCRYPT_NICE"] = os.environ["BENCH_BCRYPT_NICE"]
        server = Server(env, os.path.join(OUT_DIR, "server.log"), api)
        open(server.log_path, "w").close()

        # First start applies the migrations; the second is the one timed.
        t0 = server.start()
        first = server.wait_ready(t0)
        server.stop()
        t0 = server.start()
        ready = server.wait_ready(t0)
        log(f"start to ready: first (migrating) {first * 1000:.0f} ms, second {ready * 1000:.0f} ms")

        scenarios = [
            # name, wrk script, connections, pgbench floor script
            ("health", "health.lua", CONNECTIONS, None),
            ("todo_get", "todo_get.lua", CONNECTIONS, "floor_todo_get.sql"),
            ("todo_list", "todo_list.lua", CONNECTIONS, "floor_todo_list.sql"),
            ("todo_create", "todo_create.lua", CONNECTIONS, "floor_todo_create.sql"),
            ("todo_patch", "todo_patch.lua", CONNECTIONS, "floor_todo_patch.sql"),
            ("me", "me.lua", CONNECTIONS, "floor_me.sql"),
            ("login", "login.lua", 8, None),
            ("mixed", "mixed.lua", CONNECTIONS, None),
            ("todo_get_during_login_flood", None, CONNECTIONS, None),
        ]
        unknown = ONLY - {s[0] for s in scenarios} - {"growth"}
        if unknown:
            raise SystemExit(f"unknown BENCH_SCENARIOS: {', '.join(sorted(unknown))}")
        if ONLY:
            scenarios = [s for s in scenarios if s[0] in ONLY]
        growth = not variants and (not ONLY or "growth" in ONLY)

        bcrypt_s, bcrypt_samples, data, pgvars = None, [], None, {}
        if scenarios:
            seed(db_url, port)
            bcrypt_s, bcrypt_samples = bcrypt_time(port)
            log(f"one login (sequential, median of 5): {bcrypt_s * 1000:.0f} ms")
            data = tokens(port, db_url)
            ids = psql(db_url, "SELECT min(id), max(id) FROM todos", capture=True).strip().split("|")
            uids = psql(db_url, "SELECT min(id), max(id) FROM users", capture=True).strip().split("|")
            pgvars = {"min_todo": ids[0], "max_todo": ids[1],
                      "min_user": uids[0], "max_user": uids[1]}
        def measure(name, script, conns, floor, with_floor=True):
            settle(db_url)
            log(f"scenario {name}: {conns} connections, {DURATION} s")
            with RssSampler(server) as rss:
                if script:
                    p = wrk(script, port, conns, data)
                    running.append(p)
                    r = wrk_result(p)
                else:
                    p1 = wrk("todo_get.lua", port, conns, data)
                    p2 = wrk("login.lua", port, 16, data)
                    running.extend([p1, p2])
                    r = wrk_result(p1)
                    r["flood"] = wrk_result(p2)
            r["peak_rss_mib"] = rss.peak_mib()
            if name == "mixed" and DURATION >= 120:
                r["rss_first_minute_mib"] = rss.window_mib(first=True)
                r["rss_last_minute_mib"] = rss.window_mib(first=False)
            r["connections"] = conns
            r["floor_tps"] = None
            if floor and with_floor:
                log(f"floor {floor}: pgbench -M prepared -c {conns}")
                r["floor_tps"] = pgbench(floor, db_url, pgvars, conns)
            r["ratio"] = r["req_per_s"] / r["floor_tps"] if r["floor_tps"] else None
            return r

        if variants:
            ab_run(variants, scenarios, measure, server, env)
            return

        results = {}
        for name, script, conns, floor in scenarios:
            results[name] = measure(name, script, conns, floor)

        growth_results, growth_lines, growth_targets = None, [], []
        if growth:
            growth_created = True  # from here on, the cleanup drops it if it exists
            log(f"growth section in database {growth_db}, sizes {bench_growth.SIZES}")
            t = time.perf_counter()
            try:
                growth_results, growth_lines, growth_targets = bench_growth.run(
                    sys.modules[__name__], server, env, growth_db, pg_url(growth_db))
                growth_results["seconds"] = time.perf_counter() - t
            except (RuntimeError, OSError, http.client.HTTPException,
                    subprocess.CalledProcessError) as e:
                # The other scenarios' table still prints.
                log(f"the growth section failed: {e!r}")
                growth_results = {"error": repr(e), "seconds": time.perf_counter() - t}
                growth_targets = [("growth section completed", False)]
            log(f"growth section took {growth_results['seconds']:.0f} s")

        login_target = 0.9 * CORES / bcrypt_s if bcrypt_s else None
        targets = target_verdicts(results, login_target, ready) + growth_targets
        mixed = results.get("mixed")

        head = f"{'scenario':<30} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} " \
               f"{'max ms':>8} {'errors':>7} {'floor tx/s':>11} {'ratio':>6} {'peak RSS MiB':>12}"
        lines = [head, "-" * len(head)] if results else []
        rows = list(results.items())
        if "todo_get_during_login_flood" in results:
            rows.append(("(login flood alongside)", results["todo_get_during_login_flood"]["flood"]))
        for name, r in rows:
            lines.append(
                f"{name:<30} {r.get('connections', 16):>5} {r['req_per_s']:>9.0f} {r['p50_ms']:>8.2f} "
                f"{r['p99_ms']:>8.2f} {r['max_ms']:>8.1f} {r['errors']:>7} "
                f"{fmt(r.get('floor_tps'), '11.0f'):>11} {fmt(r.get('ratio'), '6.2f'):>6} "
                f"{fmt(r.get('peak_rss_mib'), '12.1f'):>12}")
        if results:
            lines.append("")
            lines.append(f"peak RSS over all runs: {max(r['peak_rss_mib'] for r in results.values()):.1f} MiB; "
                         f"start to ready (migrations applied): {ready * 1000:.0f} ms; "
                         f"one sequential login: {bcrypt_s * 1000:.0f} ms -> cores/bcrypt = "
                         f"{CORES / bcrypt_s:.2f}/s")
        if mixed and DURATION >= 120:
            lines.append(f"mixed RSS: first minute {mixed['rss_first_minute_mib']:.1f} MiB, "
                         f"last minute {mixed['rss_last_minute_mib']:.1f} MiB")
        lines.extend(growth_lines)
        lines.append("")
        for label, ok in targets:
            lines.append(f"  [{'met' if ok else 'MISSED'}] {label}")
        print("\n".join(lines))

        out = {
            "duration_s": DURATION, "connections": CONNECTIONS, "cores": CORES,
            "db_pool_size": POOL_SIZE, "bcrypt_cost": BCRYPT_COST,
            "start_to_ready_ms": ready * 1000, "first_start_ms": first * 1000,
            "login_seconds_samples": bcrypt_samples, "login_seconds_median": bcrypt_s,
            "scenarios": results,
            "growth": growth_results,
            "targets": [{"target": label, "met": ok} for label, ok in targets],
        }
        with open(os.path.join(OUT_DIR, "results.json"), "w") as f:
            json.dump(out, f, indent=2)
        log(f"wrote {os.path.join(OUT_DIR, 'results.json')}")
    finally:
        for p in running:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        if server:
            server.stop()
        if growth_created:
            try:
                psql(admin_url(), f'DROP DATABASE IF EXISTS "{growth_db}" WITH (FORCE)')
                log(f"dropped database {growth_db}")
            except subprocess.CalledProcessError as e:
                log(f"could not drop {growth_db}: {e.stderr}")
        if created:
            try:
                psql(admin_url(), f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                log(f"dropped database {dbname}")
            except subprocess.CalledProcessError as e:
                log(f"could not drop {dbname}: {e.stderr}")
        shutil.rmtree(tmp, ignore_errors=True)
        for leftover in ("data.txt", "growth_data.txt"):
            path = os.path.join(OUT_DIR, leftover)
            if os.path.exists(path):
                os.remove(path)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        sys.exit(130)
