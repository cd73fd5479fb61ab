"""The growth section of scripts/bench.py (issue 16, item 4): how the list
endpoints' latency grows with one user's number of todos.

In a database of its own (`<bench db>_growth`, the same migrations), one
user per size of BENCH_GROWTH_SIZES (1,000, 100,000, 1,000,000) gets that
many todos by SQL, one `INSERT ... SELECT ... FROM generate_series` per user
(not through the API; the counters' triggers count them), each followed by
`VACUUM (ANALYZE)` and `CHECKPOINT`; 1,000 more users by SQL give the admin
list full pages. Each user is measured with its own token, all on the same
table: the median latency of BENCH_GROWTH_SAMPLES sequential requests per
user on one keep-alive connection each (after 3 unmeasured ones), the sizes
interleaved request by request so that a slow moment of the (shared) machine
falls on every size alike:

  page 1          GET /v1/todos?page=1&page_size=20
  cursor deep     GET /v1/todos?cursor=<c>&page_size=20, where <c> is the
                  next_cursor of page size/40 (the middle of the list), got
                  once by that numbered page
  completed=true  GET /v1/todos?page=1&page_size=20&completed=true
  admin list      GET /v1/users?page=1&page_size=20 with an admin's token,
                  timed after each user's insert (the todos table at 1,000,
                  101,000, 1,101,000 rows); it reads users, not todos
  page= deep      GET /v1/todos?page=<size/40>&page_size=20: an OFFSET of
                  half the list, linear by design (median of 5)

Each is printed with its ratio to the first size's row. Then, for the
100,000 user, wrk at BENCH_CONNECTIONS (32) of page 1 and, for the same
duration and clients, the pgbench floor of one indexed
`SELECT ... WHERE user_id = :uid ORDER BY created_at DESC, id DESC LIMIT 20`
on the same table (scripts/bench/floor_growth_list.sql), each with the CPU
it cost the server and PostgreSQL; and, to tell the statement's cost from
the service's, pgbench of the service's own statement
(floor_growth_service_list.sql) and how PostgreSQL plans it when prepared.

Targets (issue 16): page 1 and cursor deep at 1,000,000 within 2x of 1,000;
wrk req/s at 100,000 >= 0.4 x the floor.
"""
import http.client
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.parse

SIZES = [int(s) for s in os.environ.get("BENCH_GROWTH_SIZES", "1000,100000,1000000").split(",")
         if s.strip()]
SAMPLES = int(os.environ.get("BENCH_GROWTH_SAMPLES", "25"))
OFFSET_SAMPLES = 5
WARMUP = 3
EXTRA_USERS = 1000
# The size at which wrk and the pgbench floor run (the 100k), or the
# largest size below it when BENCH_GROWTH_SIZES is smaller.
THROUGHPUT_SIZE = 100_000
# The g-th todo of a user was created at BASE - g ms: distinct per user.
BASE = "2026-01-01 00:00:00+00"

COLUMNS = [
    ("page1", "page 1"),
    ("cursor_deep", "cursor deep"),
    ("completed", "completed=true"),
    ("admin_list", "admin list"),
    ("offset_deep", "page= deep"),
]


class Client:
    """One keep-alive connection to the server, with a bearer token."""

    def __init__(self, port, token):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        """(status, body bytes, seconds)."""
        t = time.perf_counter()
        try:
            self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            r = self.conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        return r.status, body, time.perf_counter() - t

    def close(self):
        self.conn.close()


def timed(client, path, samples, warmup=WARMUP):
    """Median and all samples (ms) of `samples` sequential GETs, after `warmup`."""
    times = []
    for i in range(warmup + samples):
        status, body, secs = client.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        if i >= warmup:
            times.append(secs * 1000)
    return statistics.median(times), times


def json_get(client, path):
    status, body, secs = client.get(path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body), secs


class CpuSampler:
    """CPU seconds used by a set of processes over a window: the server's pid
    and every process of the PostgreSQL server's OS user (its backends, also
    those that start and end within the window: sampled every 50 ms, each
    counted from 0 when first seen after the start)."""

    def __init__(self, server_pid, pg_user="postgres"):
        self.server_pid = server_pid
        self.pg_user = pg_user
        self.tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()

    def _cpu(self, pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick
        except (OSError, IndexError, ValueError):
            return None

    def _pg_pids(self):
        res = subprocess.run(["pgrep", "-u", self.pg_user], capture_output=True, text=True)
        return [int(p) for p in res.stdout.split()]

    def _loop(self):
        while not self._stop.wait(0.05):
            self._sample()

    def _sample(self):
        for pid in self._pg_pids():
            v = self._cpu(pid)
            if v is not None:
                self.pg.setdefault(pid, [self.pg_start.get(pid, 0.0), v])[1] = v
        v = self._cpu(self.server_pid)
        if v is not None:
            self.server_last = v

    def __enter__(self):
        self.pg_start = {pid: v for pid in self._pg_pids() if (v := self._cpu(pid)) is not None}
        self.pg = {}
        self.server_first = self.server_last = self._cpu(self.server_pid) or 0.0
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self._sample()

    def server_s(self):
        return self.server_last - self.server_first

    def pg_s(self):
        return sum(last - first for first, last in self.pg.values())


def seed_users(b, db_url, port):
    """One user per size and an admin through the API, EXTRA_USERS by SQL."""
    names = [f"growth{size}" for size in SIZES] + ["growthadmin"]
    for name in names:
        status, body = b.http_json(port, "POST", "/v1/auth/register", {
            "email": f"{name}@example.com", "username": name,
            "full_name": f"Growth {name}", "password": b.PASSWORD})
        if status != 201:
            raise RuntimeError(f"register of {name} answered {status}: {body}")
    b.psql(db_url, f"""
        UPDATE users SET is_admin = TRUE WHERE username = 'growthadmin';
        INSERT INTO users (email, email_key, username, username_key, full_name, hashed_password,
                           is_active, is_admin, created_at, updated_at)
        SELECT 'other' || g || '@example.com', 'other' || g || '@example.com',
               'other' || g, 'other' || g, 'Other User ' || g,
               (SELECT hashed_password FROM users WHERE username = 'growthadmin'),
               TRUE, FALSE, now(), now()
        FROM generate_series(1, {EXTRA_USERS}) AS g;
        ANALYZE users;
    """)
    users = {}
    for size in SIZES:
        uid = b.psql(db_url, f"SELECT id FROM users WHERE username = 'growth{size}'",
                     capture=True).strip()
        users[size] = (uid, b.login(port, f"growth{size}")[0])
    return users, b.login(port, "growthadmin")[0]


def grow(b, db_url, uid, size):
    """Gives the user `size` todos by one INSERT ... SELECT; seconds."""
    t = time.perf_counter()
    b.psql(db_url, f"""
        INSERT INTO todos (title, description, priority, is_completed, user_id, created_at, updated_at)
        SELECT 'growth todo ' || g,
               CASE WHEN g % 2 = 0 THEN 'seeded description ' || g END,
               (ARRAY['low', 'medium', 'high'])[1 + g % 3], g % 4 = 0, {uid},
               timestamptz '{BASE}' - g * interval '1 millisecond',
               timestamptz '{BASE}' - g * interval '1 millisecond'
        FROM generate_series(1, {size}) AS g""")
    insert_s = time.perf_counter() - t
    b.settle(db_url)
    settle_s = time.perf_counter() - t - insert_s
    counted = b.psql(db_url, f"SELECT total FROM todo_counts WHERE user_id = {uid}",
                     capture=True).strip()
    if int(counted) != size:
        raise RuntimeError(f"todo_counts says {counted} todos, expected {size}")
    return insert_s, settle_s


def paths(client, size):
    """The measured paths of one user, each checked once: {column: path}."""
    first, _ = json_get(client, "/v1/todos?page=1&page_size=20")
    if first["total"] != size or len(first["todos"]) != min(20, size):
        raise RuntimeError(f"page 1 at {size}: total {first['total']}, {len(first['todos'])} rows")
    deep_page = max(1, size // 40)
    deep_path = f"/v1/todos?page={deep_page}&page_size=20"
    deep, _ = json_get(client, deep_path)
    cursor = deep["next_cursor"]
    if not cursor:
        raise RuntimeError(f"page {deep_page} at {size} has no next_cursor")
    cursor_path = f"/v1/todos?cursor={urllib.parse.quote(cursor, safe='')}&page_size=20"
    nxt, _ = json_get(client, cursor_path)
    if len(nxt["todos"]) != 20 or nxt["todos"][0]["id"] == deep["todos"][0]["id"]:
        raise RuntimeError(f"the cursor page at {size} is not the page after {deep_page}")
    comp_path = "/v1/todos?page=1&page_size=20&completed=true"
    comp, _ = json_get(client, comp_path)
    if comp["total"] != size // 4 or not all(t["is_completed"] for t in comp["todos"]):
        raise RuntimeError(f"completed=true at {size}: total {comp['total']}")
    return {"page1": "/v1/todos?page=1&page_size=20", "cursor_deep": cursor_path,
            "completed": comp_path, "offset_deep": deep_path}, deep_page


def interleaved(clients, paths_by_size, key, samples):
    """Median ms per size of `samples` rounds; each round one request per
    size, the sizes in a rotating order, so a slow moment of the machine
    falls on every size alike."""
    sizes = list(clients)
    for size in sizes:
        for _ in range(WARMUP):
            status, body, _ = clients[size].get(paths_by_size[size][key])
            if status != 200:
                raise RuntimeError(f"GET {paths_by_size[size][key]} answered {status}: {body[:300]!r}")
    times = {size: [] for size in sizes}
    for i in range(samples):
        for size in sizes[i % len(sizes):] + sizes[:i % len(sizes)]:
            status, body, secs = clients[size].get(paths_by_size[size][key])
            if status != 200:
                raise RuntimeError(f"GET {paths_by_size[size][key]} answered {status}: {body[:300]!r}")
            times[size].append(secs * 1000)
    return {size: (statistics.median(t), t) for size, t in times.items()}


def plan_counts(b, db_url, uid, sid):
    """The plans PostgreSQL chose (generic, custom) in 10 executions of the
    service's list statement, prepared with LIMIT and OFFSET as parameters,
    and the planning and execution times (ms) of an 11th in the same, warm
    session."""
    with open(os.path.join(b.LUA_DIR, "floor_growth_service_list.sql")) as f:
        sql = "".join(l for l in f if not l.startswith("--")).strip().rstrip(";")
    for name, n in (("uid", 1), ("sid", 2), ("lim", 3), ("off", 4)):
        sql = sql.replace(f":{name}", f"${n}")
    script = (f"PREPARE q(bigint, bigint, bigint, bigint) AS {sql};\n"
              + f"EXECUTE q({uid}, {sid}, 21, 0) \\g /dev/null\n" * 10
              + "SELECT 'counts ' || generic_plans || ' ' || custom_plans "
              + "FROM pg_prepared_statements;\n"
              + f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE q({uid}, {sid}, 21, 0);\n")
    res = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", db_url],
                         input=script, capture_output=True, text=True, check=True)
    out = {}
    for line in res.stdout.splitlines():
        if line.startswith("counts "):
            _, generic, custom = line.split()
            out.update(generic=int(generic), custom=int(custom))
        elif line.startswith(("Planning Time:", "Execution Time:")):
            out[line.split()[0].lower() + "_ms"] = float(line.split()[2])
    return out


def throughput(b, db_url, port, server_pid, uid, token, size):
    """wrk of page 1 at CONNECTIONS for the one user, and the pgbench floor,
    each with the CPU it cost the server and PostgreSQL."""
    data = os.path.join(b.OUT_DIR, "growth_data.txt")
    with open(data, "w") as f:
        f.write(f"{uid} growth{size} {token} 0\n")
    os.chmod(data, 0o600)
    try:
        b.settle(db_url)
        b.log(f"growth: wrk of page 1 at {b.CONNECTIONS} connections, {b.DURATION} s, "
              f"{size} todos")
        with CpuSampler(server_pid) as cpu:
            p = b.wrk("todo_list.lua", port, b.CONNECTIONS, data)
            try:
                w = b.wrk_result(p)
            finally:
                if p.poll() is None:
                    p.kill()
        w["server_cpu_us_per_req"] = cpu.server_s() / w["requests"] * 1e6
        w["pg_cpu_us_per_req"] = cpu.pg_s() / w["requests"] * 1e6
        b.log(f"growth: pgbench floor_growth_list.sql -c {b.CONNECTIONS}")
        with CpuSampler(server_pid) as cpu:
            floor = b.pgbench("floor_growth_list.sql", db_url, {"uid": uid}, b.CONNECTIONS)
        w["floor_pg_cpu_us_per_tx"] = cpu.pg_s() / (floor * b.DURATION) * 1e6
        # The service's own statement, with its LIMIT and OFFSET bound as
        # parameters (sea-query binds every value): PostgreSQL plans a
        # prepared statement afresh for each execution while it prefers the
        # custom plans, and with LIMIT $n the generic plan is costed at 10 %
        # of the user's rows.
        sid = b.psql(db_url, f"SELECT max(id) FROM sessions WHERE user_id = {uid}",
                     capture=True).strip()
        b.log(f"growth: pgbench floor_growth_service_list.sql -c {b.CONNECTIONS}")
        w["service_statement_tps"] = b.pgbench("floor_growth_service_list.sql", db_url, {
            "uid": uid, "sid": sid, "lim": 21, "off": 0}, b.CONNECTIONS)
        w["service_statement_plans"] = plan_counts(b, db_url, uid, sid)
    finally:
        os.remove(data)
    w["floor_tps"] = floor
    w["ratio"] = w["req_per_s"] / floor
    w["todos"] = size
    w["connections"] = b.CONNECTIONS
    return w


def explain(b, db_url, uid):
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the measured requests run
    (the list's SQL as infra-sea builds it, with a session check that holds
    replaced by its plan-equivalent EXISTS on a real session), for the record."""
    sid = b.psql(db_url, f"SELECT id FROM sessions WHERE user_id = {uid} LIMIT 1",
                 capture=True).strip()
    holds = (f"EXISTS (SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id "
             f"WHERE sessions.id = {sid} AND sessions.user_id = {uid} AND users.is_active = TRUE "
             f"AND sessions.revoked_at IS NULL AND sessions.expires_at > now())")
    cols = ("todos.id, todos.title, todos.description, todos.priority, todos.is_completed, "
            "todos.user_id, todos.created_at, todos.updated_at")
    total = f"COALESCE((SELECT total FROM todo_counts WHERE user_id = {uid}), 0) AS total"
    order = "ORDER BY todos.created_at DESC, todos.id DESC"
    mid = b.psql(db_url, f"""SELECT created_at, id FROM todos WHERE user_id = {uid}
        {order.replace('todos.', '')} OFFSET (SELECT total / 2 FROM todo_counts WHERE user_id = {uid})
        LIMIT 1""", capture=True).strip().split("|")
    queries = {
        "page1": f"SELECT {cols}, {total} FROM todos WHERE user_id = {uid} AND {holds} "
                 f"{order} LIMIT 21",
        "cursor_deep": f"SELECT {cols}, {total} FROM todos WHERE user_id = {uid} AND "
                       f"(todos.created_at, todos.id) < ('{mid[0]}', {mid[1]}) AND {holds} "
                       f"{order} LIMIT 21",
        "completed": f"SELECT {cols}, {total} FROM todos WHERE user_id = {uid} AND "
                     f"is_completed = TRUE AND {holds} {order} LIMIT 21",
    }
    plans = {}
    for name, sql in queries.items():
        plans[name] = b.psql(db_url, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, capture=True)
    return plans


def run(b, server, base_env, growth_db, growth_url):
    """The growth section; `b` is the bench module. Returns (results, lines, targets)."""
    b.psql(b.admin_url(), f'CREATE DATABASE "{growth_db}"')
    b.log(f"growth: created database {growth_db}")
    server.stop()
    server.env = dict(base_env, DATABASE_URL=growth_url)
    server.wait_ready(server.start())
    port = int(server.env["PORT"])
    users, admin = seed_users(b, growth_url, port)

    rows = {size: {"todos": size, "user_id": int(users[size][0])} for size in SIZES}
    # Step by step: the user of each size gets its todos, and the admin list
    # is timed with the todos table at that size (on a new connection each
    # time: the server closes one left idle through a long insert).
    table = 0
    for size in SIZES:
        insert_s, settle_s = grow(b, growth_url, users[size][0], size)
        table += size
        b.log(f"growth: {size} todos inserted in {insert_s:.1f} s (VACUUM ANALYZE + "
              f"CHECKPOINT {settle_s:.1f} s); todos table {table} rows")
        r = rows[size]
        r.update(insert_s=insert_s, settle_s=settle_s, table_rows_at_admin_list=table)
        adm = Client(port, admin)
        try:
            r["admin_list"], r["admin_list_samples"] = timed(
                adm, "/v1/users?page=1&page_size=20", SAMPLES)
        finally:
            adm.close()

    # Then the user lists on the full table, interleaved across the sizes.
    clients = {size: Client(port, users[size][1]) for size in SIZES}
    try:
        paths_by_size = {}
        for size in SIZES:
            paths_by_size[size], rows[size]["offset_deep_page"] = paths(clients[size], size)
            rows[size]["cursor_after_row"] = rows[size]["offset_deep_page"] * 20
        for key, _ in COLUMNS:
            if key == "admin_list":
                continue
            n = OFFSET_SAMPLES if key == "offset_deep" else SAMPLES
            for size, (median, samples) in interleaved(clients, paths_by_size, key, n).items():
                rows[size][key], rows[size][key + "_samples"] = median, samples
    finally:
        for c in clients.values():
            c.close()
    rows = [rows[size] for size in SIZES]
    for r in rows:
        b.log(f"growth: {r['todos']}: " + ", ".join(f"{label} {r[key]:.2f} ms"
                                                   for key, label in COLUMNS))

    wrk_row = None
    tp_size = max([s for s in SIZES if s <= THROUGHPUT_SIZE], default=None)
    if tp_size:
        wrk_row = throughput(b, growth_url, port, server.proc.pid, users[tp_size][0],
                             users[tp_size][1], tp_size)
        b.log(f"growth: {wrk_row['req_per_s']:.0f} req/s against a floor of "
              f"{wrk_row['floor_tps']:.0f} tx/s ({wrk_row['ratio']:.2f} x)")
    plans = explain(b, growth_url, users[SIZES[-1]][0])

    base = rows[0]
    head = f"{'todos':>9} " + " ".join(f"{label + ' ms (x)':>22}" for _, label in COLUMNS)
    lines = ["", f"growth: one user per size, all in one todos table of {table:,} rows; "
             f"median of {SAMPLES} sequential requests in ms, the sizes interleaved "
             f"(x = ratio to the {base['todos']:,} row; page= deep: page size/40, median of "
             f"{OFFSET_SAMPLES}; admin list: timed as the table grew, at "
             + " / ".join(f"{r['table_rows_at_admin_list']:,}" for r in rows) + " rows)",
             head, "-" * len(head)]
    for r in rows:
        cells = [f"{r[k]:.2f} ({r[k] / base[k]:.2f})" for k, _ in COLUMNS]
        lines.append(f"{r['todos']:>9,} " + " ".join(f"{c:>22}" for c in cells))
    lines.append("inserted by SQL: " + ", ".join(
        f"{r['todos']:,} in {r['insert_s']:.1f} s (+{r['settle_s']:.1f} s VACUUM ANALYZE, CHECKPOINT)"
        for r in rows))
    if wrk_row:
        lines.append(
            f"GET /v1/todos page 1 at {wrk_row['connections']} connections, {wrk_row['todos']:,} "
            f"todos: {wrk_row['req_per_s']:.0f} req/s (p50 {wrk_row['p50_ms']:.2f} ms, p99 "
            f"{wrk_row['p99_ms']:.2f} ms, {wrk_row['errors']} errors); pgbench floor of the "
            f"indexed LIMIT 20: {wrk_row['floor_tps']:.0f} tx/s; ratio {wrk_row['ratio']:.2f}")
        lines.append(
            f"CPU per request: server {wrk_row['server_cpu_us_per_req']:.0f} us, PostgreSQL "
            f"{wrk_row['pg_cpu_us_per_req']:.0f} us; per floor transaction: PostgreSQL "
            f"{wrk_row['floor_pg_cpu_us_per_tx']:.0f} us")
        plans_n = wrk_row["service_statement_plans"]
        lines.append(
            f"pgbench of the service's own list statement (LIMIT, OFFSET bound): "
            f"{wrk_row['service_statement_tps']:.0f} tx/s; in 10 executions PostgreSQL planned "
            f"{plans_n['custom']} custom and {plans_n['generic']} generic plans; an 11th "
            f"execution: planning {plans_n.get('planning_ms', float('nan')):.3f} ms, execution "
            f"{plans_n.get('execution_ms', float('nan')):.3f} ms")

    targets = []
    last = rows[-1]
    if len(rows) > 1:
        for key, label in (("page1", "page 1"), ("cursor_deep", "cursor deep")):
            targets.append((f"growth: {label} at {last['todos']:,} <= 2 x {base['todos']:,} "
                            f"({last[key]:.2f} vs {base[key]:.2f} ms, {last[key] / base[key]:.2f} x)",
                            last[key] <= 2 * base[key]))
    if wrk_row:
        targets.append((f"growth: page 1 req/s at {wrk_row['todos']:,} >= 0.4 x floor "
                        f"({wrk_row['ratio']:.2f} x), 0 errors",
                        wrk_row["ratio"] >= 0.4 and wrk_row["errors"] == 0))
    if not all(ok for _, ok in targets):
        lines.append(f"a growth target is missed: the plans for the {last['todos']:,} user "
                     f"(EXPLAIN ANALYZE of the service's statements, as built by infra-sea)")
        for name, plan in plans.items():
            lines.append(f"-- {name}")
            lines.extend("   " + l for l in plan.rstrip().splitlines())
    results = {"sizes": rows, "throughput": wrk_row, "plans": plans,
               "samples": SAMPLES, "offset_samples": OFFSET_SAMPLES}
    return results, lines, targets
