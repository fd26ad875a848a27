"""What the metrics cost: one Rasa process's REST throughput with metrics on and off, in one run.

    .venv/bin/python scripts/benchmark_metrics.py [--turns 200] [--concurrency 4] [--rounds 2]
                                                  [--rasa-port 16011] [--actions-port 16061]

One action server (metrics on) serves every round. Each round starts Rasa twice on the same
port — with metrics (the default) and with METRICS=off (no wrappers, no probe port) — and sends
the same --turns REST messages (questions answered by the actions and by responses, each from
a new anonymous conversation) from --concurrency clients, after a warm-up. It reports turns a
second and the latency percentiles of each start; alternating on/off over --rounds spreads the
machine's noise over both. Everything it writes goes to a temporary directory, removed at the end.

The numbers depend on the machine and on what else runs on it: compare the rows of one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark import (  # noqa: E402
    API_TOKEN,
    ROOT,
    Processes,
    health_ready,
    percentile,
    project_environment,
    rasa_executable,
    require_free_ports,
    status_ready,
    wait_until,
    write_project_endpoints,
)

# answered by actions (regions, 위탁콜) and by plain responses (greeting, insurance)
MESSAGES = ["위탁콜이 뭐예요?", "대전도 위탁콜 돼요?", "위탁콜 탈 때 보험은 어떻게 돼요?", "안녕하세요"]
METRICS_OFFSET = 30  # as in the tests: the process's port + 30


def turn(url: str, number: int) -> float:
    started = time.perf_counter()
    answer = requests.post(f"{url}/webhooks/rest/webhook", timeout=120, json={
        "sender": f"bench-metrics-{uuid.uuid4().hex}", "message": MESSAGES[number % len(MESSAGES)]})
    answer.raise_for_status()
    if not answer.json():
        raise RuntimeError(f"no reply to {MESSAGES[number % len(MESSAGES)]!r}")
    return time.perf_counter() - started


def measure(url: str, turns: int, concurrency: int) -> Dict[str, float]:
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda n: turn(url, n), range(concurrency * 3)))  # warm-up
        started = time.perf_counter()
        latencies: List[float] = list(pool.map(lambda n: turn(url, n), range(turns)))
        elapsed = time.perf_counter() - started
    return {"turns_per_s": turns / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rasa-port", type=int, default=16011)
    parser.add_argument("--actions-port", type=int, default=16061)
    args = parser.parse_args()
    rasa = rasa_executable()
    require_free_ports(args.rasa_port, args.actions_port, args.rasa_port + METRICS_OFFSET,
                       args.actions_port + METRICS_OFFSET)
    procs = Processes()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        tmp = Path(folder)
        env = {
            **project_environment(),
            "DRIVER_TOKEN_SECRET": "bench-driver-secret-0123456789abcdef", "AGENT_TOKEN_SECRET": "bench-agent-secret-0123456789",
            "ADMIN_DB_URL": f"sqlite:///{tmp / 'admin.db'}", "ADMIN_DB_LOAD_DEMO": "1",
            "ASSIST_DB_URL": f"sqlite:///{tmp / 'assist.db'}", "ASSISTANT_VAR_DIR": str(tmp),
            "RATE_LIMIT_PER_SENDER_PER_MIN": "0", "RATE_LIMIT_PER_ADDRESS_PER_MIN": "0",
            "METRICS_PORT": str(args.rasa_port + METRICS_OFFSET),
            "ACTIONS_METRICS_PORT": str(args.actions_port + METRICS_OFFSET),
        }
        endpoints = tmp / "endpoints.yml"
        write_project_endpoints(endpoints, tmp, args.actions_port)
        url = f"http://127.0.0.1:{args.rasa_port}"
        try:
            actions = procs.start([rasa, "run", "actions", "--port", str(args.actions_port)], ROOT, env, tmp / "actions.log")
            wait_until(health_ready(f"http://127.0.0.1:{args.actions_port}"), actions, time.perf_counter(),
                       tmp / "actions.log", "the action server")
            for round_number in range(1, args.rounds + 1):
                for mode in ("on", "off"):
                    log = tmp / f"rasa-{round_number}-{mode}.log"
                    server = procs.start(
                        [rasa, "run", "--enable-api", "--auth-token", API_TOKEN, "--port", str(args.rasa_port),
                         "--model", str(ROOT / "models" / "current.tar.gz"), "--endpoints", str(endpoints),
                         "--credentials", str(ROOT / "credentials.yml")],
                        ROOT, {**env, "METRICS": mode}, log)
                    wait_until(status_ready(url), server, time.perf_counter(), log, f"Rasa (metrics {mode})")
                    result = measure(url, args.turns, args.concurrency)
                    if mode == "on":  # the counters saw the turns: the measured path is the instrumented one
                        scraped = requests.get(f"http://127.0.0.1:{args.rasa_port + METRICS_OFFSET}/metrics", timeout=10).text
                        assert "assistant_turns_total{" in scraped
                    rows.append({"round": round_number, "metrics": mode, **result})
                    print(f"round {round_number} metrics {mode:3}: {result['turns_per_s']:6.2f} turns/s  "
                          f"p50 {result['p50_ms']:6.0f} ms  p95 {result['p95_ms']:6.0f} ms", flush=True)
                    procs.stop(server)
        finally:
            procs.stop_all()
    on = statistics.median(row["turns_per_s"] for row in rows if row["metrics"] == "on")
    off = statistics.median(row["turns_per_s"] for row in rows if row["metrics"] == "off")
    print(f"\nmedian throughput: metrics on {on:.2f} turns/s, off {off:.2f} turns/s "
          f"({(off - on) / off * 100:+.1f}% cost of metrics; {args.turns} turns x {args.rounds} rounds, "
          f"concurrency {args.concurrency}, one Rasa process; noisy machine: compare rows of one run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
