"""``zhufang bench instructions --part load``: officers feeding back against the app served as in
production, driven by Debian's ``wrk``; then the exactly-once check.

One child process (Django configured for a fresh PostgreSQL database) prepares the county, houses and
signed-for items (every district's items split between its community officer and its auxiliary),
starts gunicorn (``zhufang.wsgi`` with ``benchmarks.instructions_settings``: the product settings plus
the bare baseline endpoint), logs every officer in over HTTP (session cookie + CSRF token), and runs
``wrk`` with ``instructions_wrk.lua``:

* ``http_bare`` — the baseline: ``POST /bench/bare/{id}`` (idempotency key, row lock, one event);
* ``http_feedback`` — ``POST /api/v1/instructions/items/{id}/feedback`` with a JSON body valid for
  the category and an ``Idempotency-Key``, each item once, plus a share of retries with the same key
  and body a few requests later (often concurrent with the first attempt, on another connection);
* ``http_photo`` — ``POST /api/v1/instructions/items/{id}/photos``, a small JPEG as multipart.

Each is run ``--repeat`` times, interleaved, on items not used before. After every run the database
is checked: every acknowledged (2xx) submission stored exactly once (``check_exactly_once``).

Server: ``gunicorn zhufang.wsgi`` with ``--workers 2 --threads 4`` (gthread, what ``zhufang serve``
runs; ``--servers 4x1,2x8`` measures others), ``--backlog 1024 --timeout 60``, keep-alive at its
default (2 s), no access log; the product settings (PostgreSQL with ``CONN_MAX_AGE=60``, no health
checks, database sessions). wrk: 2 threads, ``--connections`` (default 16), 10 s timeout. Besides
requests/s and latency, each row has the CPU time the server side (gunicorn workers + PostgreSQL
backends) spent per answered request, and how many cores other work kept busy meanwhile: on a
shared machine these say more than requests/s alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LUA = HERE / "instructions_wrk.lua"
ROOT = HERE.parent
FEEDBACK_ENDPOINT = "instructions.feedback:"
PHOTO_ENDPOINT = "instructions.photo:"
ITEM_TYPE = "instructions.instructionitem"
#: a valid feedback for the population category (result required, location required, no photo)
FEEDBACK_BODY = {
    "data": {"result": "信息属实", "residents_now": 3, "remarks": "压测反馈"},
    "lon": 118.5,
    "lat": 36.5,
    "accuracy_m": 8,
}
#: the smallest JPEG the photo check accepts (SOI + APP0 marker and padding)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 2000 + b"\xff\xd9"


# --- what is sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """An officer logged in over HTTP: the cookies a phone would hold."""

    officer_id: int
    cookie: str
    csrf: str


def request_lines(
    items_by_officer: Mapping[int, Sequence[int]],
    sessions: Mapping[int, Session],
    *,
    path: str,
    key_prefix: str,
    body: Mapping[str, Any] | None,
    retry_share: float,
    seed: int = 2026,
) -> list[tuple[str, str, str, str, str]]:
    """The requests of one run (path, cookie, CSRF token, key, JSON body): every item once, officers
    interleaved, and ``retry_share`` of them again with the same key and body 1–8 requests later."""
    rng = random.Random(seed)
    queues = [[(officer, item) for item in items] for officer, items in sorted(items_by_officer.items())]
    order: list[tuple[int, int]] = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
    lines: list[tuple[str, str, str, str, str]] = []
    retries: list[tuple[int, tuple[str, str, str, str, str]]] = []
    for n, (officer, item) in enumerate(order):
        session = sessions[officer]
        line = (path.format(item=item), session.cookie, session.csrf, f"{key_prefix}-{item}", text)
        lines.append(line)
        if rng.random() < retry_share:
            retries.append((n + rng.randint(1, 8), line))
        while retries and retries[0][0] <= n:
            lines.append(retries.pop(0)[1])
        retries.sort(key=lambda r: r[0])
    lines.extend(line for _at, line in retries)
    return lines


# --- the exactly-once check --------------------------------------------------------------------


@dataclass
class ExactlyOnce:
    """What the database holds for one run's submissions."""

    acknowledged: int = 0  # distinct items whose submission got a 2xx
    stored: int = 0  # distinct submitted items with a fed-back event
    lost: list[int] = field(default_factory=list)  # acknowledged, but not stored as fed back
    doubled: list[int] = field(default_factory=list)  # more than one fed-back event
    key_rows_wrong: list[int] = field(default_factory=list)  # acknowledged, but not one key row
    stored_unacknowledged: int = 0  # stored although no 2xx reached the client (a timeout)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.key_rows_wrong)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        return {
            "acknowledged": self.acknowledged,
            "stored": self.stored,
            "lost": len(self.lost),
            "doubled": len(self.doubled),
            "key_rows_wrong": len(self.key_rows_wrong),
            "stored_unacknowledged": self.stored_unacknowledged,
            "exactly_once": self.ok,
            "examples": {k: v[:5] for k, v in found.items() if isinstance(v, list) and v},
        }


def check_exactly_once(acknowledged: Mapping[int, str], submitted: Iterable[int]) -> ExactlyOnce:
    """Every acknowledged feedback (item id → its Idempotency-Key) must be stored exactly once: one
    ``instruction.fed_back`` event, the item fed back, one idempotency row for its key; and no
    submitted item may have two fed-back events."""
    from zhufang.events.models import DomainEvent
    from zhufang.idempotency.models import IdempotentRequest
    from zhufang.instructions.models import InstructionItem, ItemStatus

    items = sorted(set(submitted) | set(acknowledged))
    events: Counter[int] = Counter()
    status: dict[int, str] = {}
    key_rows: Counter[tuple[int, str]] = Counter()
    for start in range(0, len(items), 5000):
        part = items[start : start + 5000]
        events.update(
            int(object_id)
            for object_id in DomainEvent.objects.filter(
                kind="instruction.fed_back", object_type=ITEM_TYPE, object_id__in=[str(i) for i in part]
            ).values_list("object_id", flat=True)
        )
        status.update(InstructionItem.objects.filter(pk__in=part).values_list("pk", "status"))
        endpoints = {f"{FEEDBACK_ENDPOINT}{i}": i for i in part}
        key_rows.update(
            (endpoints[endpoint], key)
            for endpoint, key in IdempotentRequest.objects.filter(endpoint__in=list(endpoints)).values_list(
                "endpoint", "key"
            )
        )
    report = ExactlyOnce(acknowledged=len(acknowledged), stored=sum(1 for i in items if events[i]))
    for item, key in sorted(acknowledged.items()):
        if events[item] == 0 or status.get(item) != ItemStatus.FED_BACK:
            report.lost.append(item)
        if key_rows[(item, key)] != 1:
            report.key_rows_wrong.append(item)
    report.doubled = [i for i in items if events[i] > 1]
    report.stored_unacknowledged = sum(1 for i in items if events[i] and i not in acknowledged)
    return report


def acknowledged_items(responses: Iterable[str], keys: Mapping[int, str]) -> tuple[dict[int, str], Counter[int]]:
    """From wrk's response lines ("status<TAB>body"): {item id: key} of the 2xx answers, and the
    count of answers per status."""
    acked: dict[int, str] = {}
    statuses: Counter[int] = Counter()
    for line in responses:
        status_text, _tab, body = line.rstrip("\n").partition("\t")
        if not status_text.isdigit():
            continue
        status = int(status_text)
        statuses[status] += 1
        if 200 <= status < 300:
            found = re.search(r'"id":\s*(\d+)', body)
            if found and int(found.group(1)) in keys:
                acked[int(found.group(1))] = keys[int(found.group(1))]
    return acked, statuses


# --- serving and driving -----------------------------------------------------------------------


def ensure_wrk() -> str:
    """The ``wrk`` binary, installed from Debian through the project's script when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    script = ROOT / "scripts" / "ensure_system_packages.sh"
    done = subprocess.run(["bash", str(script), "wrk"], check=False)  # noqa: S603, S607 - our own script
    found = shutil.which("wrk")
    if done.returncode != 0 or not found:
        raise SystemExit(
            "zhufang bench instructions: the load run needs Debian's wrk; install it with "
            "`scripts/ensure_system_packages.sh wrk` (apt-get install wrk) and run again"
        )
    return found


class Gunicorn:
    """The app served as in production: gunicorn, several worker processes, no access log."""

    def __init__(self, port: int, workers: int, threads: int, env: Mapping[str, str], log_path: Path) -> None:
        self.port, self.workers, self.threads, self.log_path = port, workers, threads, log_path
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "zhufang.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--backlog",
            "1024",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.instructions_settings"}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "threads": self.threads,
            "worker_class": "gthread" if self.threads > 1 else "sync",
            "args": " ".join(self.args[3:]),
        }

    def __enter__(self) -> Gunicorn:
        self.log = open(self.log_path, "wb")  # closed in __exit__
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter
            self.args, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    # every worker loads the app on its first request: warm them all up
                    for _ in range(self.workers * 4):
                        warm = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                        warm.request("GET", "/login/")
                        warm.getresponse().read()
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited before serving: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: dict[str, str] = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _eq, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def log_in(port: int, officer_id: int, police_number: str, password: str) -> Session:
    """The login page's form, as a browser posts it: a CSRF cookie first, then 警号 + password."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    first = conn.getresponse()
    first.read()
    token = _cookies(first)["csrftoken"]
    form = urllib.parse.urlencode({"police_number": police_number, "password": password, "csrfmiddlewaretoken": token})
    conn.request(
        "POST",
        "/login/",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={token}"},
    )
    answer = conn.getresponse()
    answer.read()
    jar = _cookies(answer)
    if answer.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login of {police_number} failed: HTTP {answer.status}")
    csrf = jar.get("csrftoken", token)  # login rotates the CSRF token
    return Session(officer_id, f"sessionid={jar['sessionid']}; csrftoken={csrf}", csrf)


def wait_until_idle(timeout: float = 30.0) -> None:
    """Wait until no other session of this database runs a statement or holds a transaction open: a
    request wrk gave up on (or was cut off by the end of the run) may still commit after wrk exits."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            (busy,) = cursor.fetchone()
        if not busy:
            return
        time.sleep(0.2)


def sent_lines(lines: Sequence[Any], responses_per_thread: Sequence[int], threads: int) -> list[Any]:
    """The lines wrk got answers to: thread n sends lines n, n + threads, … in order."""
    sent: list[Any] = []
    for n, answered in enumerate(responses_per_thread):
        sent.extend(lines[n::threads][:answered])
    return sent


def _process_cpu() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU seconds used)} of every process, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def _server_pids(master_pid: int) -> tuple[set[int], set[int]]:
    """(gunicorn workers, PostgreSQL backends serving this database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = {row[0] for row in cursor.fetchall()}
    return {pid for pid, (ppid, _cpu) in _process_cpu().items() if ppid == master_pid}, backends


class ServerCpu:
    """CPU seconds the server side (gunicorn workers, PostgreSQL backends) spent during a run: a
    figure per request that other load on the machine disturbs far less than requests/s."""

    def __init__(self, master_pid: int | None) -> None:
        self.master_pid = master_pid
        self.before = _process_cpu() if master_pid else {}

    def seconds(self) -> tuple[float, float] | None:
        """(gunicorn workers, PostgreSQL backends)."""
        if not self.master_pid:
            return None
        now = _process_cpu()
        workers, backends = _server_pids(self.master_pid)

        def spent(pids: set[int]) -> float:
            return sum(now[p][1] - self.before.get(p, (0, 0.0))[1] for p in pids if p in now)

        return spent(workers), spent(backends)


def machine_busy_seconds() -> float:
    """CPU seconds all cores have been busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_wrk(
    case: str,
    lines: Sequence[tuple[str, str, str, str, str]],
    *,
    port: int,
    workdir: Path,
    duration: int,
    connections: int,
    jpeg: Path | None = None,
    server_pid: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """One wrk run over ``lines``; returns its figures and the response lines."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{case}-", dir=workdir))
    requests = run_dir / "requests.tsv"
    requests.write_text("".join("\t".join(line) + "\n" for line in lines), encoding="utf-8")
    threads = 2
    load_before = load_average()
    args = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(requests),
        str(run_dir),
        str(threads),
        str(jpeg or ""),
    ]
    cpu = ServerCpu(server_pid)
    busy_before = machine_busy_seconds()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - wrk, fixed args
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_seconds = cpu.seconds()
    busy = machine_busy_seconds() - busy_before
    figures = next((line for line in done.stdout.splitlines() if line.startswith("ZHUFANG_WRK ")), None)
    if done.returncode != 0 or figures is None:
        raise RuntimeError(f"wrk failed ({case}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    wrk = json.loads(figures.removeprefix("ZHUFANG_WRK "))
    responses: list[str] = []
    per_thread = []
    for n in range(threads):
        path = run_dir / f"responses-{n}.txt"
        answers = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
        per_thread.append(len(answers))
        responses.extend(answers)
    answered = sent_lines(lines, per_thread, threads)
    seconds = wrk["duration_us"] / 1e6
    row = {
        "case": case,
        "size": len(responses),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(responses) / seconds, 1),
        "p50_ms": round(wrk["p50_us"] / 1000, 1),
        "p95_ms": round(wrk["p95_us"] / 1000, 1),
        "p99_ms": round(wrk["p99_us"] / 1000, 1),
        "max_ms": round(wrk["max_us"] / 1000, 1),
        "socket_errors": wrk["connect"] + wrk["read"] + wrk["write"] + wrk["timeout"],
        "http_errors": wrk["status"],
        "connections": connections,
        "wrk_threads": threads,
        "planned_requests": len(lines),
        "retries": len(answered) - len({line[3] for line in answered}),  # answered lines repeating a key
        "load_before": load_before,
        "load_after": load_average(),
        "wrk_cpu_s": round(wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime, 2),
    }
    if server_seconds is not None and responses:
        python, postgres = server_seconds
        row["server_cpu_ms_per_request"] = round((python + postgres) * 1000 / len(responses), 2)
        row["python_cpu_ms_per_request"] = round(python * 1000 / len(responses), 2)
        row["postgres_cpu_ms_per_request"] = round(postgres * 1000 / len(responses), 2)
        # cores busy with anything else on the machine meanwhile (other work competing for the 2 cores)
        row["other_cores_busy"] = round(max(0.0, busy - python - postgres - row["wrk_cpu_s"]) / seconds, 2)
    return row, responses


# --- the run -----------------------------------------------------------------------------------


def _worker(config: dict[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """Inside the child: prepare, serve, log in, drive, check."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.instructions_settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.instructions_setup import insert_houses, signed_items
    from zhufang.accounts.models import User
    from zhufang.org.demo import DEMO_PASSWORD, build_demo

    logging.getLogger("zhufang.notifications").setLevel(logging.WARNING)  # one line per message otherwise
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_demo(size="county", seed=2026)
    repeat, per_run, photos = config["repeat"], config["items_per_run"], config["photo_items"]
    houses = insert_houses(len(config["servers"]) * repeat * per_run + photos)
    work = signed_items(houses)
    numbers = dict(User.objects.filter(pk__in=list(work.by_officer)).values_list("pk", "police_number"))
    prepare_seconds = time.perf_counter() - started
    # each officer's items cut into slices: one per feedback run, then the photo slice
    officers = sorted(work.by_officer)
    share = {o: len(work.by_officer[o]) / work.count for o in officers}

    def slice_of(n: int, size: int) -> dict[int, list[int]]:
        """Run ``n``'s items: about ``size`` in all, each officer's share of them."""
        want = {o: max(1, round(size * share[o])) for o in officers}
        return {o: work.by_officer[o][n * want[o] : (n + 1) * want[o]] for o in officers}

    servers = [tuple(pair) for pair in config["servers"]]
    runs = len(servers) * repeat
    per_officer_runs = [slice_of(n, per_run) for n in range(runs)]
    used = {o: sum(len(r[o]) for r in per_officer_runs) for o in officers}
    photo_slice = {o: work.by_officer[o][used[o] : used[o] + max(1, round(photos * share[o]))] for o in officers}
    jpeg = workdir / "photo.jpg"
    jpeg.write_bytes(JPEG)
    connection.close()  # the server's workers take over; this process only checks afterwards

    port = config["port"]
    rows: list[dict[str, Any]] = []
    env = dict(os.environ)
    sessions: dict[int, Session] = {}
    login_seconds = 0.0
    photo_lines: list[tuple[str, str, str, str, str]] = []
    for s, (workers, threads) in enumerate(servers):
        with Gunicorn(port, workers, threads, env, workdir / f"gunicorn-{s}.log") as server:
            if not sessions:  # database sessions: still valid for the next server configuration
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=2) as pool:
                    logged_in = pool.map(lambda o: log_in(port, o, numbers[o], DEMO_PASSWORD), officers)
                    sessions = {session.officer_id: session for session in logged_in}
                login_seconds = time.perf_counter() - started
                photo_lines = request_lines(
                    photo_slice,
                    sessions,
                    path="/api/v1/instructions/items/{item}/photos",
                    key_prefix="ph",
                    body=None,
                    retry_share=config["retry_share"],
                )
            common = {
                "port": port,
                "workdir": workdir,
                "duration": config["duration"],
                "connections": config["connections"],
                "server_pid": server.pid,
            }
            context = {
                "officers": len(officers),
                "items_signed": work.count,
                "prepare_s": round(prepare_seconds, 1),
                "login_s": round(login_seconds, 1),
                "server": server.settings,
                "cores": os.cpu_count(),
            }
            for k in range(repeat):
                n = s * repeat + k
                rows.extend(_feedback_runs(n, per_officer_runs[n], sessions, config, common, context))
            for k in range(repeat):
                n = s * repeat + k
                part = photo_lines[n::runs]  # each run its own photos; a retry may land in another run
                row, responses = run_wrk("http_photo", part, jpeg=jpeg, **common)
                wait_until_idle()
                rows.append({**row, **_statuses(responses), "run": k, **_photo_check(), **context})
                connection.close()
    return rows


def _feedback_runs(
    n: int,
    items: Mapping[int, Sequence[int]],
    sessions: Mapping[int, Session],
    config: Mapping[str, Any],
    common: Mapping[str, Any],
    context: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The bare baseline, then the product's feedback, on the same items (the bare view changes no
    item); the feedback run is checked for exactly-once storage."""
    from django.db import connection

    rows = []
    run = n % config["repeat"]
    bare_lines = request_lines(
        items,
        sessions,
        path="/bench/bare/{item}",
        key_prefix=f"bare{n}",
        body=FEEDBACK_BODY,
        retry_share=config["retry_share"],
        seed=n,
    )
    row, responses = run_wrk("http_bare", bare_lines, **common)
    wait_until_idle()
    rows.append({**row, **_statuses(responses), "run": run, **context})
    lines = request_lines(
        items,
        sessions,
        path="/api/v1/instructions/items/{item}/feedback",
        key_prefix=f"fb{n}",
        body=FEEDBACK_BODY,
        retry_share=config["retry_share"],
        seed=n,
    )
    row, responses = run_wrk("http_feedback", lines, **common)
    keys = {item: f"fb{n}-{item}" for officer_items in items.values() for item in officer_items}
    acked, _statuses_seen = acknowledged_items(responses, keys)
    wait_until_idle()
    check = check_exactly_once(acked, submitted=keys)
    connection.close()
    rows.append({**row, **_statuses(responses), "run": run, **check.as_dict(), **context})
    return rows


def _statuses(responses: Iterable[str]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for line in responses:
        status = line.split("\t", 1)[0]
        counts[f"{status[:1]}xx" if status[:1].isdigit() else "other"] += 1
    return {"statuses": dict(sorted(counts.items())), "non_2xx": sum(v for k, v in counts.items() if k != "2xx")}


def _photo_check() -> dict[str, Any]:
    """Photos: one attachment per idempotency key that answered, and no attachment without one."""
    from zhufang.idempotency.models import IdempotentRequest
    from zhufang.instructions.models import Attachment

    answered = list(
        IdempotentRequest.objects.filter(endpoint__startswith=PHOTO_ENDPOINT, status_code=201).values_list(
            "response", flat=True
        )
    )
    ids = [r["id"] for r in answered if isinstance(r, dict) and "id" in r]
    attachments = Attachment.objects.count()
    return {
        "photo_keys": len(answered),
        "attachments": attachments,
        "photos_exactly_once": attachments == len(ids) == len(set(ids)),
    }


def run(
    *, repeat: int, duration: int, connections: int, servers: Sequence[tuple[int, int]], retry_share: float
) -> list[dict[str, Any]]:
    """``servers``: the gunicorn configurations to measure, as (worker processes, threads each)."""
    from benchmarks.instructions import child_env

    ensure_wrk()
    config = {
        "repeat": repeat,
        "duration": duration,
        "connections": connections,
        "servers": [list(pair) for pair in servers],
        "retry_share": retry_share,
        "port": int(os.environ.get("ZHUFANG_BENCH_PORT", "8765")),
        # enough items that a run ends by its duration, not by running out (≈700 requests/s at most)
        "items_per_run": max(2000, duration * 700),
        "photo_items": max(1000, duration * 300 * repeat * len(servers)),
    }
    with tempfile.TemporaryDirectory(prefix="zhufang-ibench-load-") as directory:
        output = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.instructions_load", "--worker", json.dumps(config), directory],
            env=child_env("postgresql", directory),
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if output.returncode != 0:
            raise RuntimeError("load benchmark worker failed (see its output above)")
        return list(json.loads(output.stdout.strip().splitlines()[-1]))


def layout(row: Mapping[str, Any]) -> str:
    """The gunicorn layout a row was measured on, as ``--servers`` names it (WORKERSxTHREADS)."""
    server = row.get("server", {})
    return f"{server.get('workers')}x{server.get('threads')}"


def same_run_ratios(rows: Sequence[Mapping[str, Any]], case: str) -> dict[str, list[tuple[float, float | None]]]:
    """Per layout, ``case`` against the bare endpoint measured in the same run (same layout, same run
    number — minutes apart at most, so a drift in the machine's speed touches both): (requests/s
    ratio, server-CPU ratio or None)."""
    bare = {(layout(r), r["run"]): r for r in rows if r["case"] == "http_bare"}
    ratios: dict[str, list[tuple[float, float | None]]] = {}
    for row in rows:
        base = bare.get((layout(row), row["run"]))
        if row["case"] != case or base is None or not base["requests_per_s"]:
            continue
        cpu = None
        if row.get("server_cpu_ms_per_request") and base.get("server_cpu_ms_per_request"):
            cpu = row["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"]
        ratios.setdefault(layout(row), []).append((row["requests_per_s"] / base["requests_per_s"], cpu))
    return ratios


def _span(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}×" if round(low, 2) == round(high, 2) else f"{low:.2f}–{high:.2f}×"


def format_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    context = rows[0]
    layouts = ", ".join(dict.fromkeys(layout(r) for r in rows))
    lines.append(
        f"load run (PostgreSQL, gunicorn WORKERSxTHREADS {layouts} (x1: sync workers), wrk {context['wrk_threads']}"
        f" threads / {context['connections']} connections, {context.get('officers')} officers logged in)"
    )
    lines.append(
        f"{'case':<16}{'server':>7}{'run':>4}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}{'sock err':>9}{'cpu ms/req (py+pg)':>20}{'others':>8}  check"
    )
    for row in rows:
        if row["case"] == "http_feedback":
            check = (
                f"acked {row['acknowledged']}, lost {row['lost']}, doubled {row['doubled']}, "
                f"key rows wrong {row['key_rows_wrong']}, retries {row['retries']}"
            )
        elif row["case"] == "http_photo":
            check = f"keys {row['photo_keys']}, attachments {row['attachments']}, once {row['photos_exactly_once']}"
        else:
            check = ""
        cpu = (
            f"{row['server_cpu_ms_per_request']:.2f} ({row['python_cpu_ms_per_request']:.1f}"
            f"+{row['postgres_cpu_ms_per_request']:.1f})"
            if "python_cpu_ms_per_request" in row
            else ""
        )
        lines.append(
            f"{row['case']:<16}{layout(row):>7}{row['run']:>4}{row['size']:>10,}{row['requests_per_s']:>9.1f}"
            f"{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['non_2xx']:>9}"
            f"{row['socket_errors']:>9}{cpu:>20}{row.get('other_cores_busy', 0):>8.2f}  {check}"
        )
    for case in ("http_feedback", "http_photo"):
        for server, pairs in same_run_ratios(rows, case).items():
            cpus = [c for _r, c in pairs if c is not None]
            cpu = f", server CPU per request {_span(cpus)}" if cpus else ""
            lines.append(
                f"  {server} {case}: {_span([r for r, _c in pairs])} the bare endpoint's requests/s{cpu}"
                " (each run against the bare endpoint of the same run)"
            )
    lines.append(
        "  cpu ms/req: CPU of the gunicorn workers (py) and PostgreSQL backends (pg) per answered request (2 idle "
        "cores give at most 2000 / that requests/s, less wrk's own share); others: cores busy with other work "
        "meanwhile"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.instructions_load")
    parser.add_argument("--worker", nargs=2, metavar=("CONFIG", "DIR"), required=True)
    args = parser.parse_args(argv)
    config, directory = args.worker
    print(json.dumps(_worker(json.loads(config), Path(directory))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
