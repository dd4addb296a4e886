#!/usr/bin/env python3
"""The checks of deploy/e2e.sh, against the compose project it brought up.

Writes go through the host's `lianluo` CLI to each city's published client port, with the
profiles deploy/pki.sh wrote; a write counts as acknowledged when the CLI printed its id.
"Converged" means: every acknowledged record is listed at each of its participants with
the same status, version, heads and participants, and at no other city. Every wait is a
bounded poll. Environment: E2E_WORK (the work copy of deploy/), E2E_PROJECT (the compose
project), LIANLUO_BIN (the host CLI), LIANLUO_IMAGE.
"""

import http.client
import json
import os
import ssl
import subprocess
import sys
import threading
import time

WORK = os.environ["E2E_WORK"]
PROJECT = os.environ["E2E_PROJECT"]
LIANLUO = os.environ["LIANLUO_BIN"]
CITIES = ["hezhou", "qingyuan", "yongzhou"]
COMPOSE = ["docker-compose", "-p", PROJECT, "-f", f"{WORK}/compose.yaml",
           "-f", f"{WORK}/compose.guilin.yaml"]
# Who shares with whom in the write loads: every pair, and all three.
SHARES = {
    "hezhou": [["qingyuan"], ["yongzhou"], ["qingyuan", "yongzhou"], []],
    "qingyuan": [["hezhou"], ["yongzhou"], ["hezhou", "yongzhou"]],
    "yongzhou": [["hezhou"], ["qingyuan"], ["hezhou", "qingyuan"]],
}


class Failure(Exception):
    """A check that did not hold."""


def step(title):
    print(f"e2e: {title}", flush=True)


def run(args, check=True, timeout=120, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise Failure(f"`{' '.join(args)}` failed ({r.returncode}): {r.stderr}{r.stdout}")
    return r


def compose(*args, **kw):
    return run(COMPOSE + list(args), **kw)


def container(city):
    return f"{PROJECT}_{city}_1"


def cli(city, role, *args, check=True):
    profile = f"{WORK}/profiles/{city}-{role}.toml"
    r = run([LIANLUO, "--profile", profile, *args, "--json"], check=check, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 else None


def eventually(what, fn, timeout=90, every=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = fn()
        except (Failure, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            got, last = None, e
        if got:
            return got
        time.sleep(every)
    raise Failure(f"timed out after {timeout} s waiting for {what} (last error: {last})")


def healthy(city):
    r = run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container(city)], check=False)
    return r.stdout.strip() == "healthy"


def wait_healthy(cities):
    for c in cities:
        eventually(f"{c} healthy", lambda c=c: healthy(c), timeout=120)


def connected(city, peers):
    listed = {p["city"]: p for p in cli(city, "admin", "peers")}
    return all(listed.get(p, {}).get("connected") for p in peers)


class Writer:
    """Creates suggestions at `cities` in a loop on a thread; keeps what was acknowledged."""

    def __init__(self, name, cities, shares=None):
        self.name, self.cities = name, cities
        self.shares = shares or SHARES
        self.acked = {}  # id -> participants
        self.failed = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        n = 0
        while not self.stop_flag.is_set():
            for origin in self.cities:
                shares = self.shares[origin][n % len(self.shares[origin])]
                args = ["suggestion", "create", "--title", f"{self.name}第{n}件（{origin}）",
                        "--body", "端到端测试"]
                for p in shares:
                    args += ["--partner", p]
                rec = cli(origin, "coordinator", *args, check=False)
                if rec and rec.get("id"):
                    self.acked[rec["id"]] = sorted([origin] + shares)
                else:
                    self.failed += 1
            n += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(timeout=60)

    def wait_for(self, count):
        eventually(f"{count} writes by {self.name}", lambda: len(self.acked) >= count, 120)


def listing(city):
    """Every record at `city`: id -> (status, version, heads, participants)."""
    out = {}
    for r in cli(city, "viewer", "list", "--all", "--limit", "500"):
        out[r["id"]] = (r["status"], r["version"], tuple(sorted(r["heads"])),
                        tuple(r["participants"]))
    return out


def converged(records, cities, timeout=120):
    """Waits until every record of `records` (id -> participants) is the same at each of
    its participants and absent elsewhere, among `cities`."""
    def check():
        lists = {c: listing(c) for c in cities}
        for rid, parts in records.items():
            seen = {c: lists[c].get(rid) for c in cities}
            holders = sorted(c for c, v in seen.items() if v is not None)
            want = sorted(c for c in parts if c in cities)
            if holders != want:
                return None
            if len({seen[c] for c in want}) != 1:
                return None
        return True
    try:
        eventually(f"{len(records)} records converged at {', '.join(cities)}", check, timeout, 1)
    except Failure:
        lists = {c: listing(c) for c in cities}
        bad = [(rid, parts, {c: lists[c].get(rid) for c in cities})
               for rid, parts in records.items()
               if sorted(c for c in cities if rid in lists[c]) != sorted(p for p in parts if p in cities)]
        raise Failure(f"not converged: {len(bad)} record(s) misplaced, e.g. {bad[:3]}")


def https_get(port, path, cert=None):
    """GET https://127.0.0.1:<port><path>, trusting the root CA; (status, body)."""
    ctx = ssl.create_default_context(cafile=f"{WORK}/pki/root-ca.pem")
    if cert:
        ctx.load_cert_chain(f"{cert}.pem", f"{cert}.key")
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def dashboard(city, port):
    viewer = f"{WORK}/pki/{city}/users/viewer"
    status, body = https_get(port, "/api/overview", viewer)
    if status != 200 or f'"{city}"' not in body:
        raise Failure(f"{city}'s dashboard API on port {port}: {status} {body[:200]}")
    status, body = https_get(port, "/metrics", viewer)
    if status != 200 or "lianluo_peer_connected" not in body:
        raise Failure(f"{city}'s /metrics on port {port}: {status} {body[:200]}")
    try:
        status, _ = https_get(port, "/api/overview")
    except (ssl.SSLError, ConnectionError, OSError):
        return
    raise Failure(f"{city}'s dashboard answered {status} without a client certificate")


def main():
    acked = {}
    step("the three cities come up healthy and connect by host name")
    wait_healthy(CITIES)
    for c in CITIES:
        eventually(f"{c} connected to its peers",
                   lambda c=c: connected(c, [p for p in CITIES if p != c]))

    step("the dashboards answer on the host's loopback over HTTPS with a user certificate")
    for city, port in [("hezhou", 7103), ("qingyuan", 7113), ("yongzhou", 7123)]:
        dashboard(city, port)

    step("1. records written at each city reach exactly their participants")
    with Writer("参与方", CITIES) as w:
        w.wait_for(20)
    acked.update(w.acked)
    converged(acked, CITIES)

    step("2. yongzhou's network cut while all three write, then healed")
    net = f"{PROJECT}_federation"
    run(["docker", "network", "disconnect", net, container("yongzhou")])
    with Writer("断网", CITIES) as w:
        # Enough writes that every city's stream to yongzhou has something to carry.
        w.wait_for(60)
    # The cut holds: what hezhou and qingyuan wrote for yongzhou meanwhile is not there.
    owed = [rid for rid, parts in w.acked.items()
            if "yongzhou" in parts and not rid.startswith("yongzhou-")]
    held = listing("yongzhou")
    if not owed or any(rid in held for rid in owed):
        raise Failure(f"yongzhou was not cut off: {len(owed)} records owed, "
                      f"{sum(rid in held for rid in owed)} arrived during the cut")
    acked.update(w.acked)
    run(["docker", "network", "connect", "--alias", "yongzhou", net, container("yongzhou")])
    converged(acked, CITIES)

    step("3. SIGKILL of hezhou's node process: the restart policy brings it back")
    before = int(run(["docker", "inspect", "-f", "{{.RestartCount}}", container("hezhou")]).stdout)
    pid = run(["docker", "inspect", "-f", "{{.State.Pid}}", container("hezhou")]).stdout.strip()
    with Writer("重启前后", ["qingyuan", "yongzhou"]) as w:
        run(["kill", "-KILL", pid])
        eventually("hezhou restarted by docker", lambda: int(run(
            ["docker", "inspect", "-f", "{{.RestartCount}}", container("hezhou")]).stdout) > before)
        wait_healthy(["hezhou"])
        w.wait_for(10)
    acked.update(w.acked)
    converged(acked, CITIES)

    step("4. rolling restart of all three under a steady write load")
    with Writer("滚动重启", CITIES) as w:
        for c in CITIES:
            compose("restart", "--timeout", "20", c)
            wait_healthy([c])
        w.wait_for(len(w.acked) + 10)
    acked.update(w.acked)
    print(f"e2e:    {len(w.acked)} writes acknowledged during the restarts, {w.failed} refused "
          f"while a node was down (not acknowledged, so not owed)", flush=True)
    converged(acked, CITIES)

    step("5. guilin joins the running federation by SIGHUP alone")
    join_guilin(acked)

    step("6. an online backup under writes restores into a node that converges")
    backup_and_restore(acked)
    print(f"e2e: all checks passed ({len(acked)} acknowledged records, every one in place)",
          flush=True)


def join_guilin(acked):
    run([f"{WORK}/pki.sh", "guilin"], env={**os.environ})
    compose("up", "-d", "guilin")
    wait_healthy(["guilin"])
    pids = {c: run(["docker", "inspect", "-f", "{{.State.Pid}}", container(c)]).stdout for c in CITIES}
    for c in CITIES:
        with open(f"{WORK}/cities/{c}/node.toml", "a", encoding="utf-8") as f:
            f.write('\n[[peers]]\ncity = "guilin"\naddress = "guilin:7102"\n')
        run(["docker", "kill", "--signal", "HUP", container(c)])
    for c in CITIES:
        eventually(f"{c} connected to guilin", lambda c=c: connected(c, ["guilin"]))
    eventually("guilin connected to all three", lambda: connected("guilin", CITIES))
    after = {c: run(["docker", "inspect", "-f", "{{.State.Pid}}", container(c)]).stdout for c in CITIES}
    if after != pids:
        raise Failure(f"a node restarted while guilin joined: {pids} -> {after}")
    to_guilin = cli("hezhou", "coordinator", "suggestion", "create", "--title", "贺州桂林联合督办",
                    "--body", "第四个城市", "--partner", "guilin")["id"]
    from_guilin = cli("guilin", "coordinator", "suggestion", "create", "--title", "桂林清远永州建议",
                      "--body", "第四个城市", "--partner", "qingyuan", "--partner", "yongzhou")["id"]
    acked[to_guilin] = ["guilin", "hezhou"]
    acked[from_guilin] = ["guilin", "qingyuan", "yongzhou"]
    converged(acked, CITIES + ["guilin"])


def backup_and_restore(acked):
    backup = f"{WORK}/hezhou.llb"
    # Shared records only: one held by hezhou alone and written after the backup began
    # is in no backup and at no peer (everything before it is in the backup).
    shared = {"hezhou": [["qingyuan"], ["guilin"], ["qingyuan", "yongzhou"]]}
    with Writer("在线备份", ["hezhou"], shared) as w:
        w.wait_for(5)
        with open(backup, "wb") as f:
            r = subprocess.run(["docker", "exec", container("hezhou"), "lianluo", "backup",
                                "--out", "-"], stdout=f, stderr=subprocess.PIPE, timeout=120)
        if r.returncode != 0:
            raise Failure(f"online backup failed: {r.stderr.decode()}")
        during = len(w.acked)
        w.wait_for(during + 5)
    acked.update(w.acked)
    print(f"e2e:    backup of {os.path.getsize(backup)} bytes while {during} writes were "
          f"acknowledged, {len(w.acked) - during} more after it", flush=True)
    compose("stop", "--timeout", "20", "hezhou")
    compose("run", "--rm", "--no-deps", "-v", f"{backup}:/backup.llb:ro", "hezhou",
            "restore", "--from", "/backup.llb", "--force")
    compose("start", "hezhou")
    wait_healthy(["hezhou"])
    converged(acked, CITIES + ["guilin"])


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"e2e: FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
