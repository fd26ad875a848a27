"""`make load-fault`: the replicated deployment under load, while its parts fail (issue 9).

Starts `make cluster` (HAProxy on 127.0.0.1:5080, two Rasa processes, two action servers,
PostgreSQL, Redis), runs hundreds of concurrent Q3 conversations with driver tokens through the
load balancer, and while they run: kill -9 one Rasa process, then restart Redis, then restart
PostgreSQL. The client retries a turn that failed at the transport (same message id).

Pass when: every conversation ends with its driver's own answer; no answer reaches another
driver; no reply holds a stack trace (while PostgreSQL is down drivers get the Korean apology,
and the client retries); no user message is stored twice in the tracker store unless its turn
was retried. Prints msg/s and p95 through the load balancer. Loopback only, bounded in time.

    python scripts/load_fault.py [--conversations 400] [--concurrency 100] [--no-faults]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import loadgen  # noqa: E402

CLUSTER_URL = "http://127.0.0.1:5080"
SECRET = "load-fault-driver-secret-0123456789abcdef"
TRACKER_DB_URL = "postgresql://postgres@127.0.0.1:5432/consignment_load"
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def start_cluster() -> subprocess.Popen:
    env = {
        **os.environ,
        "ASSISTANT_DEMO_MODE": "0", "DRIVER_TOKEN_SECRET": SECRET, "AGENT_TOKEN_SECRET": SECRET + "-agents",
        "TRACKER_DB_URL": TRACKER_DB_URL, "ASSIST_DB_URL": TRACKER_DB_URL,
        # every conversation comes from this one machine
        "RATE_LIMIT_PER_ADDRESS_PER_MIN": "0",
    }
    (ROOT / "var" / "cluster").mkdir(parents=True, exist_ok=True)
    out = open(ROOT / "var" / "cluster" / "load-fault.log", "w")
    process = subprocess.Popen([str(ROOT / "scripts" / "cluster.sh")], cwd=ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"make cluster stopped: see {out.name}")
        if "ready:" in (ROOT / "var" / "cluster" / "load-fault.log").read_text():
            return process
        time.sleep(2)
    sys.exit("the cluster did not get ready in 10 minutes")


def stop_cluster(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


async def until(check, what: str, timeout_s: float = 30.0) -> None:
    """Waits until check() is true: a fault counts only once it has really happened."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"fault injection failed: {what}")
        await asyncio.sleep(0.2)


def redis_answers() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


def postgres_answers() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


async def faults(events: list) -> None:
    """One after the other, while the conversations run; each checked to have happened.
    They act on this machine's own Redis and PostgreSQL (restarted as they were started)."""
    await asyncio.sleep(8)
    pid = int((ROOT / "var" / "run" / "rasa-1.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    await until(lambda: not process_alive(pid), "rasa-1 still runs")
    events.append(("kill -9 rasa-1", time.time()))
    log(f"fault: kill -9 rasa-1 (pid {pid})")
    await asyncio.sleep(12)
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    await until(lambda: not redis_answers(), "Redis still answers")
    events.append(("redis stopped", time.time()))
    log("fault: Redis stopped")
    await asyncio.sleep(3)
    subprocess.run(REDIS_START, capture_output=True)
    await until(redis_answers, "Redis did not start again")
    events.append(("redis started", time.time()))
    log("fault: Redis started again")
    await asyncio.sleep(10)
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"], capture_output=True)
    await until(lambda: not postgres_answers(), "PostgreSQL still answers")
    events.append(("postgresql stopped", time.time()))
    log("fault: PostgreSQL stopped")
    await asyncio.sleep(5)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], capture_output=True)
    await until(postgres_answers, "PostgreSQL did not start again", timeout_s=60)
    events.append(("postgresql started", time.time()))
    log("fault: PostgreSQL started again")


def stored_user_messages(senders: set) -> Counter:
    import sqlalchemy as sa

    engine = sa.create_engine(TRACKER_DB_URL)
    counts: Counter = Counter()
    with engine.connect() as conn:
        for sender_id, data in conn.execute(sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user'")):
            if sender_id in senders:
                event = json.loads(data)
                counts[(sender_id, event.get("message_id"), event.get("text"))] += 1
    engine.dispose()
    return counts


async def main(args) -> int:
    cluster = start_cluster()
    log("cluster ready")
    try:
        events: list = []
        fault_task = None if args.no_faults else asyncio.create_task(faults(events))
        result = await loadgen.run(CLUSTER_URL, args.conversations, args.concurrency, SECRET, retry_for_s=180)
        load_ended = time.time()
        if fault_task:
            await fault_task
    finally:
        stop_cluster(cluster)
    summary = result.summary()
    problems = [p for c in result.conversations for p in c.problems()]
    retried = {(t.sender, t.message_id) for t in result.turns if t.attempts > 1}
    stored = stored_user_messages({c.sender for c in result.conversations})
    twice = [key for key, count in stored.items() if count > 1 and (key[0], key[1]) not in retried]
    print(json.dumps({"through_the_load_balancer": summary, "faults": [name for name, _ in events],
                      "stored_twice_without_retry": len(twice), "problems": problems[:20]}, ensure_ascii=False, indent=1))
    # every fault must have hit the conversations while they ran
    missed = [name for name, at in events if at > load_ended]
    if not args.no_faults and (len(events) < 5 or missed):
        problems.append(f"faults after the load had ended: {missed or 'not all injected'}")
    ok = not problems and not twice and summary["failed_conversations"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-faults", action="store_true", help="load only: the cluster's throughput")
    sys.exit(asyncio.run(main(parser.parse_args())))
