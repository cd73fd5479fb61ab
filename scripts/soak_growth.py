#!/usr/bin/env python3
"""Soak for table growth (issue 16 item 5): with logins and refreshes in the
mix, the sessions and refresh_tokens tables stay bounded once sessions end.

Builds the release binary, makes a throw-away PostgreSQL cluster of its own
and starts the server on it with production settings, short sessions
(REFRESH_TOKEN_EXPIRE_SECONDS=SOAK_GROWTH_LIFETIME, default 60) and a
pruning pass every SOAK_GROWTH_PRUNE seconds (default 5). The cluster, the
server start and stop, the reaping of a SIGKILLed run's leftovers and the
RSS sampling are scripts/soak.py's (imported).

SOAK_GROWTH_CLIENTS clients, each with its own user, run for
SOAK_GROWTH_DURATION seconds, pausing SOAK_GROWTH_THINK seconds between
requests. Each login opens a session whose fate is drawn at once:

  55 %  logged out (POST /v1/auth/logout) after 1-8 s
  30 %  abandoned after 1-8 s: the client logs in afresh and never uses the
        old session again, which expires on its own
  15 %  ridden to its end: refreshed until POST /v1/auth/refresh answers 401
        (the session expired), then the client logs in again

Every client refreshes its current session every SOAK_GROWTH_REFRESH seconds
(default 5); between those, reads (GET /v1/auth/me, GET /v1/todos) and 0.2 %
failed logins (a wrong password, 401). A 401 on a read or a refresh is
*expected* only when the session's lifetime has run out (the request ended
after the login's start + lifetime); it is then counted apart, and the
client refreshes (401) and logs in again.

Every SOAK_GROWTH_SAMPLE seconds (default 10) a sample: COUNT(*) of sessions,
refresh_tokens and login_attempts (psql on the soak's cluster), the live
sessions, the *overdue* sessions (ended more than 60 s + 2 prune intervals
+ 5 s ago: a pass should have deleted them), the clients' cumulative logins
and refreshes, pruned_rows_total from /metrics, the server's RSS.

Checks (exit 1 if one fails):
  1. no 5xx, no connection error or timeout, no unexpected 4xx;
  2. after the warm-up (lifetime + 60 s + 2 prune intervals: the first
     sessions have ended, passed the 60 s margin and met a pass), no sample
     holds an overdue session: every row that can be pruned is, in time;
  3. bounded: over the samples after the warm-up, the maximum of sessions
     and of refresh_tokens in the later half is at most 1.25 x the maximum
     in the earlier half (a table that grows with the run fails this: in
     the steady state the counts only fluctuate);
  4. rows really deleted: the sessions opened are at least 2 x the final
     sessions count, and pruned_rows_total > 0 for sessions and for
     refresh_tokens;
  5. accounting at the end: sessions = logins - pruned sessions, and
     refresh_tokens = logins + refreshes - pruned refresh tokens (within the
     number of login and refresh answers lost, which should be none).

login_attempts is reported, not checked: its events are kept for
max(throttling windows, 24 h), so over a soak it only grows (with the failed
logins and the registrations).

Prints the samples and a summary, writes target/soak-growth/results.json
(plus server.log and postgres.log). Everything is removed at the end, also
on failure, Ctrl-C, SIGTERM or SIGHUP; after a SIGKILL the next run (of
this script or of soak.py) reaps the leftovers.

Environment:
  SOAK_GROWTH_DURATION  seconds of load (default 300; at least the warm-up
                        + 4 samples)
  SOAK_GROWTH_CLIENTS   concurrent clients, one user each (default 16)
  SOAK_GROWTH_LIFETIME  REFRESH_TOKEN_EXPIRE_SECONDS (default 60, >= 60)
  SOAK_GROWTH_PRUNE     PRUNE_INTERVAL_SECONDS (default 5)
  SOAK_GROWTH_REFRESH   seconds between a client's refreshes (default 5)
  SOAK_GROWTH_SAMPLE    seconds between samples (default 10)
  SOAK_GROWTH_THINK     seconds a client pauses between requests (default 0.05)
  SOAK_GROWTH_NO_BUILD  set: skip `cargo build`, run the binary as it is
  CARGO_TARGET_DIR      where cargo puts the binary (default ROOT/target)
  PG_BIN_DIR            directory of initdb/pg_ctl/psql (as for soak.py)

Python 3 standard library only; talks to 127.0.0.1 only.
"""

import http.client
import json
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

import apiproc
import soak

ROOT = soak.ROOT
_TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
API = os.path.join(ROOT, _TARGET, "release", "api")  # an absolute _TARGET wins
OUT_DIR = os.path.join(ROOT, "target", "soak-growth")
TMP_PREFIX = "soak-growth-"  # also matches soak.py's reaper ("soak-*")

DURATION = int(os.environ.get("SOAK_GROWTH_DURATION", "300"))
CLIENTS = int(os.environ.get("SOAK_GROWTH_CLIENTS", "16"))
LIFETIME = int(os.environ.get("SOAK_GROWTH_LIFETIME", "60"))
PRUNE_S = int(os.environ.get("SOAK_GROWTH_PRUNE", "5"))
REFRESH_S = float(os.environ.get("SOAK_GROWTH_REFRESH", "5"))
SAMPLE_S = float(os.environ.get("SOAK_GROWTH_SAMPLE", "10"))
THINK_S = float(os.environ.get("SOAK_GROWTH_THINK", "0.05"))
# The server deletes a session that ended more than this long ago (fixed).
PRUNE_MARGIN_S = 60
WARMUP_S = LIFETIME + PRUNE_MARGIN_S + 2 * PRUNE_S
# Ended longer ago than this, a session should be gone: the margin, then at
# most one interval until the next pass starts, one more and 5 s for the
# pass itself and for clock granularity.
OVERDUE_S = PRUNE_MARGIN_S + 2 * PRUNE_S + 5
GROWTH_TOLERANCE = 1.25
CHURN_FACTOR = 2
FAIL_LOGIN_P = 0.002
REQUEST_TIMEOUT_S = 30
PASSWORD = "soak-password-" + secrets.token_hex(8)
# Fates of a session, drawn at login: (name, probability).
FATES = (("logout", 0.55), ("abandon", 0.30), ("expire", 0.15))
HOLD_S = (1.0, 8.0)  # how long a logged-out or abandoned session is used


def log(msg):
    print(f"[soak-growth] {msg}", file=sys.stderr, flush=True)


class Totals:
    """The counters every client adds to (under one lock)."""

    FIELDS = ("logins", "refreshes", "logouts", "abandoned", "expired", "failed_logins",
              "reads", "expected_401", "lost_logins", "lost_refreshes")

    def __init__(self):
        self.lock = threading.Lock()
        self.n = Counter()
        self.statuses = Counter()  # (route, status) -> n
        self.unexpected = []       # (t, route, status, detail), the first 50

    def add(self, field, k=1):
        with self.lock:
            self.n[field] += k

    def snapshot(self):
        with self.lock:
            return {f: self.n[f] for f in self.FIELDS}


class Client(threading.Thread):
    def __init__(self, n, port, run_id, stop, t0, totals):
        super().__init__(daemon=True, name=f"client-{n}")
        self.n, self.port, self.stop_event, self.t0, self.totals = n, port, stop, t0, totals
        self.username = f"growth_{run_id}_{n}"
        self.rng = random.Random(n)
        self.conn = None
        self.access = self.refresh_token = None
        self.login_start = None  # when the current session's login was sent
        self.fate, self.fate_at, self.next_refresh = None, None, None
        self.crashed = None

    def now(self):
        return time.monotonic() - self.t0

    def expired(self, end):
        """Whether the current session's lifetime may have run out by `end`
        (its expires_at is at least login_start + LIFETIME)."""
        return self.login_start is not None and end >= self.login_start + LIFETIME

    def request(self, method, path, route, body=None, auth=True):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.access}"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=REQUEST_TIMEOUT_S)
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                              headers=headers)
            r = self.conn.getresponse()
            data = r.read()
            status = r.status
        except socket.timeout:
            status, data = "timeout", b""
        except (OSError, http.client.HTTPException) as e:
            status, data = "conn_error", str(e).encode()
        if not isinstance(status, int):
            if self.conn is not None:
                self.conn.close()
                self.conn = None
        end = self.now()
        with self.totals.lock:
            self.totals.statuses[(route, status)] += 1
        try:
            parsed = json.loads(data) if data and isinstance(status, int) else None
        except ValueError:
            parsed = None
        return status, parsed, end

    def unexpected(self, route, status, parsed, end):
        detail = ""
        if isinstance(parsed, dict):
            detail = str(parsed.get("error", {}).get("message", ""))[:120]
        with self.totals.lock:
            self.totals.n["unexpected"] += 1
            if len(self.totals.unexpected) < 50:
                self.totals.unexpected.append((round(end, 2), route, status, detail))

    def register(self):
        status, parsed, end = self.request("POST", "/v1/auth/register", "/v1/auth/register", {
            "email": f"{self.username}@example.com", "username": self.username,
            "full_name": f"Growth soak client {self.n}", "password": PASSWORD}, auth=False)
        if status != 201:
            self.unexpected("/v1/auth/register", status, parsed, end)
        return status == 201

    def login(self):
        while not self.stop_event.is_set():
            start = self.now()
            status, body, end = self.request("POST", "/v1/auth/login", "/v1/auth/login",
                                             {"username": self.username, "password": PASSWORD},
                                             auth=False)
            if status == 200:
                self.totals.add("logins")
                self.access, self.refresh_token = body["access_token"], body["refresh_token"]
                self.login_start = start
                r, acc = self.rng.random(), 0.0
                for name, p in FATES:
                    acc += p
                    if r < acc:
                        break
                self.fate = name
                self.fate_at = None if name == "expire" else end + self.rng.uniform(*HOLD_S)
                self.next_refresh = end + REFRESH_S * (0.5 + self.rng.random())
                return True
            if not isinstance(status, int):
                self.totals.add("lost_logins")
            self.unexpected("/v1/auth/login", status, body, end)
            self.stop_event.wait(0.5)
        return False

    def refresh(self):
        """Refreshes the current session; logs in again when it expired."""
        status, body, end = self.request("POST", "/v1/auth/refresh", "/v1/auth/refresh",
                                         {"refresh_token": self.refresh_token}, auth=False)
        if status == 200:
            self.totals.add("refreshes")
            self.access, self.refresh_token = body["access_token"], body["refresh_token"]
            self.next_refresh = end + REFRESH_S
        elif status == 401 and self.expired(end):
            self.totals.add("expected_401")
            self.totals.add("expired")
            self.login()
        else:
            if not isinstance(status, int):
                self.totals.add("lost_refreshes")
            self.unexpected("/v1/auth/refresh", status, body, end)
            self.next_refresh = end + REFRESH_S

    def failed_login(self):
        status, body, end = self.request("POST", "/v1/auth/login", "/v1/auth/login (wrong password)",
                                         {"username": self.username, "password": PASSWORD + "x"},
                                         auth=False)
        if status == 401:
            self.totals.add("failed_logins")
        else:
            self.unexpected("/v1/auth/login (wrong password)", status, body, end)

    def read(self):
        path = "/v1/auth/me" if self.rng.random() < 0.5 else "/v1/todos?page=1&page_size=20"
        route = path.split("?")[0]
        status, body, end = self.request("GET", path, route)
        if status == 200:
            self.totals.add("reads")
        elif status == 401 and self.expired(end):
            self.totals.add("expected_401")
            self.refresh()  # as a client would: 401, refresh, 401, log in
        else:
            self.unexpected(route, status, body, end)

    def end_session(self):
        if self.fate == "logout":
            status, body, end = self.request("POST", "/v1/auth/logout", "/v1/auth/logout")
            if status == 204:
                self.totals.add("logouts")
            elif status == 401 and self.expired(end):
                self.totals.add("expected_401")
            else:
                self.unexpected("/v1/auth/logout", status, body, end)
        else:
            self.totals.add("abandoned")
        self.login()

    def run(self):
        try:
            if not (self.register() and self.login()):
                return
            while not self.stop_event.is_set():
                t = self.now()
                if self.fate_at is not None and t >= self.fate_at:
                    self.end_session()
                elif t >= self.next_refresh:
                    self.refresh()
                elif self.rng.random() < FAIL_LOGIN_P:
                    self.failed_login()
                else:
                    self.read()
                self.stop_event.wait(THINK_S)
        except Exception as e:  # a bug in this script, not in the server
            self.crashed = f"{type(e).__name__}: {e}"
            self.stop_event.set()
        finally:
            if self.conn is not None:
                self.conn.close()


COUNT_SQL = f"""SELECT (SELECT count(*) FROM sessions),
       (SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > now()),
       (SELECT count(*) FROM refresh_tokens),
       (SELECT count(*) FROM login_attempts),
       (SELECT count(*) FROM sessions
         WHERE LEAST(expires_at, revoked_at) < now() - interval '{OVERDUE_S} seconds'),
       (SELECT count(*) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
         WHERE LEAST(s.expires_at, s.revoked_at) < now() - interval '{OVERDUE_S} seconds')"""
COUNT_KEYS = ("sessions", "live_sessions", "refresh_tokens", "login_attempts", "overdue_sessions",
              "overdue_tokens")


def counts(cluster):
    out = subprocess.run([os.path.join(cluster.bindir, "psql"), "-h", "127.0.0.1", "-p",
                          str(cluster.port), "-U", "postgres", "-d", "postgres", "-XAt",
                          "-v", "ON_ERROR_STOP=1", "-c", COUNT_SQL],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return dict(zip(COUNT_KEYS, (int(v) for v in out.stdout.strip().split("|"))))


def pruned(port):
    """pruned_rows_total by table, from /metrics."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        text = r.read().decode()
    finally:
        c.close()
    if r.status != 200:
        raise RuntimeError(f"GET /metrics answered {r.status}")
    out = {"sessions": 0, "refresh_tokens": 0, "login_attempts": 0}
    for line in text.splitlines():
        if line.startswith("pruned_rows_total{"):
            labels, value = line.rsplit(" ", 1)
            for table in out:
                if f'table="{table}"' in labels:
                    out[table] = int(float(value))
    return out


def sample(t0, cluster, port, totals, server):
    s = {"t": round(time.monotonic() - t0, 1)}
    s |= counts(cluster)
    s |= {f"pruned_{k}": v for k, v in pruned(port).items()}
    s |= totals.snapshot()
    rss = server.rss_kib()
    s["rss_mib"] = round(rss / 1024, 1) if rss else None
    return s


def settled_end_state(cluster, port):
    """Counts and pruned_rows_total at one moment with no pass between them:
    the counts before and after the metrics read agree."""
    for _ in range(20):
        c1 = counts(cluster)
        p = pruned(port)
        c2 = counts(cluster)
        if c1 == c2:
            return c1, p
        time.sleep(0.5)
    raise RuntimeError("the table counts kept changing after the load stopped")


def report(samples, totals, end_counts, end_pruned, elapsed, rss, server_log):
    lines = []
    hdr = (f"{'t (s)':>6} {'sessions':>8} {'live':>5} {'tokens':>7} {'attempts':>8} "
           f"{'overdue':>7} {'opened':>7} {'refreshes':>9} {'pr.sess':>7} {'pr.tok':>7} "
           f"{'RSS MiB':>7}")
    lines.append(hdr)
    for s in samples:
        mark = "" if s["t"] >= WARMUP_S else "  (warm-up)"
        lines.append(f"{s['t']:>6.0f} {s['sessions']:>8} {s['live_sessions']:>5} "
                     f"{s['refresh_tokens']:>7} {s['login_attempts']:>8} "
                     f"{s['overdue_sessions']:>7} {s['logins']:>7} {s['refreshes']:>9} "
                     f"{s['pruned_sessions']:>7} {s['pruned_refresh_tokens']:>7} "
                     f"{soak.fmt(s['rss_mib'], '7.1f'):>7}{mark}")
    lines.append("")

    n = totals.snapshot()
    statuses = Counter()
    for (_, status), k in totals.statuses.items():
        statuses[soak.status_class(status)] += k
    n_req = sum(totals.statuses.values())
    lines.append(f"requests: {n_req} in {elapsed:.0f} s ({n_req / elapsed:.0f}/s), {CLIENTS} "
                 f"clients; {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}")
    lines.append(f"sessions opened {n['logins']}: {n['logouts']} logged out, {n['abandoned']} "
                 f"abandoned, {n['expired']} ridden to expiry (refresh 401); {n['refreshes']} "
                 f"refreshes, {n['reads']} reads, {n['failed_logins']} failed logins (401, "
                 f"expected), {n['expected_401']} 401s of expired sessions (expected)")
    for (route, status), k in sorted(totals.statuses.items(), key=str):
        lines.append(f"  {route} {status}: {k}")

    steady = [s for s in samples if s["t"] >= WARMUP_S]
    mid = (WARMUP_S + elapsed) / 2
    first = [s for s in steady if s["t"] < mid]
    last = [s for s in steady if s["t"] >= mid]

    def mx(rows, key):
        return max((s[key] for s in rows), default=None)

    bounded = {}
    for key in ("sessions", "refresh_tokens", "login_attempts"):
        a, b = mx(first, key), mx(last, key)
        bounded[key] = {"max_earlier_half": a, "max_later_half": b,
                        "ratio": (b / a) if a and b is not None else None}
        lines.append(f"{key}: max {soak.fmt(a, 'd')} in {WARMUP_S}-{mid:.0f} s, "
                     f"{soak.fmt(b, 'd')} in {mid:.0f}-{elapsed:.0f} s "
                     f"(x{soak.fmt(bounded[key]['ratio'], '.2f')}); at the end {end_counts[key]}")
    overdue_max = mx(steady, "overdue_sessions")
    overdue_tok = mx(steady, "overdue_tokens")
    first_rss = rss.samples[0][1] / 1024 if rss.samples else None
    last_rss = rss.samples[-1][1] / 1024 if rss.samples else None
    peak_rss = max((v for _, v in rss.samples), default=0) / 1024
    lines.append(f"RSS: {soak.fmt(first_rss, '.1f')} MiB at the start, "
                 f"{soak.fmt(last_rss, '.1f')} MiB at the end, peak {peak_rss:.1f} MiB")
    lost = n["lost_logins"] + n["lost_refreshes"]
    exp_sessions = n["logins"] - end_pruned["sessions"]
    exp_tokens = n["logins"] + n["refreshes"] - end_pruned["refresh_tokens"]
    lines.append(f"end: sessions {end_counts['sessions']} (logins - pruned = {exp_sessions}), "
                 f"refresh_tokens {end_counts['refresh_tokens']} (logins + refreshes - pruned = "
                 f"{exp_tokens}), login_attempts {end_counts['login_attempts']}; pruned "
                 + ", ".join(f"{k} {v}" for k, v in end_pruned.items()))
    if server_log:
        lines.append("server log, warn and error lines:")
        for (level, msg), k in server_log.most_common(12):
            lines.append(f"  {k:>7} {level} {msg}")
    if totals.unexpected:
        lines.append(f"unexpected answers (first {len(totals.unexpected)} of "
                     f"{totals.n['unexpected']}):")
        for e in totals.unexpected[:10]:
            lines.append(f"  t={e[0]:.2f} {e[1]} {e[2]} {e[3]}")
    lines.append("")

    bad = statuses["5xx"] + statuses["conn_error"] + statuses["timeout"]
    unexpected = totals.n["unexpected"]
    enough = len(first) >= 2 and len(last) >= 2

    def within(key):
        a, b = bounded[key]["max_earlier_half"], bounded[key]["max_later_half"]
        return enough and b <= GROWTH_TOLERANCE * a

    checks = [
        (f"no 5xx, connection error or timeout ({bad})", bad == 0),
        (f"no unexpected 4xx or other answer ({unexpected})", unexpected == 0),
        (f"no overdue session after the warm-up (ended > {OVERDUE_S} s ago; max "
         f"{soak.fmt(overdue_max, 'd')} sessions, {soak.fmt(overdue_tok, 'd')} tokens, "
         f"{len(steady)} samples)", len(steady) >= 4 and overdue_max == 0 and overdue_tok == 0),
        (f"sessions bounded: later-half max <= {GROWTH_TOLERANCE} x earlier-half max "
         f"(x{soak.fmt(bounded['sessions']['ratio'], '.2f')})", within("sessions")),
        (f"refresh_tokens bounded: later-half max <= {GROWTH_TOLERANCE} x earlier-half max "
         f"(x{soak.fmt(bounded['refresh_tokens']['ratio'], '.2f')})", within("refresh_tokens")),
        (f"sessions opened >= {CHURN_FACTOR} x the final sessions count ({n['logins']} vs "
         f"{end_counts['sessions']})", n["logins"] >= CHURN_FACTOR * end_counts["sessions"]),
        (f"pruned_rows_total > 0 for sessions ({end_pruned['sessions']}) and refresh_tokens "
         f"({end_pruned['refresh_tokens']})",
         end_pruned["sessions"] > 0 and end_pruned["refresh_tokens"] > 0),
        (f"accounting: sessions = logins - pruned ({end_counts['sessions']} vs {exp_sessions}), "
         f"refresh_tokens = logins + refreshes - pruned ({end_counts['refresh_tokens']} vs "
         f"{exp_tokens}), within {lost} lost answers",
         abs(end_counts["sessions"] - exp_sessions) <= lost
         and abs(end_counts["refresh_tokens"] - exp_tokens) <= lost),
    ]
    for label, ok in checks:
        lines.append(f"  [{'ok' if ok else 'FAILED'}] {label}")

    summary = {
        "config": {"duration_s": DURATION, "clients": CLIENTS, "lifetime_s": LIFETIME,
                   "prune_interval_s": PRUNE_S, "refresh_every_s": REFRESH_S,
                   "sample_every_s": SAMPLE_S, "think_s": THINK_S, "warmup_s": WARMUP_S,
                   "overdue_after_s": OVERDUE_S, "fates": dict(FATES), "hold_s": HOLD_S,
                   "failed_login_p": FAIL_LOGIN_P, "cores": os.cpu_count()},
        "elapsed_s": elapsed, "requests": n_req,
        "totals": n,
        "statuses": {f"{r} {s}": k for (r, s), k in sorted(totals.statuses.items(), key=str)},
        "bounded": bounded, "overdue_max": {"sessions": overdue_max, "tokens": overdue_tok},
        "end": {"counts": end_counts, "pruned_rows_total": end_pruned,
                "expected_sessions": exp_sessions, "expected_refresh_tokens": exp_tokens},
        "rss_mib": {"start": first_rss, "end": last_rss, "peak": peak_rss},
        "samples": samples,
        "unexpected": totals.unexpected,
        "server_log": {f"{lvl} {msg}": k for (lvl, msg), k in server_log.items()},
        "checks": [{"check": label, "ok": ok} for label, ok in checks],
    }
    return lines, checks, summary


def main():
    if LIFETIME < 60 or PRUNE_S < 1 or CLIENTS < 1 or SAMPLE_S <= 0:
        sys.exit("need SOAK_GROWTH_LIFETIME >= 60, SOAK_GROWTH_PRUNE >= 1, "
                 "SOAK_GROWTH_CLIENTS >= 1, SOAK_GROWTH_SAMPLE > 0")
    if DURATION < WARMUP_S + 4 * SAMPLE_S:
        sys.exit(f"need SOAK_GROWTH_DURATION >= {WARMUP_S + 4 * SAMPLE_S:.0f}: the warm-up "
                 f"(lifetime + {PRUNE_MARGIN_S} s + 2 prune intervals = {WARMUP_S} s) and four "
                 f"samples after it")
    soak.reap_stale_runs()
    os.makedirs(OUT_DIR, exist_ok=True)
    if os.environ.get("SOAK_GROWTH_NO_BUILD"):
        log(f"SOAK_GROWTH_NO_BUILD: using {API} as it is")
    else:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "-p", "http-actix", "--bin", "api"],
                       cwd=ROOT, check=True)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    tmp = tempfile.mkdtemp(prefix=TMP_PREFIX)
    cluster = soak.Cluster(tmp)
    server = None
    stop = threading.Event()
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
        port = apiproc.free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ENVIRONMENT": "production",
            # Production needs SMTP_URL or MAIL_DIR: account mail goes to files here.
            "MAIL_DIR": os.path.join(tmp, "mail"),
            "AUTO_MIGRATE": "true",
            "LOG_LEVEL": "warn",
            "BCRYPT_COST": "4",  # logins are many here; hashing is not what is measured
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": cluster.url(),
            "JWT_PRIVATE_KEY_PATH": os.path.join(keys, "private_key.pem"),
            "JWT_PUBLIC_KEY_PATH": os.path.join(keys, "public_key.pem"),
            "JWT_VERIFY_KEYS_DIR": os.path.join(keys, "retired"),
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": soak.THROTTLE_OFF_LIMIT,
            "LOGIN_MAX_FAILURES_PER_IP": soak.THROTTLE_OFF_LIMIT,
            "REGISTER_MAX_PER_IP": soak.THROTTLE_OFF_LIMIT,
            "REFRESH_TOKEN_EXPIRE_SECONDS": str(LIFETIME),
            "PRUNE_INTERVAL_SECONDS": str(PRUNE_S),
            "METRICS_ENABLED": "true",
        }
        open(server_log_path, "w").close()
        server = soak.Server(env, server_log_path, os.path.join(tmp, "server.pid"), binary=API)
        server.start()
        server.wait_ready()
        log(f"server pid {server.proc.pid} on 127.0.0.1:{port}; {CLIENTS} clients for "
            f"{DURATION} s, sessions of {LIFETIME} s, a pruning pass every {PRUNE_S} s, "
            f"warm-up {WARMUP_S} s")

        totals = Totals()
        run_id = secrets.token_hex(4)
        t0 = time.monotonic()
        rss = soak.RssSampler(server, t0, stop)
        rss.samples.append((0.0, server.rss_kib()))
        rss.start()
        samples = [sample(t0, cluster, port, totals, server)]
        clients = [Client(n, port, run_id, stop, t0, totals) for n in range(CLIENTS)]
        for c in clients:
            c.start()
        next_sample = SAMPLE_S
        while True:
            now = time.monotonic() - t0
            if now >= DURATION:
                break
            stop.wait(min(1.0, next_sample - now, DURATION - now))
            if server.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({server.proc.returncode}) during the "
                                   f"soak; see {server_log_path}")
            crashed = [c.crashed for c in clients if c.crashed]
            if crashed:
                raise RuntimeError(f"a client crashed: {crashed[0]}")
            if time.monotonic() - t0 >= next_sample:
                s = sample(t0, cluster, port, totals, server)
                samples.append(s)
                log(f"t={s['t']:.0f}s sessions {s['sessions']} (live {s['live_sessions']}, "
                    f"overdue {s['overdue_sessions']}), refresh_tokens {s['refresh_tokens']}, "
                    f"login_attempts {s['login_attempts']}; opened {s['logins']}, refreshes "
                    f"{s['refreshes']}; pruned {s['pruned_sessions']} sessions, "
                    f"{s['pruned_refresh_tokens']} tokens")
                next_sample += SAMPLE_S
        stop.set()
        for c in clients:
            c.join(timeout=REQUEST_TIMEOUT_S + 5)
        rss.join()
        elapsed = time.monotonic() - t0
        end_counts, end_pruned = settled_end_state(cluster, port)
        log(f"load stopped at t={elapsed:.1f}s")
        server.stop()
        lines, checks, summary = report(samples, totals, end_counts, end_pruned, elapsed, rss,
                                        soak.server_log_summary(server_log_path))
        print("\n".join(lines))
        path = os.path.join(OUT_DIR, "results.json")
        with open(path, "w") as f:
            json.dump(summary, f, indent=2, default=str)
        log(f"wrote {path}, {server_log_path} and {os.path.join(OUT_DIR, 'postgres.log')}")
        return 0 if all(ok for _, ok in checks) else 1
    finally:
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
