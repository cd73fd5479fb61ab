#!/usr/bin/env python3
"""Soak test of the `api` binary with a database restart in the middle (issue 6).

Builds the release binary, creates a throw-away PostgreSQL cluster of its own
(initdb in a temporary directory, a free port on 127.0.0.1; the machine's
shared PostgreSQL is never touched), starts the server on it with production
settings and drives it for SOAK_DURATION seconds with SOAK_CLIENTS
closed-loop keep-alive clients, each with its own user:

  60 % reads    GET /v1/todos/{id} (one of its own), GET /v1/todos?page=1&
                page_size=20, GET /v1/auth/me (a third each)
  30 % creates  POST /v1/todos; every 201 is an *acknowledged* todo
  10 % updates  PATCH /v1/todos/{id} (a new title) on one of its own
  and POST /v1/auth/refresh every SOAK_REFRESH seconds per client.

Half-way through, the database is stopped (`pg_ctl stop -m fast`), kept down
for SOAK_OUTAGE seconds and started again. The outage window runs from the
moment the stop is issued until the first 200 of GET /v1/health after the
start, plus GRACE_S seconds; a request is inside it if its lifetime overlaps
it. After the load stops, the checks:

  1. no 5xx and no connection error (or timeout) outside the outage window;
  2. no 4xx at all (every request the soak sends is valid and authorised);
  3. every acknowledged todo is present, owned by its client, with its latest
     acknowledged title (or the title of an update whose answer was lost);
  4. the service recovered: GET /v1/health answered 200 after the restart;
  5. RSS flat: the server's mean VmRSS over the first RSS window (after a
     warm-up) and over the last one differ by at most 10 %.

Prints a timeline and a summary, writes target/soak/results.json (plus
server.log and postgres.log there) and exits 1 if a check fails. The server,
the cluster and the temporary directory are removed at the end, also on
failure, Ctrl-C, SIGTERM or SIGHUP; a run killed with SIGKILL leaves them
behind, and the next run reaps them (the server also gets SIGTERM when this
script dies).

Environment:
  SOAK_DURATION   seconds of load (default 600)
  SOAK_CLIENTS    concurrent clients, one connection and one user each (default 16)
  SOAK_OUTAGE     seconds the database stays down (default 10)
  SOAK_REFRESH    seconds between a client's token refreshes (default
                  min(120, SOAK_DURATION / 4))
  SOAK_DB_POOL_SIZE  the server's DB_POOL_SIZE (default 8)
  SOAK_PORT       the server's port on 127.0.0.1 (default: a free one)
  SOAK_NO_BUILD   set: skip `cargo build`, run target/release/api as it is
  PG_BIN_DIR      directory of initdb/pg_ctl (default: `pg_config --bindir`,
                  else /usr/lib/postgresql/15/bin)

Runs as root too (as in CI): initdb and postgres then run as the `postgres`
user through runuser. Python 3 standard library only. Talks to 127.0.0.1 only.

scripts/soak_growth.py imports this module for its cluster, server, reaping
and RSS helpers: nothing runs at import but reading the environment.
"""

import ctypes
import glob
import http.client
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import apiproc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = os.path.join(ROOT, "target", "release", "api")
OUT_DIR = os.path.join(ROOT, "target", "soak")
TMP_PREFIX = "soak-"

DURATION = int(os.environ.get("SOAK_DURATION", "600"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "16"))
OUTAGE = float(os.environ.get("SOAK_OUTAGE", "10"))
REFRESH_EVERY = float(os.environ.get("SOAK_REFRESH") or min(120, DURATION / 4))
POOL_SIZE = int(os.environ.get("SOAK_DB_POOL_SIZE", "8"))
CORES = os.cpu_count() or 1
# Requests that start within GRACE_S of the first healthy answer still count
# as inside the outage: the pool may hand out its last broken connection.
GRACE_S = 2.0
# RSS: the first window starts after the warm-up (pools filling, allocator
# arenas growing, clients registering); the last one ends with the load.
RSS_WARMUP_S = min(30, DURATION // 10)
RSS_WINDOW_S = min(60, (DURATION - RSS_WARMUP_S) // 4)
RSS_TOLERANCE = 0.10
REQUEST_TIMEOUT_S = 30
PASSWORD = "soak-password-" + secrets.token_hex(8)
THROTTLE_OFF_LIMIT = "1000000"
# Latency histogram: bucket i holds latencies in [1.05^i, 1.05^(i+1)) microseconds.
LAT_BASE = 1.05


def log(msg):
    print(f"[soak] {msg}", file=sys.stderr, flush=True)




def pg_bin_dir():
    if os.environ.get("PG_BIN_DIR"):
        return os.environ["PG_BIN_DIR"]
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           check=True).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    return "/usr/lib/postgresql/15/bin"


def set_pdeathsig():
    """In the server's child process (started before any thread): SIGTERM it
    when this script dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Cluster:
    """A throw-away PostgreSQL cluster in `tmp/pg`, owned by `postgres` when
    this script runs as root."""

    def __init__(self, tmp, bindir=None):
        self.bindir = bindir or pg_bin_dir()
        self.data = os.path.join(tmp, "pg", "data")
        self.sock = os.path.join(tmp, "pg", "sock")
        self.log_path = os.path.join(tmp, "pg", "postgres.log")
        self.port = None
        self.as_root = os.geteuid() == 0

    def _cmd(self, tool, *args):
        cmd = [os.path.join(self.bindir, tool), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def _run(self, tool, *args, check=True, timeout=120):
        # cwd: a directory the postgres user can enter.
        return subprocess.run(self._cmd(tool, *args), cwd=os.path.dirname(self.data),
                              capture_output=True, text=True, check=check, timeout=timeout)

    def init(self):
        top = os.path.dirname(self.data)
        os.makedirs(self.sock)
        if self.as_root:
            shutil.chown(top, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        os.chmod(top, 0o700)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        self.port = apiproc.free_port()
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"\n# soak.py\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.sock}'\n")

    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        self._run("pg_ctl", "-D", self.data, "-l", self.log_path, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", mode, "stop")

    def destroy(self):
        """Stops the cluster however it is; never raises."""
        if not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return
        try:
            self._run("pg_ctl", "-D", self.data, "-w", "-t", "30", "-m", "immediate", "stop",
                      check=False, timeout=60)
        except (OSError, subprocess.SubprocessError) as e:
            log(f"could not stop the cluster: {e}")


def reap_stale_runs():
    """Removes what a soak killed with SIGKILL left behind: its cluster, its
    server and its temporary directory (found by the owner's dead pid)."""
    for tmp in glob.glob(os.path.join(tempfile.gettempdir(), TMP_PREFIX + "*")):
        try:
            with open(os.path.join(tmp, "owner.pid")) as f:
                owner = int(f.read())
        except (OSError, ValueError):
            continue
        if pid_alive(owner):
            continue
        log(f"reaping the leftovers of a killed soak (pid {owner}) in {tmp}")
        try:
            with open(os.path.join(tmp, "server.pid")) as f:
                spid = int(f.read())
            if "release/api" in cmdline(spid):
                os.kill(spid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        Cluster(tmp).destroy()
        shutil.rmtree(tmp, ignore_errors=True)


class Server:
    """The `api` process."""

    def __init__(self, env, log_path, pid_file, binary=None):
        self.binary = binary or API  # another script may run another build
        self.env = env
        self.port = int(env["PORT"])
        self.log_path = log_path
        self.pid_file = pid_file
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=logf,
                                         stderr=logf, start_new_session=True,
                                         preexec_fn=set_pdeathsig)
        with open(self.pid_file, "w") as f:
            f.write(str(self.proc.pid))

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log_path}")
            if get_status(self.port, "/v1/health/ready") == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the server was not ready within {timeout} s; see {self.log_path}")

    def rss_kib(self):
        return apiproc.rss_kib(self.proc.pid)

    def stop(self):
        apiproc.stop(self.proc)


def get_status(port, path, timeout=5):
    """Status of one GET on a fresh connection, or None if there was no answer."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except (OSError, http.client.HTTPException):
        return None


class Outage:
    """The outage window, shared by the controller and the clients. Times are
    seconds since the load started (time.monotonic() - T0)."""

    def __init__(self):
        self.stop_issued = None      # pg_ctl stop called
        self.db_down = None          # pg_ctl stop returned
        self.start_issued = None     # pg_ctl start called
        self.db_up = None            # pg_ctl start returned (accepting connections)
        self.healthy = None          # first 200 of GET /v1/health after that
        # GET /v1/health, polled while the database is down and then until
        # the first 200: phase ("down", "back") -> [statuses, slowest seconds]
        self.health = {"down": [Counter(), 0.0], "back": [Counter(), 0.0]}

    def poll_health(self, port, phase, still=lambda: True):
        """One GET /v1/health, recorded under `phase` if `still()` holds
        when the answer comes (a poll that straddles the start is dropped)."""
        t = time.monotonic()
        status = get_status(port, "/v1/health", timeout=10)
        if still():
            h = self.health[phase]
            h[0][status or "no_answer"] += 1
            h[1] = max(h[1], time.monotonic() - t)
        return status

    def window_end(self):
        return None if self.healthy is None else self.healthy + GRACE_S

    def inside(self, start, end):
        """Whether a request that lived over [start, end] overlaps the window
        (as far as is known at `end`; conservative: unknown end = inside)."""
        if self.stop_issued is None or end < self.stop_issued:
            return False
        w = self.window_end()
        return w is None or start <= w


class Stats:
    """One client's counters; merged after the run. Memory stays bounded:
    counts per second and per timeline row, never a list of every request."""

    MAX_EVENTS = 1000

    def __init__(self, row_s):
        self.row_s = row_s
        self.by_where = {"outside": Counter(), "inside": Counter()}  # status -> n
        self.lat = {"outside": Counter(), "inside": Counter()}       # bucket -> n
        self.max_s = {"outside": 0.0, "inside": 0.0}
        self.routes = Counter()                                      # (route, status) -> n
        self.rows = {}        # timeline row -> Counter of status class
        self.row_lat = {}     # timeline row -> latency histogram
        self.events = []      # (start, end, route, status, detail): failures outside the window, 4xx
        self.events_dropped = 0
        self.first_error_in_outage = None
        self.last_error_in_outage = None
        self.first_ok_after_restart = None
        self.failure_lat = {}  # status -> [n, sum, min, max] seconds, of non-2xx answers and errors
        self.error_ids = set()  # X-Request-ID of every 5xx received (bounded)

    def record(self, outage, route, start, end, status, detail="", request_id=None):
        if request_id and isinstance(status, int) and status >= 500 \
                and len(self.error_ids) < 10 * self.MAX_EVENTS:
            self.error_ids.add(request_id)
        where = "inside" if outage.inside(start, end) else "outside"
        lat = end - start
        cls = status_class(status)
        self.by_where[where][status] += 1
        b = int(math.log(max(lat * 1e6, 1.0), LAT_BASE))
        self.lat[where][b] += 1
        self.max_s[where] = max(self.max_s[where], lat)
        self.routes[(route, status)] += 1
        row = int(end // self.row_s)
        self.rows.setdefault(row, Counter())[cls] += 1
        self.row_lat.setdefault(row, Counter())[b] += 1
        ok = cls == "2xx"
        if not ok:
            f = self.failure_lat.setdefault(status, [0, 0.0, lat, lat])
            f[0] += 1
            f[1] += lat
            f[2] = min(f[2], lat)
            f[3] = max(f[3], lat)
        if where == "inside" and not ok:
            if self.first_error_in_outage is None:
                self.first_error_in_outage = end
            self.last_error_in_outage = end
        if ok and outage.start_issued is not None and start >= outage.start_issued \
                and self.first_ok_after_restart is None:
            self.first_ok_after_restart = end
        if not ok and (where == "outside" or cls == "4xx"):
            if len(self.events) < self.MAX_EVENTS:
                self.events.append((round(start, 3), round(end, 3), route, status, detail))
            else:
                self.events_dropped += 1


def status_class(status):
    if isinstance(status, int):
        return f"{status // 100}xx"
    return status  # "conn_error", "timeout"


def percentile(hist, q):
    n = sum(hist.values())
    if not n:
        return None
    rank = q * n
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return LAT_BASE ** (b + 1) / 1000  # upper edge of the bucket, ms
    return None


class Todo:
    __slots__ = ("title", "pending")

    def __init__(self, title):
        self.title = title     # latest acknowledged title
        self.pending = set()   # titles of updates whose answer was lost (5xx, no answer)


class Client(threading.Thread):
    """One user, one keep-alive connection, a closed loop of mixed requests."""

    def __init__(self, n, port, run_id, outage, stop, t0, row_s):
        super().__init__(daemon=True, name=f"client-{n}")
        self.n = n
        self.port = port
        self.username = f"soak_{run_id}_{n}"
        self.outage = outage
        self.stop_event = stop
        self.t0 = t0
        self.stats = Stats(row_s)
        self.todos = {}        # id -> Todo: every acknowledged todo
        self.ids = []          # the same ids, for random.choice
        self.access = None
        self.refresh_token = None
        self.next_refresh = None
        self.conn = None
        self.seq = 0
        self.rng = random.Random(n)
        self.crashed = None

    def now(self):
        return time.monotonic() - self.t0

    def request(self, method, path, route, body=None, auth=True):
        """One request; returns (status or None, parsed body or None)."""
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.access}"
        start = self.now()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=REQUEST_TIMEOUT_S)
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                              headers=headers)
            r = self.conn.getresponse()
            data = r.read()
            status = r.status
            request_id = r.getheader("X-Request-ID")
        except socket.timeout:
            self.stats.record(self.outage, route, start, self.now(), "timeout", "no answer")
            self._drop_conn()
            return None, None
        except (OSError, http.client.HTTPException) as e:
            self.stats.record(self.outage, route, start, self.now(), "conn_error",
                              f"{type(e).__name__}: {e}")
            self._drop_conn()
            return None, None
        end = self.now()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        detail = ""
        if status >= 400 and isinstance(parsed, dict):
            detail = str(parsed.get("error", {}).get("message", ""))[:120]
        self.stats.record(self.outage, route, start, end, status, detail, request_id)
        return status, parsed

    def _drop_conn(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def pause_after_failure(self):
        # Like a client honouring Retry-After, but short: the soak wants to
        # see the recovery promptly, not to flood the log with 503s.
        self.stop_event.wait(0.1)

    def login(self):
        """Logs in until it works (or the run ends)."""
        while not self.stop_event.is_set():
            status, body = self.request("POST", "/v1/auth/login", "/v1/auth/login",
                                        {"username": self.username, "password": PASSWORD},
                                        auth=False)
            if status == 200:
                self.access, self.refresh_token = body["access_token"], body["refresh_token"]
                self.next_refresh = self.now() + REFRESH_EVERY * (0.5 + self.rng.random())
                return True
            self.pause_after_failure()
        return False

    def register(self):
        while not self.stop_event.is_set():
            status, _ = self.request("POST", "/v1/auth/register", "/v1/auth/register", {
                "email": f"{self.username}@example.com", "username": self.username,
                "full_name": f"Soak client {self.n}", "password": PASSWORD}, auth=False)
            if status in (201, 409):  # 409: an earlier attempt was applied, its answer lost
                return True
            self.pause_after_failure()
        return False

    def refresh(self):
        status, body = self.request("POST", "/v1/auth/refresh", "/v1/auth/refresh",
                                    {"refresh_token": self.refresh_token}, auth=False)
        if status == 200:
            self.access, self.refresh_token = body["access_token"], body["refresh_token"]
            self.next_refresh = self.now() + REFRESH_EVERY
        elif status == 401:
            self.login()
        else:  # 503 or no answer: keep the pair, try again soon
            self.next_refresh = self.now() + 5

    def step(self):
        r = self.rng.random()
        if not self.ids or 0.60 <= r < 0.90:
            self.seq += 1
            title = f"soak {self.n}-{self.seq}"
            status, body = self.request("POST", "/v1/todos", "/v1/todos [POST]",
                                        {"title": title, "priority": "low"})
            if status == 201:
                self.todos[body["id"]] = Todo(title)
                self.ids.append(body["id"])
        elif r < 0.20:
            status, _ = self.request("GET", f"/v1/todos/{self.rng.choice(self.ids)}",
                                     "/v1/todos/{id} [GET]")
        elif r < 0.40:
            status, _ = self.request("GET", "/v1/todos?page=1&page_size=20", "/v1/todos [GET]")
        elif r < 0.60:
            status, _ = self.request("GET", "/v1/auth/me", "/v1/auth/me")
        else:
            tid = self.rng.choice(self.ids)
            self.seq += 1
            title = f"soak {self.n}-{self.seq} (updated)"
            status, body = self.request("PATCH", f"/v1/todos/{tid}", "/v1/todos/{id} [PATCH]",
                                        {"title": title, "is_completed": self.seq % 2 == 0})
            todo = self.todos[tid]
            if status == 200:
                todo.title = title
                todo.pending.clear()
            elif status is None or status >= 500:
                todo.pending.add(title)  # may or may not have been applied
        return status

    def run(self):
        try:
            if not (self.register() and self.login()):
                return
            while not self.stop_event.is_set():
                if self.now() >= self.next_refresh:
                    self.refresh()
                    continue
                status = self.step()
                if status == 401:
                    self.login()
                elif status is None or status >= 500:
                    self.pause_after_failure()
        except Exception as e:  # a bug in this script, not in the server
            self.crashed = f"{type(e).__name__}: {e}"
            self.stop_event.set()
        finally:
            self._drop_conn()

    def verify(self):
        """Pages through the user's todos on fresh connections; returns
        (checked, missing ids, wrong (id, acknowledged, stored), ambiguous,
        extra): ambiguous = the stored title is that of an update whose answer
        was lost; extra = stored but never acknowledged (a create whose answer
        was lost)."""
        stored = {}
        page, total, relogins = 1, None, 0
        while total is None or (page - 1) * 100 < total:
            status, body = plain_request(self.port, "GET", f"/v1/todos?page={page}&page_size=100",
                                         token=self.access)
            if status == 401 and relogins < 3:  # not expected; log in afresh and carry on
                relogins += 1
                status, body = plain_request(self.port, "POST", "/v1/auth/login",
                                             {"username": self.username, "password": PASSWORD})
                if status != 200:
                    raise RuntimeError(f"verification: login answered {status}")
                self.access = body["access_token"]
                continue
            if status != 200:
                raise RuntimeError(f"verification: listing todos answered {status}: {body}")
            total = body["total"]
            for t in body["todos"]:
                stored[t["id"]] = t["title"]
            page += 1
        missing, wrong, ambiguous = [], [], 0
        for tid, todo in self.todos.items():
            title = stored.get(tid)
            if title is None:
                missing.append(tid)
            elif title in todo.pending and title != todo.title:
                ambiguous += 1
            elif title != todo.title:
                wrong.append((tid, todo.title, title))
        extra = len(set(stored) - set(self.todos))
        return len(self.todos), missing, wrong, ambiguous, extra


def plain_request(port, method, path, body=None, token=None):
    """One request on a fresh connection: (status, parsed body)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers=headers)
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    return r.status, (json.loads(data) if data else None)


class RssSampler(threading.Thread):
    def __init__(self, server, t0, stop):
        super().__init__(daemon=True, name="rss")
        self.server, self.t0, self.stop_event = server, t0, stop
        self.samples = []  # (seconds since T0, KiB), one a second

    def run(self):
        while not self.stop_event.wait(1.0):
            v = self.server.rss_kib()
            if v is not None:
                self.samples.append((time.monotonic() - self.t0, v))

    def mean_mib(self, lo, hi):
        vals = [v for t, v in self.samples if lo <= t < hi]
        return sum(vals) / len(vals) / 1024 if vals else None


def run_outage(cluster, port, outage, t0, stop):
    """Stops the database, keeps it down OUTAGE seconds, starts it and waits
    for the first healthy answer. Runs on the main thread."""
    now = lambda: time.monotonic() - t0  # noqa: E731
    log(f"t={now():.1f}s: stopping the database (pg_ctl stop -m fast)")
    outage.stop_issued = now()
    cluster.stop("fast")
    outage.db_down = now()
    # Health while down, on a side thread: each poll may take HEALTH_TIMEOUT_MS,
    # and the start must not wait for one.
    back = threading.Event()

    def poll_while_down():
        while not back.is_set():
            outage.poll_health(port, "down", still=lambda: not back.is_set())
            back.wait(0.25)

    poller = threading.Thread(target=poll_while_down, daemon=True, name="health-down")
    poller.start()
    stop.wait(OUTAGE)
    back.set()
    log(f"t={now():.1f}s: starting the database")
    outage.start_issued = now()
    cluster.start()
    outage.db_up = now()
    while not stop.is_set():
        if outage.poll_health(port, "back") == 200:
            outage.healthy = now()
            log(f"t={now():.1f}s: healthy again, {outage.healthy - outage.db_up:.2f} s after "
                f"the database came back")
            break
        time.sleep(0.05)
    poller.join()


def server_log_summary(path):
    """Counts the server's warn and error lines (JSON, LOG_LEVEL=warn) by
    level, message and status or the error's context (what was being done)."""
    counts = Counter()
    for rec, line in apiproc.json_log_records(path):
        if rec is None:
            counts[("raw", line.strip()[:100])] += 1
            continue
        level = rec.get("level", "?")
        if level not in ("WARN", "ERROR"):
            continue
        what = rec.get("message", "?")
        if "status" in rec:
            what += f" (status {rec['status']})"
        elif rec.get("error"):
            what += f" ({rec['error'].split(':')[0][:60]})"
        counts[(level, what)] += 1
    return counts


def unseen_server_errors(path, client_ids):
    """The API 5xx answers in the server's log whose request id no soak
    client received, counted by path shape (ids replaced by {id})."""
    unseen = Counter()
    for rec, _ in apiproc.json_log_records(path):
        if rec is None or not isinstance(rec.get("status"), int) or rec["status"] < 500:
            continue
        path_ = rec.get("path", "?")
        if path_.startswith("/v1/health") or rec.get("request_id") in client_ids:
            continue
        shape = "/".join("{id}" if part.isdigit() else part for part in path_.split("/"))
        unseen[f"{rec.get('method', '?')} {shape} {rec['status']}"] += 1
    return unseen


def merge(clients):
    total = {"outside": Counter(), "inside": Counter()}
    lat = {"outside": Counter(), "inside": Counter()}
    maxs = {"outside": 0.0, "inside": 0.0}
    routes, rows, row_lat, failure_lat = Counter(), {}, {}, {}
    events, dropped = [], 0
    firsts, lasts, oks = [], [], []
    error_ids = set()
    for c in clients:
        s = c.stats
        error_ids |= s.error_ids
        for w in total:
            total[w].update(s.by_where[w])
            lat[w].update(s.lat[w])
            maxs[w] = max(maxs[w], s.max_s[w])
        routes.update(s.routes)
        for r, cnt in s.rows.items():
            rows.setdefault(r, Counter()).update(cnt)
        for r, cnt in s.row_lat.items():
            row_lat.setdefault(r, Counter()).update(cnt)
        events += s.events
        dropped += s.events_dropped
        for status, (n, total_s, lo, hi) in s.failure_lat.items():
            f = failure_lat.setdefault(status, [0, 0.0, lo, hi])
            f[0] += n
            f[1] += total_s
            f[2] = min(f[2], lo)
            f[3] = max(f[3], hi)
        firsts += [s.first_error_in_outage] if s.first_error_in_outage is not None else []
        lasts += [s.last_error_in_outage] if s.last_error_in_outage is not None else []
        oks += [s.first_ok_after_restart] if s.first_ok_after_restart is not None else []
    return {"total": total, "lat": lat, "max": maxs, "routes": routes, "rows": rows,
            "row_lat": row_lat, "events": sorted(events), "events_dropped": dropped,
            "failure_lat": failure_lat, "error_ids": error_ids,
            "first_error_in_outage": min(firsts) if firsts else None,
            "last_error_in_outage": max(lasts) if lasts else None,
            "first_ok_after_restart": max(oks) if oks else None}


def fmt(v, spec, none="—"):
    return none if v is None else format(v, spec)


def by_class(counter):
    out = Counter()
    for status, n in counter.items():
        out[status_class(status)] += n
    return out


def report(m, outage, rss, verification, elapsed, server_log):
    """The timeline and the summary: returns (lines to print, checks as
    (label, ok), the summary for results.json)."""
    lines = []
    lines.append(f"{'t (s)':>9} {'req':>7} {'req/s':>7} {'2xx':>7} {'4xx':>5} {'5xx':>6} "
                 f"{'conn':>5} {'p50 ms':>7} {'p99 ms':>7} {'RSS MiB':>8}")
    for row in sorted(m["rows"]):
        cnt = m["rows"][row]
        lo, hi = row * ROW_S, (row + 1) * ROW_S
        n = sum(cnt.values())
        conn = cnt["conn_error"] + cnt["timeout"]
        mark = ""
        if outage.stop_issued is not None and lo < (outage.window_end() or elapsed) \
                and hi > outage.stop_issued:
            mark = "  <- outage"
        lines.append(
            f"{lo:>4}-{min(hi, int(math.ceil(elapsed))):<4} {n:>7} {n / ROW_S:>7.0f} {cnt['2xx']:>7} "
            f"{cnt['4xx']:>5} {cnt['5xx']:>6} {conn:>5} "
            f"{fmt(percentile(m['row_lat'][row], 0.5), '7.2f'):>7} "
            f"{fmt(percentile(m['row_lat'][row], 0.99), '7.2f'):>7} "
            f"{fmt(rss.mean_mib(lo, hi), '8.1f'):>8}{mark}")
    lines.append("")

    out_cls = by_class(m["total"]["outside"])
    in_cls = by_class(m["total"]["inside"])
    n_all = sum(out_cls.values()) + sum(in_cls.values())
    lines.append(f"requests: {n_all} in {elapsed:.0f} s = {n_all / elapsed:.0f}/s, "
                 f"{CLIENTS} clients")
    for where, cls in (("outside", out_cls), ("inside", in_cls)):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(m["total"][where].items(),
                                                            key=lambda kv: str(kv[0])))
        lat = m["lat"][where]
        lines.append(f"  {where + ' the outage':<19} {sum(cls.values()):>8}  "
                     f"p50 {fmt(percentile(lat, 0.5), '.2f')} ms, "
                     f"p99 {fmt(percentile(lat, 0.99), '.2f')} ms, "
                     f"max {m['max'][where] * 1000:.0f} ms;  {statuses}")
    lines.append("")

    o = outage
    if o.stop_issued is not None:
        def at(v):
            return fmt(v, ".2f", "never")
        lines.append(f"outage: stop issued t={at(o.stop_issued)} s, database down t={at(o.db_down)}, "
                     f"start issued t={at(o.start_issued)}, database up t={at(o.db_up)}, "
                     f"/v1/health 200 t={at(o.healthy)}; window until t={at(o.window_end())} "
                     f"(+{GRACE_S:.0f} s grace)")
        if o.healthy is not None:
            lines.append(f"  database down for {o.db_up - o.stop_issued:.2f} s; service healthy "
                         f"{o.healthy - o.db_up:.2f} s after the database came back "
                         f"({o.healthy - o.stop_issued:.2f} s after the stop)")
        first_ok = m["first_ok_after_restart"]
        lines.append(f"  client errors in the window: first t={at(m['first_error_in_outage'])}, "
                     f"last t={at(m['last_error_in_outage'])}; every client's first 2xx after the "
                     f"restart by t={at(first_ok)}")
        for phase, label in (("down", "while the database was down"),
                             ("back", "after the start, until the first 200")):
            polls = ", ".join(f"{k}: {v}" for k, v in o.health[phase][0].items())
            lines.append(f"  GET /v1/health {label}: {polls or 'none'}; slowest "
                         f"{o.health[phase][1] * 1000:.0f} ms")
    lines.append("")

    first = rss.mean_mib(RSS_WARMUP_S, RSS_WARMUP_S + RSS_WINDOW_S)
    last = rss.mean_mib(elapsed - RSS_WINDOW_S, elapsed + 1)
    peak = max((v for _, v in rss.samples), default=0) / 1024
    change = (last - first) / first if first and last else None
    lines.append(f"RSS: first window ({RSS_WARMUP_S}-{RSS_WARMUP_S + RSS_WINDOW_S} s) "
                 f"{fmt(first, '.1f')} MiB, last window ({elapsed - RSS_WINDOW_S:.0f}-{elapsed:.0f} s) "
                 f"{fmt(last, '.1f')} MiB, change {fmt(change and change * 100, '+.1f')} %, "
                 f"peak {peak:.1f} MiB")

    checked, missing, wrong, ambiguous, extra = verification
    lines.append(f"acknowledged todos: {checked} checked, {len(missing)} missing, {len(wrong)} with "
                 f"a wrong title, {ambiguous} holding a lost update's title, {extra} stored but "
                 f"never acknowledged")
    if m["failure_lat"]:
        lines.append("latency of the failures (anywhere):")
        for status, (n, total, lo, hi) in sorted(m["failure_lat"].items(), key=lambda kv: str(kv[0])):
            lines.append(f"  {status}: {n}, min {lo * 1000:.0f} ms, mean {total / n * 1000:.0f} ms, "
                         f"max {hi * 1000:.0f} ms")
    if server_log:
        lines.append("server log, warn and error lines:")
        for (level, msg), n in server_log.most_common(12):
            lines.append(f"  {n:>7} {level} {msg}")
    unseen = unseen_server_errors(os.path.join(OUT_DIR, "server.log"), m["error_ids"])
    lines.append(f"API 5xx in the server log that no client received: {sum(unseen.values())}"
                 + (f" ({', '.join(f'{k}: {n}' for k, n in unseen.most_common())})" if unseen else ""))
    if m["events"]:
        lines.append(f"failures outside the window or 4xx (first 10 of {len(m['events'])}"
                     f"{', more dropped' if m['events_dropped'] else ''}):")
        for e in m["events"][:10]:
            lines.append(f"  t={e[0]:.3f}-{e[1]:.3f} {e[2]} {e[3]} {e[4]}")
    lines.append("")

    bad_out = out_cls["5xx"] + out_cls["conn_error"] + out_cls["timeout"]
    n_4xx = out_cls["4xx"] + in_cls["4xx"]
    checks = [
        (f"no 5xx or connection error outside the outage window ({bad_out})", bad_out == 0),
        (f"no 4xx ({n_4xx})", n_4xx == 0),
        (f"every acknowledged todo present with its title ({checked} checked, "
         f"{len(missing)} missing, {len(wrong)} wrong)", checked > 0 and not missing and not wrong),
        ("the service recovered after the restart", o.healthy is not None),
        (f"RSS flat: last window within {RSS_TOLERANCE:.0%} of the first "
         f"({fmt(change and change * 100, '+.1f')} %)",
         change is not None and abs(change) <= RSS_TOLERANCE),
    ]
    for label, ok in checks:
        lines.append(f"  [{'ok' if ok else 'FAILED'}] {label}")

    summary = {
        "duration_s": elapsed, "clients": CLIENTS, "outage_s": OUTAGE, "grace_s": GRACE_S,
        "cores": CORES, "db_pool_size": POOL_SIZE, "refresh_every_s": REFRESH_EVERY,
        "requests": n_all,
        "outside": {"statuses": {str(k): v for k, v in m["total"]["outside"].items()},
                    "p50_ms": percentile(m["lat"]["outside"], 0.5),
                    "p99_ms": percentile(m["lat"]["outside"], 0.99),
                    "max_ms": m["max"]["outside"] * 1000},
        "inside": {"statuses": {str(k): v for k, v in m["total"]["inside"].items()},
                   "p50_ms": percentile(m["lat"]["inside"], 0.5),
                   "p99_ms": percentile(m["lat"]["inside"], 0.99),
                   "max_ms": m["max"]["inside"] * 1000},
        "routes": {f"{r} {s}": n for (r, s), n in sorted(m["routes"].items(), key=str)},
        "outage": {k: getattr(o, k) for k in
                   ("stop_issued", "db_down", "start_issued", "db_up", "healthy")}
                  | {"window_end": o.window_end(),
                     "first_error": m["first_error_in_outage"],
                     "last_error": m["last_error_in_outage"],
                     "all_clients_ok_by": m["first_ok_after_restart"],
                     "health": {phase: {"statuses": {str(k): v for k, v in c.items()},
                                        "slowest_ms": slowest * 1000}
                                for phase, (c, slowest) in o.health.items()}},
        "rss_mib": {"warmup_s": RSS_WARMUP_S, "window_s": RSS_WINDOW_S, "first": first,
                    "last": last, "change": change, "peak": peak,
                    "samples": [(round(t, 1), v) for t, v in rss.samples]},
        "todos": {"acknowledged": checked, "missing": missing[:100], "wrong": wrong[:100],
                  "lost_update_titles": ambiguous, "unacknowledged_stored": extra},
        "failures": m["events"][:200],
        "failure_latency_ms": {str(k): {"n": n, "mean": t / n * 1000, "min": lo * 1000,
                                        "max": hi * 1000}
                               for k, (n, t, lo, hi) in m["failure_lat"].items()},
        "server_log": {f"{lvl} {msg}": n for (lvl, msg), n in server_log.items()},
        "timeline": [{"from_s": r * ROW_S, "counts": dict(m["rows"][r]),
                      "p50_ms": percentile(m["row_lat"][r], 0.5),
                      "p99_ms": percentile(m["row_lat"][r], 0.99)} for r in sorted(m["rows"])],
        "checks": [{"check": label, "ok": ok} for label, ok in checks],
    }
    return lines, checks, summary


# Timeline row width: about 20 rows whatever the duration.
ROW_S = max(5, DURATION // 20)


def main():
    if DURATION < 30 or not 0 < OUTAGE < DURATION / 2 - 5 or CLIENTS < 1:
        sys.exit("need SOAK_DURATION >= 30, 0 < SOAK_OUTAGE < SOAK_DURATION/2 - 5, SOAK_CLIENTS >= 1")
    reap_stale_runs()
    os.makedirs(OUT_DIR, exist_ok=True)
    if os.environ.get("SOAK_NO_BUILD"):
        log(f"SOAK_NO_BUILD: using {API} as it is")
    else:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "-p", "http-actix", "--bin", "api"],
                       cwd=ROOT, check=True)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    tmp = tempfile.mkdtemp(prefix=TMP_PREFIX)
    cluster = Cluster(tmp)
    server = None
    stop = threading.Event()
    clients = []
    server_log_path = os.path.join(OUT_DIR, "server.log")
    try:
        os.chmod(tmp, 0o755)  # the postgres user must reach tmp/pg
        with open(os.path.join(tmp, "owner.pid"), "w") as f:
            f.write(str(os.getpid()))
        log(f"creating a throw-away cluster with {cluster.bindir}/initdb in {tmp}")
        cluster.init()
        cluster.start()
        log(f"PostgreSQL on 127.0.0.1:{cluster.port}")

        keys = os.path.join(tmp, "keys")
        subprocess.run([API, "keygen", "--dir", keys], check=True, stdout=subprocess.DEVNULL)
        port = int(os.environ.get("SOAK_PORT") or apiproc.free_port())
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ENVIRONMENT": "production",
            # Production needs SMTP_URL or MAIL_DIR: account mail goes to files here.
            "MAIL_DIR": os.path.join(tmp, "mail"),
            "AUTO_MIGRATE": "true",
            "LOG_LEVEL": "warn",
            # The soak is about the database restart, memory and lost writes,
            # not password hashing: the lowest cost keeps logins cheap.
            "BCRYPT_COST": "4",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": cluster.url(),
            "DB_POOL_SIZE": str(POOL_SIZE),
            "JWT_PRIVATE_KEY_PATH": os.path.join(keys, "private_key.pem"),
            "JWT_PUBLIC_KEY_PATH": os.path.join(keys, "public_key.pem"),
            "JWT_VERIFY_KEYS_DIR": os.path.join(keys, "retired"),
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": THROTTLE_OFF_LIMIT,
            "LOGIN_MAX_FAILURES_PER_IP": THROTTLE_OFF_LIMIT,
            "REGISTER_MAX_PER_IP": THROTTLE_OFF_LIMIT,
        }
        open(server_log_path, "w").close()
        server = Server(env, server_log_path, os.path.join(tmp, "server.pid"))
        server.start()
        server.wait_ready()
        log(f"server pid {server.proc.pid} on 127.0.0.1:{port}; {CLIENTS} clients for {DURATION} s, "
            f"database down for {OUTAGE:.0f} s from t={DURATION / 2:.0f} s")

        outage = Outage()
        run_id = secrets.token_hex(4)
        t0 = time.monotonic()
        rss = RssSampler(server, t0, stop)
        rss.start()
        clients = [Client(n, port, run_id, outage, stop, t0, ROW_S) for n in range(CLIENTS)]
        for c in clients:
            c.start()

        def wait_until(t):
            while not stop.is_set() and time.monotonic() - t0 < t:
                stop.wait(min(1.0, t - (time.monotonic() - t0)))
                if server.proc.poll() is not None:
                    raise RuntimeError(f"the server exited ({server.proc.returncode}) during the "
                                       f"soak; see {server_log_path}")

        wait_until(DURATION / 2)
        if not stop.is_set():
            run_outage(cluster, port, outage, t0, stop)
        wait_until(DURATION)
        crashed = [c.crashed for c in clients if c.crashed]
        if crashed:
            raise RuntimeError(f"a client crashed: {crashed[0]}")
        stop.set()
        for c in clients:
            c.join(timeout=REQUEST_TIMEOUT_S + 5)
        rss.join()
        elapsed = time.monotonic() - t0
        log(f"load stopped at t={elapsed:.1f}s; checking the acknowledged todos")

        with ThreadPoolExecutor(max_workers=min(4, CLIENTS)) as ex:
            results = list(ex.map(lambda c: c.verify(), clients))
        verification = (sum(r[0] for r in results), [i for r in results for i in r[1]],
                        [w for r in results for w in r[2]], sum(r[3] for r in results),
                        sum(r[4] for r in results))

        server.stop()
        lines, checks, summary = report(merge(clients), outage, rss, verification, elapsed,
                                        server_log_summary(server_log_path))
        print("\n".join(lines))
        path = os.path.join(OUT_DIR, "results.json")
        with open(path, "w") as f:
            json.dump(summary, f, indent=2, default=str)
        log(f"wrote {path}, {server_log_path} and {os.path.join(OUT_DIR, 'postgres.log')}")
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop.set()
        if server:
            server.stop()
        cluster.destroy()
        if os.path.exists(cluster.log_path):
            shutil.copyfile(cluster.log_path, os.path.join(OUT_DIR, "postgres.log"))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        sys.exit(130)
