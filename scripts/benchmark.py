"""Training, start-up, latency and memory numbers: this assistant vs a stock `rasa init` bot.

    .venv/bin/python scripts/benchmark.py [--skip-train] [--parse-requests 200] [--conversations 20]
        [--load-concurrency 10] [--load-conversations 80] [--load-runs 3] [--postgres off]

Run from anywhere after `make train` (it serves models/current.tar.gz); `make benchmark` does both.
Everything it writes (trained models, the stock bot, the admin and conversation databases, the
server logs) goes to a temporary directory that is removed at the end (--keep-tmp keeps it).
Both bots are measured the same way, one after the other, never two at the same time:

1. training time: `rasa train --force` (this project: into the temp dir;
   stock: in its `rasa init` directory). --skip-train reports "not measured".
2. start-up: from starting `rasa run --enable-api` until GET /status names a model_file. This
   project's action server is started (and waited for) first, as in production.
3. POST /model/parse latency over --parse-requests requests (Korean driver messages here,
   English ones for the stock bot), after one cold request that is reported on its own.
4. per-turn latency of a full conversation over the REST channel: here Q3 (콜 수락 제한, with
   the driver token, the action server and the admin database; the last reply must give the
   demo driver's suspension reason), for the stock bot its sad path (hi / I am sad / yes / bye).
   One warm-up conversation, then --conversations measured ones with new sender ids.
5. concurrent load (scripts/loadgen.py), the load a driver population produces: the seven demo
   drivers with tokens, half of the conversations the full Q3 with its lookup, interleaved with
   Q1 and Q2 conversations, --load-concurrency at a time. Every server is up by then (idle when
   not measured) so that the runs alternate — this project on the embedded SQLite default, the
   stock bot (its sad path, the same concurrency), this project with its conversations on
   PostgreSQL — and the ratios compare runs minutes apart, not a run before the other's
   training. Each server gets one warm-up run first; then --load-runs measured runs of
   --load-conversations conversations each, reported as the median run and the range. CPU
   seconds per message of each server and of this client are read from /proc (the client
   shares the cores: its share is what the servers did not get).
6. resident memory (VmRSS, with child processes) of each server after the runs.

The numbers depend on the machine and on whatever else runs on it: compare the columns of one
run, not runs on different machines.
"""
from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START_UP_TIMEOUT = 600.0  # s, per server (a busy shared machine takes minutes)
# Rasa's HTTP API (/status, /model/parse) is opened with a token, as in production
API_TOKEN = secrets.token_urlsafe(16)
# messages a single driver could send that are the slowest to parse (the event loop's worst case)
WORST_CASE_TEXTS = ["가" * 2000, "가나 " * 666, "콜마너" * 666, "ㅋ" * 2000, "😭 위탁콜 " * 250]
# the load: 10 concurrent conversations, 80 a run after one warm-up; also 50 once
LOAD_CONCURRENCY = 10
LOAD_CONVERSATIONS = 80
LOAD_RUNS = 3
HIGH_CONCURRENCY = 50
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
TRAIN_TIMEOUT = 3600.0  # s, per training
REQUEST_TIMEOUT = 60.0  # s, per HTTP request
STOP_TIMEOUT = 20.0  # s, between SIGTERM and SIGKILL
# each process's metrics and probes listen on its own port + this (as in the tests): two of this
# project's Rasa servers run side by side here, and neither may take the default 9105 of a `make serve`
METRICS_OFFSET = 30

PROJECT_PARSE_TEXTS = [
    "위탁콜이 뭐예요",
    "콜마너에서 콜 수락이 안 돼요",
    "대전도 되나요",
    "김민수 010-1234-5678",
    "수수료 정산 언제 돼요",
    "위탁콜 수수료는 얼마예요?",
    "콜마너 설치는 어떻게 해요",
    "부산에서도 위탁콜 받을 수 있나요",
    "카카오 계정이 정지됐어요",
    "상담원 연결해 주세요",
    "콜수락이 자꾸 안되여",
    "배차 제한 풀어주세요",
    "정산은 매주 언제 들어와요?",
    "네 카카오요",
    "고객이 저를 차단했대요",
    "안녕하세요",
    "감사합니다",
    "010-2345-6789",
    "위탁콜 가입하려면 뭐가 필요해요",
    "발주사 정책 때문에 콜이 안 잡힌대요",
]
STOCK_PARSE_TEXTS = [
    "hello",
    "I am sad",
    "hi there",
    "good morning",
    "yes",
    "no",
    "bye",
    "I am feeling great",
    "not good",
    "are you a bot?",
    "goodbye",
    "of course",
    "I'm so sad",
    "perfect",
    "never",
    "see you later",
]

PROJECT_TURNS = [
    "콜마너에서 콜 수락이 안 돼요 발주사 정책 때문이래요",
    "네 카카오요",
    "김민수",
    "010-1234-5678",
]
PROJECT_EXPECTED_LAST = "운행 중 사고 발생 후 미신고"  # fixtures/admin: D-1001's suspension
PROJECT_DRIVER = "D-1001"
STOCK_TURNS = ["hi", "I am sad", "yes", "bye"]
STOCK_EXPECTED_LAST = "Bye"


class BenchmarkError(RuntimeError):
    pass


# ── processes ────────────────────────────────────────────────────────────────────────────────


def rasa_executable() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "rasa", Path(sys.executable).parent / "rasa"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("rasa")
    if not found:
        raise BenchmarkError("rasa executable not found (run `make setup`)")
    return found


def project_environment() -> Dict[str, str]:
    """os.environ after `source scripts/env.sh`, as the project's scripts run Rasa."""
    output = subprocess.run(
        ["bash", "-c", 'source "$1" && env -0', "bash", str(ROOT / "scripts" / "env.sh")],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    env = {}
    for item in output.split(b"\0"):
        if b"=" in item:
            key, _, value = item.partition(b"=")
            env[key.decode()] = value.decode(errors="replace")
    return env


class Processes:
    """Every process the benchmark starts, each in its own process group, stopped at the end."""

    def __init__(self) -> None:
        self.running: List[subprocess.Popen] = []

    def start(self, args: Sequence[str], cwd: Path, env: Dict[str, str], log: Path) -> subprocess.Popen:
        handle = open(log, "ab")
        try:
            process = subprocess.Popen(
                list(args),
                cwd=str(cwd),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            handle.close()
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 10.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # children left behind in the group (if the leader exited first)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)

    def run_timed(self, args: Sequence[str], cwd: Path, env: Dict[str, str], log: Path, timeout: float) -> float:
        """Runs a command to completion (it is stopped at the timeout); its wall time in seconds."""
        start = time.perf_counter()
        process = self.start(args, cwd, env, log)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            raise BenchmarkError(f"`{' '.join(args)}` did not finish in {timeout:.0f} s; see {log}\n{tail(log)}")
        elapsed = time.perf_counter() - start
        self.stop(process)
        if code != 0:
            raise BenchmarkError(f"`{' '.join(args)}` failed (exit {code}); log {log}:\n{tail(log)}")
        return elapsed


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def require_free_ports(*ports: int) -> None:
    busy = [port for port in ports if not port_is_free(port)]
    if busy:
        raise BenchmarkError(f"port(s) {busy} already in use; pick others with --project-port/--actions-port/--stock-port")


def descendants(pid: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for child in children.get(current, []):
            found.append(child)
            todo.append(child)
    return found


def rss_mb(pid: int) -> Optional[float]:
    """VmRSS of the process and all its descendants, in MB (MiB)."""
    total_kb = 0
    seen = False
    for each in [pid] + descendants(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    seen = True
        except OSError:
            continue
    return total_kb / 1024 if seen else None


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen, start: float, log: Path, what: str
) -> float:
    """Seconds from `start` until ready() is true; fails if the process stops or at the timeout."""
    while True:
        if ready():
            return time.perf_counter() - start
        if process.poll() is not None:
            raise BenchmarkError(f"{what} stopped (exit {process.returncode}) before answering; log {log}:\n{tail(log)}")
        if time.perf_counter() - start > START_UP_TIMEOUT:
            raise BenchmarkError(f"{what} did not answer in {START_UP_TIMEOUT:.0f} s; log {log}:\n{tail(log)}")
        time.sleep(0.2)


def status_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            response = requests.get(f"{url}/status", params={"token": API_TOKEN}, timeout=2)
            return response.ok and bool(response.json().get("model_file"))
        except (requests.RequestException, ValueError):
            return False

    return ready


def health_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return requests.get(f"{url}/health", timeout=2).ok
        except requests.RequestException:
            return False

    return ready


# ── measurements ─────────────────────────────────────────────────────────────────────────────


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def check(response: requests.Response, log: Path) -> None:
    if not response.ok:
        raise BenchmarkError(
            f"{response.request.method} {response.url} answered {response.status_code}: {response.text[:300]}\n"
            f"log {log}:\n{tail(log)}"
        )


def measure_parse(url: str, texts: Sequence[str], count: int, log: Path) -> Dict[str, object]:
    session = requests.Session()

    def parse(text: str) -> float:
        start = time.perf_counter()
        response = session.post(f"{url}/model/parse", params={"token": API_TOKEN}, json={"text": text},
                                timeout=REQUEST_TIMEOUT)
        elapsed = time.perf_counter() - start
        check(response, log)
        if not response.json().get("intent"):
            raise BenchmarkError(f"/model/parse gave no intent for {text!r}: {response.text[:300]}")
        return elapsed * 1000

    cold = parse(texts[0])
    latencies = [parse(texts[i % len(texts)]) for i in range(count)]
    return {"cold_ms": cold, "ms": latencies}


def measure_assist(url: str, agent_secret: str, count: int, log: Path) -> Dict[str, List[float]]:
    """Warm-server latency of the agent-assist API (issue 3's target: suggest p95 ≤ 100 ms)."""
    from consignment.agent_auth import mint_agent_token

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {mint_agent_token('A-BENCH', agent_secret)}"

    def call(path: str, body: dict) -> float:
        start = time.perf_counter()
        response = session.post(f"{url}/webhooks/assist/{path}", json=body, timeout=REQUEST_TIMEOUT)
        elapsed = time.perf_counter() - start
        check(response, log)
        return elapsed * 1000

    call("suggest", {"text": PROJECT_PARSE_TEXTS[0]})  # warm-up
    drivers = [f"D-100{i}" for i in range(1, 8)]
    return {
        "suggest": [call("suggest", {"text": PROJECT_PARSE_TEXTS[i % len(PROJECT_PARSE_TEXTS)]}) for i in range(count)],
        "lookup": [call("lookup", {"driver_id": drivers[i % len(drivers)]}) for i in range(count)],
    }


def measure_conversations(
    url: str,
    turns: Sequence[str],
    expected_last: str,
    count: int,
    metadata: Optional[dict],
    prefix: str,
    log: Path,
) -> List[List[float]]:
    """Per-turn latencies (ms) of `count` conversations, after one warm-up conversation."""
    session = requests.Session()
    per_turn: List[List[float]] = [[] for _ in turns]
    for run in range(count + 1):
        sender = f"{prefix}-{run}-{uuid.uuid4().hex}"
        transcript = []
        replies: list = []
        for index, text in enumerate(turns):
            body: dict = {"sender": sender, "message": text}
            if metadata:
                body["metadata"] = metadata
            start = time.perf_counter()
            response = session.post(f"{url}/webhooks/rest/webhook", json=body, timeout=REQUEST_TIMEOUT)
            elapsed = (time.perf_counter() - start) * 1000
            check(response, log)
            replies = response.json()
            transcript.append(f"  > {text}")
            transcript.extend(f"  < {reply.get('text', reply)}" for reply in replies)
            if run > 0:  # run 0 is the warm-up
                per_turn[index].append(elapsed)
        last = " ".join(reply.get("text") or "" for reply in replies)
        if expected_last not in last:
            raise BenchmarkError(
                f"the conversation did not end as expected (wanted {expected_last!r} in the last reply):\n"
                + "\n".join(transcript)
            )
    return per_turn


def summarise_turns(per_turn: List[List[float]]) -> Dict[str, object]:
    every = [value for turn in per_turn for value in turn]
    totals = [sum(turn[i] for turn in per_turn) for i in range(len(per_turn[0]))]
    return {
        "turns": [(percentile(turn, 50), percentile(turn, 95)) for turn in per_turn],
        "all": (percentile(every, 50), percentile(every, 95)),
        "total": (percentile(totals, 50), percentile(totals, 95)),
    }


def write_project_endpoints(path: Path, tmp: Path, actions_port: int, tracker_db_url: Optional[str] = None) -> None:
    """The project's endpoints.yml (tracker store, response generator, selective domain) with
    the benchmark's port and files (`tracker_db_url`: conversations in that database instead)."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    endpoints["action_endpoint"] = {**endpoints["action_endpoint"], "url": f"http://127.0.0.1:{actions_port}/webhook"}
    if tracker_db_url is None:
        endpoints["tracker_store"] = {**endpoints["tracker_store"], "db": str(tmp / "conversations.db")}
    else:
        endpoints["tracker_store"] = {"type": endpoints["tracker_store"]["type"], "url": tracker_db_url}
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False), encoding="utf-8")


def measure_worst_case_parse(url: str, log: Path) -> float:
    """The longest one message holds the server: 2,000-character pathological messages."""
    slowest = 0.0
    for text in WORST_CASE_TEXTS * 3:
        start = time.perf_counter()
        check(requests.post(f"{url}/model/parse", params={"token": API_TOKEN}, json={"text": text},
                            timeout=REQUEST_TIMEOUT), log)
        slowest = max(slowest, (time.perf_counter() - start) * 1000)
    return slowest


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its descendants (s)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in [pid] + descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / ticks


def load_run(url: str, secret: str, mix: str, conversations: int, concurrency: int,
             watched: Dict[str, int]) -> dict:
    """One run of scripts/loadgen.py; its summary with the CPU each watched process (and this
    client) spent a message."""
    import asyncio

    sys.path.insert(0, str(ROOT / "scripts"))
    import loadgen

    before = {name: cpu_seconds(pid) for name, pid in watched.items()}
    client_before = time.process_time()
    run = asyncio.run(loadgen.run(url, conversations, concurrency, secret, mix=mix))
    client_cpu = time.process_time() - client_before
    summary = run.summary()
    if summary["failed_conversations"]:
        problems = [p for c in run.conversations for p in c.problems()][:5]
        raise BenchmarkError(f"load ({mix}) at {concurrency} concurrent: {problems}")
    messages = max(1, summary["messages"])
    summary["cpu_ms_per_msg"] = {
        **{name: round(1000 * (cpu_seconds(pid) - before[name]) / messages, 1) for name, pid in watched.items()},
        "client": round(1000 * client_cpu / messages, 1),
    }
    return summary


def median_run(runs: List[dict]) -> dict:
    """The run with the median throughput, with the range of every run."""
    ordered = sorted(runs, key=lambda run: run["msg_per_s"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["runs"] = len(runs)
    chosen["msg_per_s_range"] = (ordered[0]["msg_per_s"], ordered[-1]["msg_per_s"])
    chosen["p95_ms_range"] = (min(r["p95_ms"] for r in runs), max(r["p95_ms"] for r in runs))
    return chosen


def start_project_server(procs: "Processes", rasa: str, model: Path, port: int, endpoints: Path,
                         env: Dict[str, str], log: Path) -> subprocess.Popen:
    return procs.start(
        [rasa, "run", "--enable-api", "--auth-token", API_TOKEN, "--port", str(port), "--model", str(model),
         "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")],
        ROOT, dict(env, METRICS_PORT=str(port + METRICS_OFFSET)), log,
    )


def bench_project(args: argparse.Namespace, procs: Processes, env: Dict[str, str], tmp: Path, rasa: str) -> dict:
    """Single-client measurements; the servers stay up for the load comparison (`result["_servers"]`)."""
    from consignment.identity import mint_driver_token

    result: dict = {}
    model = Path(args.model).resolve()
    if not model.exists():
        raise BenchmarkError(f"{model} not found: train first (`make train`)")
    result["model"] = f"{model.name} ({model.stat().st_size / 2**20:.1f} MB)"

    secret = secrets.token_urlsafe(32)
    agent_secret = secrets.token_urlsafe(32)
    server_env = dict(
        env,
        DRIVER_TOKEN_SECRET=secret,
        AGENT_TOKEN_SECRET=agent_secret,
        # the embedded defaults (var/: admin data with the demo drivers, agent assist, logs), in tmp
        ASSISTANT_VAR_DIR=str(tmp / "var"),
        # the load comes from this one machine and one agent
        RATE_LIMIT_PER_ADDRESS_PER_MIN="0", RATE_LIMIT_PER_SENDER_PER_MIN="0", RATE_LIMIT_PER_AGENT_PER_MIN="0",
    )
    actions_env = dict(
        server_env,
        # the day fixtures/admin describes (tests/conftest.py): D-1001 is suspended
        ASSISTANT_NOW=args.now,
    )
    endpoints = tmp / "endpoints.yml"
    write_project_endpoints(endpoints, tmp, args.actions_port)

    print(f"[project] action server on :{args.actions_port} …", flush=True)
    actions_log = tmp / "project-actions.log"
    start = time.perf_counter()
    actions = procs.start([rasa, "run", "actions", "--port", str(args.actions_port)], ROOT,
                          dict(actions_env, ACTIONS_METRICS_PORT=str(args.actions_port + METRICS_OFFSET)), actions_log)
    actions_url = f"http://127.0.0.1:{args.actions_port}"
    result["actions_startup_s"] = wait_until(health_ready(actions_url), actions, start, actions_log, "the action server")

    print(f"[project] Rasa server on :{args.project_port} with {model} …", flush=True)
    server_log = tmp / "project-rasa.log"
    url = f"http://127.0.0.1:{args.project_port}"
    start = time.perf_counter()
    server = start_project_server(procs, rasa, model, args.project_port, endpoints, server_env, server_log)
    result["startup_s"] = wait_until(status_ready(url), server, start, server_log, "the Rasa server")
    print(f"[project] up in {result['startup_s']:.1f} s; /model/parse ×{args.parse_requests} …", flush=True)

    result["parse"] = measure_parse(url, PROJECT_PARSE_TEXTS, args.parse_requests, server_log)
    print(f"[project] Q3 conversation ×{args.conversations} (+1 warm-up) …", flush=True)
    token = mint_driver_token(PROJECT_DRIVER, secret)
    per_turn = measure_conversations(
        url, PROJECT_TURNS, PROJECT_EXPECTED_LAST, args.conversations, {"driver_token": token}, "bench-q3",
        server_log,
    )
    result["conversation"] = summarise_turns(per_turn)
    print(f"[project] agent assist suggest/lookup ×{args.parse_requests} …", flush=True)
    result["assist"] = measure_assist(url, agent_secret, args.parse_requests, server_log)
    print("[project] worst-case parse (2,000-character messages) …", flush=True)
    result["worst_parse_ms"] = measure_worst_case_parse(url, server_log)
    result["_servers"] = {"url": url, "secret": secret, "server": server, "actions": actions,
                          "env": server_env, "model": model}
    return result


def start_postgres_project(args: argparse.Namespace, procs: Processes, tmp: Path, rasa: str,
                           project: dict) -> Optional[dict]:
    """This project's Rasa server with its conversations and agent assist on a throw-away
    PostgreSQL database (the action server is shared); None, with the reason printed, when
    PostgreSQL cannot be reached."""
    import sqlalchemy as sa

    name = f"benchmark_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError as error:
        print(f"[postgres] not measured: {type(error).__name__}: {str(error).splitlines()[0]}", flush=True)
        return None
    url_db = f"{args.postgres}/{name}"
    servers = project["_servers"]
    endpoints = tmp / "endpoints-postgres.yml"
    write_project_endpoints(endpoints, tmp, args.actions_port, tracker_db_url=url_db)
    env = dict(servers["env"], ASSIST_DB_URL=url_db)
    log = tmp / "postgres-rasa.log"
    print(f"[postgres] Rasa server on :{args.postgres_port}, conversations in {name} …", flush=True)
    start = time.perf_counter()
    server = start_project_server(procs, rasa, servers["model"], args.postgres_port, endpoints, env, log)
    url = f"http://127.0.0.1:{args.postgres_port}"
    startup = wait_until(status_ready(url), server, start, log, "the Rasa server on PostgreSQL")
    return {"url": url, "server": server, "startup_s": startup, "database": name, "admin": admin}


def drop_postgres_database(postgres: Optional[dict]) -> None:
    if postgres is None:
        return
    import sqlalchemy as sa

    try:
        with postgres["admin"].connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{postgres["database"]}" WITH (FORCE)'))
    finally:
        postgres["admin"].dispose()


def compare_under_load(args: argparse.Namespace, project: dict, stock: dict, postgres: Optional[dict]) -> dict:
    """The runs of each server alternate (one warm-up each first): the same minutes of the
    machine's noise for every column."""
    servers = project["_servers"]
    rasa_pid, actions_pid = servers["server"].pid, servers["actions"].pid
    subjects = [("project", servers["url"], "population", {"rasa": rasa_pid, "actions": actions_pid})]
    if stock.get("_server") is not None:
        subjects.append(("stock", stock["_url"], "stock", {"rasa": stock["_server"].pid}))
    if postgres is not None:
        subjects.append(("postgres", postgres["url"], "population",
                         {"rasa": postgres["server"].pid, "actions": actions_pid}))
    runs: Dict[str, List[dict]] = {name: [] for name, *_ in subjects}
    for name, url, mix, watched in subjects:
        print(f"[{name}] warm-up: {args.load_concurrency} conversations …", flush=True)
        load_run(url, servers["secret"], mix, args.load_concurrency, args.load_concurrency, watched)
    for number in range(args.load_runs):
        for name, url, mix, watched in subjects:
            summary = load_run(url, servers["secret"], mix, args.load_conversations, args.load_concurrency, watched)
            runs[name].append(summary)
            print(f"[{name}] load run {number + 1}/{args.load_runs} ×{args.load_concurrency}: {summary}", flush=True)
    result = {name: median_run(each) for name, each in runs.items()}
    if args.high_concurrency:
        high = load_run(servers["url"], servers["secret"], "population", max(args.load_conversations, 4 * args.high_concurrency),
                        args.high_concurrency, {"rasa": rasa_pid, "actions": actions_pid})
        print(f"[project] load ×{args.high_concurrency}: {high}", flush=True)
        result["project_high"] = high
    return result


def bench_stock(args: argparse.Namespace, procs: Processes, env: Dict[str, str], tmp: Path, rasa: str) -> dict:
    result: dict = {}
    stock = tmp / "stock"
    print(f"[stock] server on :{args.stock_port} …", flush=True)
    models = sorted((stock / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise BenchmarkError(f"the stock bot has no model in {stock / 'models'}")
    model = models[-1]
    result["model"] = f"{model.name} ({model.stat().st_size / 2**20:.1f} MB)"
    server_log = tmp / "stock-rasa.log"
    url = f"http://127.0.0.1:{args.stock_port}"
    start = time.perf_counter()
    server = procs.start(
        [rasa, "run", "--enable-api", "--auth-token", API_TOKEN, "--port", str(args.stock_port), "--model", str(model)],
        stock, env, server_log,
    )
    result["startup_s"] = wait_until(status_ready(url), server, start, server_log, "the stock Rasa server")
    print(f"[stock] up in {result['startup_s']:.1f} s; /model/parse ×{args.parse_requests} …", flush=True)
    result["parse"] = measure_parse(url, STOCK_PARSE_TEXTS, args.parse_requests, server_log)
    print(f"[stock] conversation ×{args.conversations} (+1 warm-up) …", flush=True)
    per_turn = measure_conversations(
        url, STOCK_TURNS, STOCK_EXPECTED_LAST, args.conversations, None, "bench-stock", server_log
    )
    result["conversation"] = summarise_turns(per_turn)
    result["_server"], result["_url"] = server, url  # up for the load comparison
    return result


def train_project(args: argparse.Namespace, procs: Processes, env: Dict[str, str], tmp: Path, rasa: str) -> float:
    print("[project] rasa train --force …", flush=True)
    return procs.run_timed(
        [rasa, "train", "--out", str(tmp / "project-models"),
         "--fixed-model-name", "bench", "--force"],
        ROOT, dict(env, RASA_CACHE_DIRECTORY=str(tmp / "cache-project")),
        tmp / "project-train.log", TRAIN_TIMEOUT,
    )


def init_stock(args: argparse.Namespace, procs: Processes, env: Dict[str, str], tmp: Path, rasa: str) -> dict:
    stock = tmp / "stock"
    stock.mkdir()
    stock_env = dict(env, RASA_CACHE_DIRECTORY=str(tmp / "cache-stock"))
    print("[stock] rasa init --no-prompt (creates and trains the bot) …", flush=True)
    result = {
        "init_s": procs.run_timed(
            [rasa, "init", "--no-prompt", "--init-dir", str(stock)], tmp, stock_env, tmp / "stock-init.log", TRAIN_TIMEOUT
        )
    }
    if not args.skip_train:
        print("[stock] rasa train --force …", flush=True)
        result["train_s"] = procs.run_timed(
            [rasa, "train", "--force"], stock, stock_env, tmp / "stock-train.log", TRAIN_TIMEOUT
        )
    return result


# ── report ───────────────────────────────────────────────────────────────────────────────────


def seconds(value: Optional[float]) -> str:
    return "not measured" if value is None else f"{value:.1f}"


def ms_pair(pair: Optional[tuple]) -> str:
    return "—" if pair is None else f"{pair[0]:.0f} / {pair[1]:.0f}"


def mb(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.0f}"


def table(project: dict, stock: dict, args: argparse.Namespace) -> str:
    rows = []

    def row(metric: str, ours: str, theirs: str) -> None:
        rows.append(f"| {metric} | {ours} | {theirs} |")

    def get(result: dict, *keys):
        for key in keys:
            if not isinstance(result, dict) or key not in result:
                return None
            result = result[key]
        return result

    def parse_pair(result: dict) -> Optional[tuple]:
        values = get(result, "parse", "ms")
        return (percentile(values, 50), percentile(values, 95)) if values else None

    row("model", get(project, "model") or "—", get(stock, "model") or "—")
    row("training time, `rasa train --force` (s)", seconds(get(project, "train_s")), seconds(get(stock, "train_s")))
    row("start-up until /status answers (s)", seconds(get(project, "startup_s")), seconds(get(stock, "startup_s")))
    row("action server start-up until /health (s)", seconds(get(project, "actions_startup_s")), "— (not used)")
    cold_ours, cold_theirs = get(project, "parse", "cold_ms"), get(stock, "parse", "cold_ms")
    row("first /model/parse after start-up (ms)",
        "—" if cold_ours is None else f"{cold_ours:.0f}", "—" if cold_theirs is None else f"{cold_theirs:.0f}")
    row(f"/model/parse p50 / p95 (ms, {args.parse_requests} requests)", ms_pair(parse_pair(project)), ms_pair(parse_pair(stock)))
    for index, (ours_text, stock_text) in enumerate(zip(PROJECT_TURNS, STOCK_TURNS)):
        row(
            f"turn {index + 1} p50 / p95 (ms): “{ours_text}” · “{stock_text}”",
            ms_pair(get(project, "conversation", "turns")[index] if get(project, "conversation") else None),
            ms_pair(get(stock, "conversation", "turns")[index] if get(stock, "conversation") else None),
        )
    row(f"any turn p50 / p95 (ms, {args.conversations} conversations × 4 turns)",
        ms_pair(get(project, "conversation", "all")), ms_pair(get(stock, "conversation", "all")))
    row("whole 4-turn conversation p50 / p95 (ms)",
        ms_pair(get(project, "conversation", "total")), ms_pair(get(stock, "conversation", "total")))
    for name in ("suggest", "lookup"):
        values = get(project, "assist", name)
        row(f"agent assist {name} p50 / p95 (ms, warm)",
            ms_pair((percentile(values, 50), percentile(values, 95)) if values else None), "—")
    worst = get(project, "worst_parse_ms")
    row("slowest /model/parse of a 2,000-character message (ms)", "—" if worst is None else f"{worst:.0f}", "—")
    row("RSS of the Rasa server (MB)", mb(get(project, "rss_server_mb")), mb(get(stock, "rss_server_mb")))
    row("RSS of the action server (MB)", mb(get(project, "rss_actions_mb")), "— (not used)")
    total_ours = None
    if get(project, "rss_server_mb") is not None and get(project, "rss_actions_mb") is not None:
        total_ours = project["rss_server_mb"] + project["rss_actions_mb"]
    row("RSS in all (MB)", mb(total_ours), mb(get(stock, "rss_server_mb")))
    return "\n".join(["| metric | this project | stock rasa init |", "|---|---|---|", *rows])


def load_table(loads: dict, project: dict, stock: dict, postgres: Optional[dict], args: argparse.Namespace) -> str:
    """The concurrent runs: median run (range over runs), CPU a message, ratios to the stock bot."""
    columns = [("project", "this project, embedded SQLite"), ("postgres", "this project, PostgreSQL"),
               ("stock", "stock `rasa init`, in-memory")]
    columns = [(key, title) for key, title in columns if key in loads]
    rows = ["| " + " | ".join(["", *(title for _, title in columns)]) + " |",
            "|---" * (len(columns) + 1) + "|"]

    def row(metric: str, cell) -> None:
        rows.append("| " + " | ".join([metric, *(cell(loads[key]) for key, _ in columns)]) + " |")

    row(f"msg/s, median of {args.load_runs} runs (range)",
        lambda r: f"**{r['msg_per_s']}** ({r['msg_per_s_range'][0]}–{r['msg_per_s_range'][1]})")
    row("p50 / p95 of a turn (ms), that run", lambda r: f"{r['p50_ms']} / **{r['p95_ms']}**")
    row("p95 over the runs (ms)", lambda r: f"{r['p95_ms_range'][0]}–{r['p95_ms_range'][1]}")
    row("CPU ms a message: Rasa · actions · this client",
        lambda r: " · ".join(str(r["cpu_ms_per_msg"].get(k, "—")) for k in ("rasa", "actions", "client")))
    if "stock" in loads:
        row("throughput ÷ stock bot's", lambda r: f"{r['msg_per_s'] / loads['stock']['msg_per_s']:.2f}×")
    rss = {"project": project.get("rss_server_mb"), "stock": stock.get("rss_server_mb"),
           "postgres": (postgres or {}).get("rss_server_mb")}
    rows.append("| " + " | ".join(["RSS of the Rasa server after the runs (MB)",
                                    *(mb(rss[key]) for key, _ in columns)]) + " |")
    high = loads.get("project_high")
    text = [f"Concurrent: {args.load_concurrency} conversations at a time, {args.load_conversations} a run after one "
            f"warm-up; this project: the driver population (7 drivers with tokens; half Q3 with its lookup, "
            f"Q1 and Q2 interleaved); the stock bot: its sad path.", "", *rows]
    if high:
        text += ["", f"This project at {args.high_concurrency} concurrent, embedded SQLite, one run: "
                     f"{high['msg_per_s']} msg/s · p50 / p95 {high['p50_ms']} / {high['p95_ms']} ms."]
    return "\n".join(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-train", action="store_true", help="no training runs: training time 'not measured'")
    parser.add_argument("--skip-stock", action="store_true", help="measure this project only")
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"), help="this project's model to serve")
    parser.add_argument("--parse-requests", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--project-port", type=int, default=25005)
    parser.add_argument("--actions-port", type=int, default=25055)
    parser.add_argument("--stock-port", type=int, default=25006)
    parser.add_argument("--postgres-port", type=int, default=25007)
    parser.add_argument("--postgres", default=POSTGRES_SERVER,
                        help="PostgreSQL server for the conversations-on-PostgreSQL column ('off': none)")
    parser.add_argument("--load-concurrency", type=int, default=LOAD_CONCURRENCY)
    parser.add_argument("--load-conversations", type=int, default=LOAD_CONVERSATIONS)
    parser.add_argument("--load-runs", type=int, default=LOAD_RUNS)
    parser.add_argument("--high-concurrency", type=int, default=HIGH_CONCURRENCY, help="one more run at this (0: none)")
    parser.add_argument("--now", default="2026-11-29T12:00:00+09:00", help="ASSISTANT_NOW for the action server")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (logs, models)")
    args = parser.parse_args()
    if args.parse_requests < 2 or args.conversations < 2:
        parser.error("--parse-requests and --conversations must be at least 2")

    # a SIGTERM (or the make target interrupted) still stops every server started here
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rasa = rasa_executable()
    env = project_environment()
    tmp = Path(tempfile.mkdtemp(prefix="rasa-benchmark-"))
    procs = Processes()
    project: dict = {}
    stock: dict = {}
    postgres: Optional[dict] = None
    loads: dict = {}
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    try:
        ports = ([args.project_port, args.actions_port] + ([] if args.skip_stock else [args.stock_port])
                 + ([] if args.postgres == "off" else [args.postgres_port]))
        require_free_ports(*ports, *(port + METRICS_OFFSET for port in ports))
        print(f"benchmark: {os.cpu_count()} CPUs · load {load_at_start:.2f} · tmp {tmp}", flush=True)
        if not args.skip_train:
            project["train_s"] = train_project(args, procs, env, tmp, rasa)
            print(f"[project] trained in {project['train_s']:.1f} s", flush=True)
        if not args.skip_stock:
            stock.update(init_stock(args, procs, env, tmp, rasa))
            if "train_s" in stock:
                print(f"[stock] trained in {stock['train_s']:.1f} s", flush=True)
        project.update(bench_project(args, procs, env, tmp, rasa))
        if not args.skip_stock:
            stock.update(bench_stock(args, procs, env, tmp, rasa))
        if args.postgres != "off":
            postgres = start_postgres_project(args, procs, tmp, rasa, project)
        loads = compare_under_load(args, project, stock, postgres)
        servers = project["_servers"]
        project["rss_server_mb"] = rss_mb(servers["server"].pid)
        project["rss_actions_mb"] = rss_mb(servers["actions"].pid)
        if stock.get("_server") is not None:
            stock["rss_server_mb"] = rss_mb(stock["_server"].pid)
        if postgres is not None:
            postgres["rss_server_mb"] = rss_mb(postgres["server"].pid)
    except BenchmarkError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        args.keep_tmp = True
        return 1
    except BaseException:
        args.keep_tmp = True  # the logs tell what happened
        raise
    finally:
        procs.stop_all()
        drop_postgres_database(postgres)
        if args.keep_tmp:
            print(f"(kept {tmp})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        f"Measured on {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
        f"(other work on the machine slows every number); the benchmark took "
        f"{(time.perf_counter() - started) / 60:.1f} min. Latencies over HTTP from this machine; "
        f"each conversation measured after one warm-up conversation."
    )
    if not args.skip_stock and "init_s" in stock:
        print(f"(`rasa init --no-prompt` incl. its first training: {stock['init_s']:.1f} s)")
    print()
    print(table(project, stock, args))
    print()
    print(load_table(loads, project, stock, postgres, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
