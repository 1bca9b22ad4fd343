#!/usr/bin/env python3
"""lineside benchmarks: floor, end to end (API and folder), throughput against a Python loop,
memory, start-up. Prints its figures and writes them to target/bench/results/<model>.json.

Run through bench/run.sh (which builds what is missing), or directly with the trainer's venv:

    target/trainer-venv/bin/python bench/bench.py all --models default,conv-128,dense-300

Each comparison that yields a ratio is measured in interleaved rounds (A, B, A, B, ...), and the
ratio is taken per round, then the median over rounds: on a busy machine both sides of a round see
the same load, so the ratio holds even where absolute times wander.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench"
APP_JAR = ROOT / "target" / "quarkus-app" / "quarkus-run.jar"
CLASSES = WORK / "classes"
DEFAULT_MODEL = ROOT / "src" / "main" / "resources" / "lineside" / "default-model.onnx"
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The Python loop's numpy work is a few small matrix products per image: OpenBLAS's default thread pool
# makes them many times slower on a busy 2-core machine (measured: 36 ms instead of 4.5 ms per image),
# so the loop is given one BLAS thread. That favours the Python side; set it yourself to compare.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from python_loop import PythonLoop  # noqa: E402

# The models: the embedded default, and two of the size a real line uses (built here if missing,
# by the trainer's CLI, on synthetic parts; a few epochs are enough for speed figures).
MODELS = {
    # Used only while the embedded default is missing from the checkout: the same recipe (same graph,
    # so the same speed) as training/README.md's default model, trained for one epoch.
    "default": ["--arch", "conv", "--size", "128", "--conv-width", "8", "--latent", "16", "--epochs", "1"],
    "conv-128": ["--arch", "conv", "--size", "128", "--epochs", "3"],
    "dense-300": ["--arch", "dense", "--size", "300", "--epochs", "3"],
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------- set-up

def trainer_env() -> dict:
    env = dict(os.environ)
    training = os.environ.get("LINESIDE_TRAINING_DIR", str(ROOT / "training"))
    env["PYTHONPATH"] = training + os.pathsep + env.get("PYTHONPATH", "")
    return env


def ensure_images(n_good: int = 100, n_defect: int = 20) -> Path:
    """300x300 RGB JPEGs (quality 90) of synthetic parts, as a line camera writes them."""
    out = WORK / "images"
    if out.is_dir() and len(list(out.glob("*.jpg"))) == n_good + n_defect:
        return out
    from PIL import Image
    raw = WORK / "synth-images"
    shutil.rmtree(raw, ignore_errors=True)
    run([sys.executable, "-m", "lineside_train", "synth", "--out", raw, "--good", n_good, "--defect", n_defect,
         "--size", 300, "--seed", 7, "--quiet"], env=trainer_env())
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for png in sorted(raw.glob("*/*.png")):
        Image.open(png).convert("RGB").save(out / (png.stem + ".jpg"), quality=90)
    return out


def model_path(name: str) -> Path:
    if name == "default" and DEFAULT_MODEL.is_file():
        return DEFAULT_MODEL
    if name == "line":
        return line_model()
    if name == "line-f1":  # the same network in format 1 (the appliance scores it in Java)
        return line_model(fmt=1)
    path = WORK / "models" / (f"{name}.onnx" if name != "default" else "default-recipe-standin.onnx")
    if not path.is_file():
        good = WORK / "synth-train"
        if not (good / "good").is_dir():
            run([sys.executable, "-m", "lineside_train", "synth", "--out", good, "--good", 200, "--defect", 0,
                 "--size", 300, "--seed", 1, "--quiet"], env=trainer_env())
        path.parent.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "lineside_train", "train", "--good", good / "good", "--out", path,
             *MODELS[name], "--alpha", "0.05", "--name", f"bench-{name}", "--quiet"], env=trainer_env())
    return path


def ensure_bench_classes() -> None:
    """Compiles bench/java against the packaged appliance (kept out of the appliance jar)."""
    if not APP_JAR.is_file():
        sys.exit(f"{APP_JAR} is missing: build the appliance first (./mvnw -B package -DskipTests -Dtrainer.skip=true)")
    sources = sorted((ROOT / "bench" / "java").rglob("*.java"))
    stamp = CLASSES / ".stamp"
    newest = max([s.stat().st_mtime for s in sources] + [APP_JAR.stat().st_mtime])
    if stamp.is_file() and stamp.stat().st_mtime >= newest:
        return
    shutil.rmtree(CLASSES, ignore_errors=True)
    CLASSES.mkdir(parents=True)
    run(["javac", "-nowarn", "-d", CLASSES, "-cp", app_classpath(), *sources])
    stamp.touch()


def app_classpath() -> str:
    qa = ROOT / "target" / "quarkus-app"
    return os.pathsep.join([str(qa / "app" / "*"), str(qa / "lib" / "main" / "*"), str(qa / "lib" / "boot" / "*")])


# ---------------------------------------------------------------- measuring helpers

def pct(values, q):
    s = sorted(values)
    if not s:
        return float("nan")
    i = max(0, min(len(s) - 1, int(-(-q * len(s) // 1)) - 1))
    return s[i]


def summary(values):
    return {"p50": pct(values, 0.50), "p99": pct(values, 0.99), "mean": statistics.fmean(values), "n": len(values)}


def load_average() -> str:
    return open("/proc/loadavg").read().split()[:3].__str__()


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_props_override() -> dict:
    """BENCH_APP_PROPS="lineside.model.threads=1,lineside.model.concurrency=2" runs the appliance with
    other settings, to compare them; the floor then uses the same threads."""
    props = {}
    for kv in filter(None, os.environ.get("BENCH_APP_PROPS", "").split(",")):
        k, v = kv.split("=", 1)
        props[k.strip()] = v.strip()
    return props


class ScorerBench:
    """The Java in-process bench (bench/java), one long-lived process answering commands."""

    def __init__(self, model: str, images: Path):
        ensure_bench_classes()
        cp = os.pathsep.join([str(CLASSES), app_classpath()])
        threads = app_props_override().get("lineside.model.threads")  # the floor at the appliance's threads
        threads = ["--threads", threads] if threads else []
        self.proc = subprocess.Popen(
            ["java", "-XX:+UseSerialGC", "-cp", cp, "io.lineside.bench.ScorerBench", "--model", model,
             "--images", str(images), *threads], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


class Appliance:
    """The packaged appliance (java -jar target/quarkus-app/quarkus-run.jar) in a scratch folder."""

    def __init__(self, model: str, name: str, extra: dict | None = None, jvm: list | None = None):
        self.dir = WORK / "run" / name
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "inbox").mkdir(parents=True)
        self.port = free_port()
        props = {
            "quarkus.http.port": self.port,
            "quarkus.log.level": "WARN",
            "lineside.journal.path": self.dir / "journal",
            "lineside.folder.path": self.dir / "inbox",
            "lineside.folder.archive": self.dir / "archive",
            "lineside.api.keys": BENCH_API_KEY,
            "lineside.calibration.root": self.dir / "calibration",
            "lineside.calibration.state-file": self.dir / "threshold.json",
        }
        if model != "default":
            props["lineside.model.path"] = Path(model).resolve()
        props.update(extra or {})
        props.update(app_props_override())
        jvm = os.environ.get("BENCH_JVM_OPTS", "").split() if jvm is None else jvm
        self.cmd = ["java", *jvm, *[f"-D{k}={v}" for k, v in props.items()], "-jar", str(APP_JAR)]
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, cwd=self.dir, stdout=open(self.dir / "out.log", "w"),
                                     stderr=subprocess.STDOUT)
        self.ready_s = self._wait_ready()
        self.local = threading.local()

    def _wait_ready(self, timeout: float = 120) -> float:
        url = f"http://127.0.0.1:{self.port}/q/health/ready"
        while time.perf_counter() - self.t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the appliance exited ({self.proc.returncode}); see {self.dir / 'out.log'}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200 and json.load(r).get("status") == "UP":
                        return time.perf_counter() - self.t0
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"not ready after {timeout}s; see {self.dir / 'out.log'}")

    def calibrate(self, images_dir: Path, alpha: float = 0.05) -> dict:
        """What a plant does when it installs a model: set the threshold from this camera's good images
        (here the bench's good JPEGs), so that the verdict mix is a line's (mostly GOOD), not all DEFECT
        (the default model is calibrated on PNG renderings; JPEG artefacts alone push scores above it)."""
        good = self.dir / "calibration" / "good"
        good.mkdir(parents=True, exist_ok=True)
        for f in sorted(images_dir.glob("good-*.jpg")):
            shutil.copy(f, good / f.name)
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/model/calibration?alpha={alpha}&folder=good&apply=true",
            data=b"", method="POST", headers={"X-API-Key": BENCH_API_KEY})
        with urllib.request.urlopen(req, timeout=120) as r:
            report = json.load(r)
        log(f"  calibrated on {report['n']} good JPEGs at alpha {alpha}: threshold {report['oldThreshold']:.4f} -> "
            f"{report['newThreshold']:.4f}")
        return report

    def _connection(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return c

    def inspect(self, data: bytes, name: str) -> tuple[dict, float]:
        c = self._connection()
        t0 = time.perf_counter()
        c.request("POST", f"/api/v1/inspections?name={name}", body=data, headers={"Content-Type": "image/jpeg"})
        r = c.getresponse()
        body = r.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {body[:200]!r}")
        return json.loads(body), elapsed

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/q/metrics", timeout=10) as r:
            return r.read().decode()

    def metric(self, name: str, labels: str = "") -> float:
        pattern = re.compile(r"^" + re.escape(name) + (r"\{[^}]*" + re.escape(labels) + r"[^}]*\}" if labels else r"(\{[^}]*\})?")
                             + r" ([0-9.eE+-]+)$", re.M)
        total = 0.0
        found = False
        for m in pattern.finditer(self.metrics()):
            total += float(m.group(m.lastindex))
            found = True
        return total if found else float("nan")

    def rss(self) -> float:
        return rss_mib(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load_images(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.stem, p.read_bytes()) for p in sorted(folder.glob("*.jpg"))]


def drive(app: Appliance, images, count: int, clients: int, start: int = 0) -> tuple[float, list[dict], list[float]]:
    """Sends `count` images with `clients` concurrent keep-alive clients; returns (seconds, bodies, latencies)."""
    bodies: list[dict] = []
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(start, start + count))

    def client():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            name, data = images[i % len(images)]
            body, ms = app.inspect(data, f"{name}-{i}")
            with lock:
                bodies.append(body)
                latencies.append(ms)

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(client) for _ in range(clients)]:
            f.result()
    return time.perf_counter() - t0, bodies, latencies


BENCH_API_KEY = "bench-" + os.urandom(12).hex()
WARMUP_BLOCK = int(os.environ.get("BENCH_WARMUP_BLOCK", "500"))
WARMUP_MAX = int(os.environ.get("BENCH_WARMUP_MAX", "8000"))
WARMUP_MIN_BLOCKS = 8


def warm_up(app: Appliance, images, clients: int) -> list:
    """Drives blocks of images until the JVM's JIT has settled: three blocks in a row within 5 % of
    each other's rate, and at least 8 blocks (a Quarkus appliance on 2 cores keeps C2 busy for its
    first few thousand images; a line runs for days, so steady state is what the ratios compare).
    Returns [(images so far, images/s of the block)], the warm-up curve."""
    curve = []
    done = 0
    while done < WARMUP_MAX:
        secs, _, _ = drive(app, images, WARMUP_BLOCK, clients, start=done)
        done += WARMUP_BLOCK
        curve.append((done, round(WARMUP_BLOCK / secs, 1)))
        last = [r for _, r in curve[-3:]]
        if len(curve) >= WARMUP_MIN_BLOCKS and max(last) - min(last) <= 0.05 * max(last):
            break
    log(f"  warm-up ({clients} clients, blocks of {WARMUP_BLOCK}): images/s {[r for _, r in curve]}")
    return curve


def wait_idle(app: Appliance, timeout: float = 15.0) -> None:
    """Until the appliance uses under 5 % of a core over 300 ms (or timeout)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        c0 = cpu_seconds(app.proc.pid)
        time.sleep(0.3)
        if cpu_seconds(app.proc.pid) - c0 < 0.015:
            return


def verdict_mix(bodies) -> dict:
    defects = sum(1 for b in bodies if b.get("verdict") == "DEFECT")
    return {"images": len(bodies), "defect": defects, "good": len(bodies) - defects}


# ---------------------------------------------------------------- the benchmarks

def bench_floor_and_latency(model: str, images_dir: Path, rounds: int, n: int) -> dict:
    """1 + 2 (API): floor rounds (Java, in-process) interleaved with sequential API rounds."""
    images = load_images(images_dir)
    java = ScorerBench(str(model) if model != "default" else "default", images_dir)
    app = Appliance(model, "latency")
    try:
        calibration = app.calibrate(images_dir)
        java.ask(f"floor {max(20, n // 4)}")  # warm-up, both sides
        java.ask(f"hot {max(20, n // 4)}")
        warm_curve = warm_up(app, images, 2 * (os.cpu_count() or 1))
        drive(app, images, max(20, n // 4), 1)
        per_round = []
        phases = {k: [] for k in ("decode", "preprocess", "infer", "score", "total")}
        client = []
        floors, floors_plain, floors_spinning, floors_pinned, hots = [], [], [], [], []
        for r in range(rounds):
            f = java.ask(f"floor {n}")
            h = java.ask(f"hot {n}")
            _, bodies, lat = drive(app, images, n, 1)
            totals = [b["timingsMs"]["total"] for b in bodies]
            for k in phases:
                phases[k] += [b["timingsMs"][k] for b in bodies]
            client += lat
            floor = min(f["pinned"]["p50"], f["plain"]["p50"], f["spinning"]["p50"])
            floors.append(floor)
            floors_plain.append(f["plain"]["p50"])
            floors_spinning.append(f["spinning"]["p50"])
            floors_pinned.append(f["pinned"]["p50"])
            hots.append(h)
            per_round.append({
                "floor_p50_ms": floor, "floor_pinned_p50_ms": f["pinned"]["p50"],
                "floor_plain_p50_ms": f["plain"]["p50"], "floor_spinning_p50_ms": f["spinning"]["p50"],
                "hot_p50_ms": h["hot"]["p50"], "e2e_p50_ms": pct(totals, 0.5), "client_p50_ms": pct(lat, 0.5),
                "e2e_over_floor": pct(totals, 0.5) / floor,
                "client_over_floor": pct(lat, 0.5) / floor,
                "load": load_average()})
            log(f"  round {r + 1}/{rounds}: floor p50 {floor:.3f} ms (pinned {f['pinned']['p50']:.3f}, plain "
                f"{f['plain']['p50']:.3f}, spinning {f['spinning']['p50']:.3f}), "
                f"scorer hot path {h['hot']['p50']:.3f} ms, in-appliance e2e p50 {pct(totals, .5):.3f} ms, "
                f"client {pct(lat, .5):.3f} ms -> x{per_round[-1]['e2e_over_floor']:.2f}")
        alloc = java.ask(f"hot {n}")
        decode = java.ask(f"decode {n}")
    finally:
        java.close()
        app.stop()
    return {
        "java": java.info,
        "warmup_images_per_s": warm_curve,
        "calibrated_threshold": calibration["newThreshold"],
        "floor_p50_ms": statistics.median(floors),
        "floor_pinned_p50_ms": statistics.median(floors_pinned),
        "floor_plain_p50_ms": statistics.median(floors_plain),
        "floor_spinning_p50_ms": statistics.median(floors_spinning),
        "e2e_over_floor_median": statistics.median(x["e2e_over_floor"] for x in per_round),
        "client_over_floor_median": statistics.median(x["client_over_floor"] for x in per_round),
        "api_phases_ms": {k: summary(v) for k, v in phases.items()},
        "api_client_ms": summary(client),
        "scorer_hot_path": {k: alloc[k] for k in ("preprocess", "infer", "score", "hot")},
        "scorer_bytes_per_image": alloc["bytesPerImage"],
        "scorer_bytes_per_image_by_phase": alloc["bytesPerImageByPhase"],
        "decode": decode["decode"], "decode_bytes_per_image": decode["bytesPerImage"],
        "rounds": per_round,
    }


def bench_throughput(model: str, py_model: str, images_dir: Path, rounds: int, n: int, clients: int) -> dict:
    """2 (throughput) + 3: the appliance with all cores busy vs the Python loop, interleaved rounds."""
    images = load_images(images_dir)
    loop = PythonLoop(py_model)
    tuned = PythonLoop(py_model, spinning=False)
    app = Appliance(model, "throughput")
    try:
        calibration = app.calibrate(images_dir)
        # Same score: compare the Python loop's scores with the appliance's on every image.
        rel = []
        for name, data in images:
            body, _ = app.inspect(data, name)
            s, _ = loop.inspect(data)
            rel.append(abs(s - body["score"]) / max(abs(body["score"]), 1e-12))
        warm_curve = warm_up(app, images, clients)
        per_round = []
        mix = {"images": 0, "defect": 0, "good": 0}
        py_phases = {"decode+preprocess": [], "infer": [], "score": []}
        for r in range(rounds):
            cpu0 = cpu_seconds(app.proc.pid)
            secs, bodies, lat = drive(app, images, n, clients)
            app_cpu = (cpu_seconds(app.proc.pid) - cpu0) / n
            for k, v in verdict_mix(bodies).items():
                mix[k] += v
            app_ips = n / secs
            app_cores = app_cpu * n / secs
            wait_idle(app)  # its JIT and image writer finish before the Python loop runs alone
            pcpu0 = time.process_time()
            t0 = time.perf_counter()
            for i in range(n):
                a = time.perf_counter()
                x = loop.preprocess(images[i % len(images)][1])
                b = time.perf_counter()
                if loop.format >= 2:  # the graph computes the score: it is part of infer
                    loop.infer(x)
                    c = time.perf_counter()
                else:
                    y = loop.session.run(None, {"image": x})[0]
                    c = time.perf_counter()
                    loop.score(x, y)
                py_phases["decode+preprocess"].append((b - a) * 1000)
                py_phases["infer"].append((c - b) * 1000)
                py_phases["score"].append((time.perf_counter() - c) * 1000)
            py_ips = n / (time.perf_counter() - t0)
            py_cpu = (time.process_time() - pcpu0) / n
            t0 = time.perf_counter()
            for i in range(n):
                tuned.inspect(images[i % len(images)][1])
            tuned_ips = n / (time.perf_counter() - t0)
            per_round.append({"appliance_ips": app_ips, "python_ips": py_ips, "ratio": app_ips / py_ips,
                              "python_tuned_ips": tuned_ips, "ratio_tuned": app_ips / tuned_ips,
                              "appliance_cpu_ms_per_image": app_cpu * 1000, "python_cpu_ms_per_image": py_cpu * 1000,
                              "appliance_cores_busy": app_cores, "python_cores_busy": py_cpu * py_ips,
                              "client_p50_ms": pct(lat, .5), "client_p99_ms": pct(lat, .99), "load": load_average()})
            log(f"  round {r + 1}/{rounds}: appliance {app_ips:.1f} images/s ({clients} clients, "
                f"{app_cpu * 1000:.2f} CPU ms/image, {app_cores:.2f} cores busy), Python loop {py_ips:.1f} images/s "
                f"({py_cpu * 1000:.2f} CPU ms/image, {py_cpu * py_ips:.2f} cores busy) -> x{app_ips / py_ips:.2f}; Python loop without spinning {tuned_ips:.1f} images/s "
                f"-> x{app_ips / tuned_ips:.2f}")
    finally:
        app.stop()
    return {
        "clients": clients,
        "warmup_images_per_s": warm_curve,
        "calibrated_threshold": calibration["newThreshold"],
        "verdicts": mix,
        "appliance_ips_median": statistics.median(x["appliance_ips"] for x in per_round),
        "python_ips_median": statistics.median(x["python_ips"] for x in per_round),
        "ratio_median": statistics.median(x["ratio"] for x in per_round),
        "python_tuned_ips_median": statistics.median(x["python_tuned_ips"] for x in per_round),
        "ratio_tuned_median": statistics.median(x["ratio_tuned"] for x in per_round),
        "appliance_cpu_ms_per_image_median": statistics.median(x["appliance_cpu_ms_per_image"] for x in per_round),
        "python_cpu_ms_per_image_median": statistics.median(x["python_cpu_ms_per_image"] for x in per_round),
        "appliance_cores_busy_median": statistics.median(x["appliance_cores_busy"] for x in per_round),
        "python_cores_busy_median": statistics.median(x["python_cores_busy"] for x in per_round),
        "python_phases_ms": {k: summary(v) for k, v in py_phases.items()},
        "python_ort_threads": "onnxruntime default (intra-op = physical cores)",
        "score_max_rel_diff_python_vs_appliance": max(rel),
        "score_median_rel_diff_python_vs_appliance": statistics.median(rel),
        "rounds": per_round,
    }


# AlwaysPreTouch: the whole fixed heap is resident from the start, so RSS growth is native memory, not G1
# touching heap regions for the first time.
MEMORY_JVM_OPTS = os.environ.get("BENCH_MEMORY_JVM_OPTS", "-Xms256m -Xmx256m -XX:+AlwaysPreTouch")


def bench_memory(model: str, images_dir: Path, n: int, clients: int) -> dict:
    """4: RSS after start and along n images; heap allocated per request (whole request).

    The heap is fixed (-Xms = -Xmx, as a deployment with a memory limit would set it), so that RSS
    measures what could leak (native memory: ORT tensors and results, direct buffers, threads) rather
    than the JVM's heap sizing decisions.
    """
    images = load_images(images_dir)
    app = Appliance(model, "memory", jvm=MEMORY_JVM_OPTS.split())
    try:
        app.calibrate(images_dir)
        rss_ready = app.rss()
        alloc0 = app.metric("jvm_gc_memory_allocated_bytes_total")
        trail = []
        step = max(1, n // 10)
        done = 0
        t0 = time.perf_counter()
        while done < n:
            k = min(step, n - done)
            drive(app, images, k, clients, start=done)
            done += k
            trail.append((done, round(app.rss(), 1)))
        secs = time.perf_counter() - t0
        alloc1 = app.metric("jvm_gc_memory_allocated_bytes_total")
        log(f"  RSS at ready {rss_ready:.1f} MiB; along {n} images: {trail}")
        inspections = app.metric("lineside_inspections_total", 'source="api"')
    finally:
        app.stop()
    warm = trail[1][1] if len(trail) > 1 else trail[0][1]  # after the first 20 %: JIT, arenas and heap pages settled
    after_warm = [r for _, r in trail[1:]] or [warm]
    return {
        "jvm_opts": MEMORY_JVM_OPTS,
        "rss_ready_mib": rss_ready,
        "rss_trail_mib": trail,
        "rss_after_mib": trail[-1][1],
        "rss_growth_after_warmup_mib": trail[-1][1] - warm,
        "rss_spread_after_warmup_mib": max(after_warm) - min(after_warm),
        "images": n, "inspections_counted": inspections, "seconds": secs,
        "heap_bytes_per_request": (alloc1 - alloc0) / n if alloc1 == alloc1 else None,
    }


def bench_startup(model: str, repeats: int) -> dict:
    """5: from process start to /q/health/ready UP."""
    times, rss = [], []
    for i in range(repeats):
        app = Appliance(model, "startup")
        times.append(app.ready_s)
        rss.append(app.rss())
        app.stop()
        log(f"  start {i + 1}/{repeats}: ready in {app.ready_s:.2f} s, RSS {rss[-1]:.1f} MiB")
    return {"ready_s_median": statistics.median(times), "ready_s": times, "rss_ready_mib_median": statistics.median(rss)}


def machine() -> dict:
    model_name = next((l.split(":", 1)[1].strip() for l in subprocess.run(
        ["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name")), "?")
    mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    import onnxruntime
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "nproc": os.cpu_count(), "cpu": model_name,
            "memory_gib": round(int(mem) / 1024 / 1024, 1), "java": java, "python": platform.python_version(),
            "onnxruntime_python": onnxruntime.__version__, "load": load_average()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="+",
                   choices=("setup", "latency", "throughput", "memory", "startup", "folder", "all", "report",
                            "targets", "batching"))
    p.add_argument("--models", default="default,conv-128,dense-300")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--n", type=int, default=200, help="images per round")
    p.add_argument("--memory-images", type=int, default=10000)
    p.add_argument("--folder-images", type=int, default=None,
                   help="files per folder burst (default 1000 for `folder`, 300 for `targets`)")
    # 4 per CPU: with 2 per CPU a request's wait for the journal's fsync left a third of the cores idle
    p.add_argument("--clients", type=int, default=4 * (os.cpu_count() or 1))
    p.add_argument("--starts", type=int, default=3)
    p.add_argument("--tag", default="", help="suffix of the results file (e.g. for BENCH_APP_PROPS runs)")
    p.add_argument("--api-images", type=int, default=100, help="targets: images per API latency round")
    args = p.parse_args(argv)
    what = set(args.what)
    if what == {"report"}:
        return markdown_report(args.models.split(","))
    if "all" in what:
        what = {"latency", "throughput", "memory", "startup", "folder"}
    results_dir = WORK / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    log(f"machine: {info}")
    for name in args.models.split(","):
        images = ensure_line_images() if name.startswith("line") else ensure_images()
        if name == "default" and not DEFAULT_MODEL.is_file():
            log("the embedded default model is not in this checkout: measuring a stand-in of the same recipe")
        model = str(model_path(name)) if name != "default" or not DEFAULT_MODEL.is_file() else "default"
        out = results_dir / f"{name}{args.tag}.json"
        result = json.loads(out.read_text()) if out.is_file() else {}
        result["machine"] = info
        result["model"] = name + args.tag
        result["app_props"] = os.environ.get("BENCH_APP_PROPS", "")
        py_model = str(model_path(name))
        result["model_file"] = py_model
        if "latency" in what:
            log(f"[{name}] floor, hot path and end-to-end latency through the API")
            result["latency"] = bench_floor_and_latency(model, images, args.rounds, args.n)
        if "throughput" in what:
            log(f"[{name}] throughput: appliance ({args.clients} clients) vs Python loop")
            result["throughput"] = bench_throughput(model, py_model, images, args.rounds, args.n, args.clients)
        if "memory" in what:
            log(f"[{name}] memory over {args.memory_images} images")
            result["memory"] = bench_memory(model, images, args.memory_images, args.clients)
        if "startup" in what:
            log(f"[{name}] start-up until ready")
            result["startup"] = bench_startup(model, args.starts)
        if "folder" in what:
            log(f"[{name}] folder source")
            result["folder"] = bench_folder(model, images, args.folder_images or 1000, clients=args.clients)
        if "targets" in what:
            log(f"[{name}] issue 15 targets: folder CPU vs the Python loop, API latency vs the floor, memory")
            result["targets"] = bench_targets(name, model, Path(py_model), images, args.rounds, args.folder_images or 300,
                                              args.api_images, args.memory_images, args.clients)
        if "batching" in what:
            log(f"[{name}] batched inference (Java ORT, appliance options)")
            x = PythonLoop(py_model).preprocess(load_images(images)[0][1])
            # about a second of inference per measurement: the process CPU clock ticks every 10 ms
            floor_ms = result.get("targets", {}).get("floor_p50_ms", 2.0)
            result["batching"] = bench_batching(Path(py_model), x, args.rounds, max(64, int(1000 / floor_ms) // 8 * 8))
        out.write_text(json.dumps(result, indent=2))
        try:
            print_summary(result)
        except KeyError as e:  # a section left by an older version of this script
            log(f"(summary incomplete: {e}; see {out})")
    return 0


def histogram(metrics_text: str, name: str, label: str) -> dict:
    """{phase: [(le_seconds, cumulative_count), ...]} of one Prometheus histogram."""
    out: dict = {}
    pattern = re.compile(r"^" + re.escape(name) + r"_bucket\{([^}]*)\} ([0-9.eE+-]+)$", re.M)
    for m in pattern.finditer(metrics_text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        out.setdefault(labels.get(label), []).append((le, float(m.group(2))))
    return {k: sorted(v) for k, v in out.items()}


def histogram_quantile(before: list, after: list, q: float) -> float:
    """Like PromQL's histogram_quantile on (after - before): linear within the bucket, in ms."""
    prev = dict(before)
    buckets = [(le, c - prev.get(le, 0.0)) for le, c in after]
    total = buckets[-1][1]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower_le, lower_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return lower_le * 1000
            return (lower_le + (le - lower_le) * (rank - lower_c) / max(c - lower_c, 1e-12)) * 1000
        lower_le, lower_c = le, c
    return float("nan")


class FolderRounds:
    """Bursts of files moved into a running appliance's watched folder: each round stages n files (same
    file system as the inbox, so a rename moves a file in whole; synced beforehand), renames them in at
    once and waits until all n are archived. Per round: images/s (and once files flow), the appliance's
    CPU per image (everything it did meanwhile: poll, claim, decode, inference, journal, sidecar, archive,
    GC, JIT), heap bytes allocated per image (exact and per thread with an AllocProbe; otherwise
    jvm_gc_memory_allocated_bytes_total, which moves only at collections) and per-phase
    quantiles from lineside_inspection_seconds (interpolated within its buckets)."""

    def __init__(self, app: Appliance, images, probe: "AllocProbe | None" = None):
        self.app, self.images, self.probe = app, images, probe
        self.inbox, self.archive = app.dir / "inbox", app.dir / "archive"
        self.staging = app.dir / "staging"
        self.staging.mkdir(exist_ok=True)
        self.archived_total = sum(1 for _ in self.archive.rglob("*.jpg")) if self.archive.is_dir() else 0

    def round(self, tag: str, n: int) -> dict:
        app, images = self.app, self.images
        names = []
        for i in range(n):
            name, data = images[i % len(images)]
            path = self.staging / f"{name}-{tag}-{i:06d}.jpg"
            path.write_bytes(data)
            names.append(path)
        os.sync()  # the staged files' own writeback must not land inside the timed window
        wait_idle(app)
        metrics = app.metrics()
        before = histogram(metrics, "lineside_inspection_seconds", "phase")
        alloc0 = metric_value(metrics, "jvm_gc_memory_allocated_bytes_total")
        probe0 = self.probe.sample() if self.probe else None
        cpu0 = cpu_seconds(app.proc.pid)
        t0 = time.perf_counter()
        for path in names:
            os.rename(path, self.inbox / path.name)
        target = self.archived_total + n
        archived = 0
        t_tenth, at_tenth = None, 0
        deadline = t0 + max(120.0, n * 0.5)
        while time.perf_counter() < deadline:
            # counting images in the day folders: cheap, and each is moved in after its sidecar
            archived = sum(1 for _ in self.archive.rglob("*.jpg")) if self.archive.is_dir() else 0
            if t_tenth is None and archived - self.archived_total >= n // 10:
                t_tenth, at_tenth = time.perf_counter(), archived - self.archived_total
            if archived >= target:
                break
            time.sleep(0.05)
        secs = time.perf_counter() - t0
        # The rate once files flow: from the first tenth archived to the last; the start holds the
        # settle period (lineside.folder.settle, 500 ms by default), which every burst pays once.
        flowing = (n - at_tenth) / max(time.perf_counter() - t_tenth, 1e-9) if t_tenth else float("nan")
        wait_idle(app)  # the last files' journal/archive work and any deferred work (history) belong to the round
        cpu = cpu_seconds(app.proc.pid) - cpu0
        probed = AllocProbe.diff(probe0, self.probe.sample()) if self.probe else None
        metrics = app.metrics()
        # exact bytes when probed; else the GC's counter, which moves only at collections (coarse for small n)
        alloc = probed["total"] if probed else metric_value(metrics, "jvm_gc_memory_allocated_bytes_total") - alloc0
        after = histogram(metrics, "lineside_inspection_seconds", "phase")
        if archived < target:
            raise RuntimeError(f"only {archived - self.archived_total} of {n} files archived after {secs:.0f}s; "
                               f"see {app.dir / 'out.log'}")
        self.archived_total = target
        phases = {ph: {"p50": histogram_quantile(before.get(ph, []), after[ph], 0.5),
                       "p99": histogram_quantile(before.get(ph, []), after[ph], 0.99)} for ph in after}
        log(f"  folder round {tag}: {n} files archived in {secs:.2f} s: {n / secs:.1f} images/s "
            f"({flowing:.1f} once flowing), {cpu * 1000 / n:.2f} CPU ms/image, {alloc / n / 1024:.0f} KiB allocated/image")
        return {"seconds": secs, "images_per_s": n / secs, "images_per_s_flowing": flowing,
                "cpu_ms_per_image": cpu * 1000 / n, "cores_busy": cpu / secs,
                "heap_bytes_per_image": alloc / n, "phases": phases,
                "heap_bytes_per_image_by_thread": {k: v / n for k, v in probed["byGroup"].items()} if probed else None}


def metric_value(metrics_text: str, name: str) -> float:
    m = re.search(r"^" + re.escape(name) + r"(\{[^}]*\})? ([0-9.eE+-]+)$", metrics_text, re.M)
    return float(m.group(2)) if m else float("nan")


def bench_folder(model: str, images_dir: Path, n: int, rounds: int = 3, clients: int = 8) -> dict:
    """2 (folder): n files moved into the watched folder at once; time until all are archived;
    per-phase quantiles from lineside_inspection_seconds (interpolated within its buckets).
    The JIT is warmed first (through the API, then one folder round), as for the API figures:
    a cold JVM's first 1000 images say how fast C2 compiles, not how fast the folder source runs."""
    app = Appliance(model, "folder")
    if "lineside_folder_backlog" not in app.metrics():
        app.stop()
        log("  the folder source is not in this build; skipped")
        return {"skipped": "the folder source is not in this build"}
    try:
        app.calibrate(images_dir)
        images = load_images(images_dir)
        warm_curve = warm_up(app, images, clients)
        folder = FolderRounds(app, images)
        folder.round("warm", n)  # the folder's own code paths (claim, archive, sidecar) through C2 too
        measured = [folder.round(f"r{r}", n) for r in range(rounds)]
    finally:
        app.stop()
    median = sorted(measured, key=lambda m: m["images_per_s"])[len(measured) // 2]  # the median round
    return {"images": n, "rounds": measured, "warmup_images_per_s": warm_curve,
            "seconds_until_all_archived": median["seconds"], "images_per_s": median["images_per_s"],
            "images_per_s_all_rounds": [round(m["images_per_s"], 1) for m in measured],
            "images_per_s_flowing": median["images_per_s_flowing"],
            "appliance_cpu_s_per_image": median["cpu_ms_per_image"] / 1000, "cores_busy": median["cores_busy"],
            "phases_ms_from_histogram": median["phases"]}


# ---------------------------------------------------------------- issue 15: format-2 targets and batching

# The line-size model: generated from a seed by bench/line_model.py (random weights, never trained, kept out
# of git under target/bench/models/), a 1024x384 strip, one channel, conv autoencoder + max-blur head in the
# graph; its images are 1024x384 strips of the synthetic parts as RGB JPEGs (quality 90).
LINE = {"width": 1024, "height": 384, "conv_width": 16, "seed": 11}


def line_model(batch: str = "1", fmt: int = 2) -> Path:
    path = WORK / "models" / (f"line-{LINE['width']}x{LINE['height']}" + ("-dynamic" if batch != "1" else "")
                              + ("-f1" if fmt == 1 else "") + ".onnx")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        run([sys.executable, Path(__file__).resolve().parent / "line_model.py", "--out", path, "--width", LINE["width"],
             "--height", LINE["height"], "--conv-width", LINE["conv_width"], "--seed", LINE["seed"], "--batch", batch,
             "--format", fmt],
            env=trainer_env(), stderr=subprocess.DEVNULL)
    return path


def ensure_line_images(n_good: int = 100, n_defect: int = 20) -> Path:
    """1024x384 strips (the middle of 1024x1024 synthetic parts) as RGB JPEGs, quality 90."""
    out = WORK / "images-line"
    if out.is_dir() and len(list(out.glob("*.jpg"))) == n_good + n_defect:
        return out
    from PIL import Image
    raw = WORK / "synth-line"
    if len(list(raw.glob("*/*.png"))) != n_good + n_defect:
        shutil.rmtree(raw, ignore_errors=True)
        run([sys.executable, "-m", "lineside_train", "synth", "--out", raw, "--good", n_good, "--defect", n_defect,
             "--size", LINE["width"], "--seed", 7, "--quiet"], env=trainer_env())
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    top = (LINE["width"] - LINE["height"]) // 2
    for png in sorted(raw.glob("*/*.png")):
        with Image.open(png) as im:
            im.convert("RGB").crop((0, top, LINE["width"], top + LINE["height"])).save(out / (png.stem + ".jpg"), quality=90)
    return out


def dynamic_batch_copy(model: Path) -> Path:
    """The same graph with a symbolic batch dimension N on its input and outputs (fully convolutional
    graphs only: ORT refuses a batch of more than one at run time otherwise, and the bench says so)."""
    out = WORK / "models" / (model.stem + "-dynamic.onnx")
    if out.is_file() and out.stat().st_mtime >= model.stat().st_mtime:
        return out
    import onnx
    proto = onnx.load(str(model))
    for v in list(proto.graph.input) + list(proto.graph.output):
        dims = v.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "N"
    del proto.graph.value_info[:]  # inferred shapes of the static graph would pin N = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    return out


class Floor:
    """bench/java FloorBench: OrtSession.run alone in the Java ORT the appliance uses (any format)."""

    def __init__(self, model: Path, x, threads: int):
        ensure_bench_classes()
        raw = WORK / "run" / f"floor-input-{os.getpid()}.f32"
        raw.parent.mkdir(parents=True, exist_ok=True)
        x.astype("<f4").tofile(raw)
        cp = os.pathsep.join([str(CLASSES), app_classpath()])
        self.proc = subprocess.Popen(["java", "-XX:+UseSerialGC", "-cp", cp, "io.lineside.bench.FloorBench", "--model",
                                      str(model), "--input", str(raw), "--threads", str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


class AllocProbe:
    """bench/java AllocProbe: heap bytes allocated by a running JVM's threads (exact, per thread group)."""

    def __init__(self, pid: int):
        ensure_bench_classes()
        self.proc = subprocess.Popen(["java", "-XX:+UseSerialGC", "-cp", str(CLASSES), "io.lineside.bench.AllocProbe",
                                      str(pid)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        json.loads(self.proc.stdout.readline())

    def sample(self) -> dict:
        self.proc.stdin.write("sample\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    @staticmethod
    def diff(before: dict, after: dict) -> dict:
        """Bytes allocated between two samples, per thread id (threads that ended meanwhile are missing)."""
        groups: dict = {}
        for tid, (group, b) in after["threads"].items():
            d = b - before["threads"].get(tid, [group, 0])[1]
            if d > 0:
                groups[group] = groups.get(group, 0) + d
        return {"total": sum(groups.values()), "byGroup": groups}

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def python_round(loop: PythonLoop, images, n: int) -> dict:
    """The Python loop over the same n images: CPU seconds of this process (ORT's threads included) per image."""
    phases = {"decode+preprocess": [], "infer": []}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        a = time.perf_counter()
        x = loop.preprocess(images[i % len(images)][1])
        b = time.perf_counter()
        loop.infer(x)
        phases["decode+preprocess"].append((b - a) * 1000)
        phases["infer"].append((time.perf_counter() - b) * 1000)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {"images_per_s": n / secs, "cpu_ms_per_image": cpu * 1000 / n, "cores_busy": cpu / secs,
            "phases_ms": {k: pct(v, 0.5) for k, v in phases.items()}}


class RssSampler(threading.Thread):
    """RSS of a process every `interval` seconds, for the peak between samples taken by hand."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.running = pid, interval, 0.0, True

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except OSError:
                return
            time.sleep(self.interval)


def bench_targets(name: str, model_arg: str, model_file: Path, images_dir: Path, rounds: int, n_folder: int,
                  n_api: int, memory_images: int, clients: int) -> dict:
    """Issue 15's targets, side by side in one appliance run on this machine's cores:

    1. memory and JIT warm-up at once: the appliance runs with a fixed, pre-touched heap (as a deployment
       with a memory limit sets it, so RSS shows native memory, what could leak) and is sent
       `memory_images` images through the API by `clients` clients; RSS at ready, along the run and its
       peak (sampled every 0.2 s), and heap bytes allocated per request;
    2. then `rounds` interleaved rounds of: a folder burst of n_folder files (appliance CPU per image,
       everything included), the Python loop over the same n_folder images (its CPU per image),
       n_api images one after the other through the API (server-side `timingsMs.total`, decode to score,
       and the client's round trip), and the ORT floor (FloorBench: session.run alone, same threads).
       Ratios are taken per round; the medians over rounds are reported."""
    images = load_images(images_dir)
    loop = PythonLoop(str(model_file))
    threads = int(app_props_override().get("lineside.model.threads", os.cpu_count() or 1))
    floor = Floor(model_file, loop.preprocess(images[0][1]), threads)
    app = Appliance(model_arg, "targets", jvm=MEMORY_JVM_OPTS.split())
    sampler = RssSampler(app.proc.pid)
    sampler.start()
    probe = None
    try:
        probe = AllocProbe(app.proc.pid)
        calibration = app.calibrate(images_dir)
        rel = []  # same model, same images: the Python loop's scores against the appliance's
        for img_name, data in images:
            body, _ = app.inspect(data, img_name)
            s, _ = loop.inspect(data)
            rel.append(abs(s - body["score"]) / max(abs(body["score"]), 1e-12))
        rss_ready = app.rss()
        alloc0 = probe.sample()
        trail, done, step = [], 0, max(1, memory_images // 10)
        t0 = time.perf_counter()
        while done < memory_images:
            k = min(step, memory_images - done)
            secs_k, _, _ = drive(app, images, k, clients, start=done)
            done += k
            trail.append((done, round(app.rss(), 1), round(k / secs_k, 1)))
        memory_secs = time.perf_counter() - t0
        alloc_memory_run = AllocProbe.diff(alloc0, probe.sample())
        alloc_per_request = alloc_memory_run["total"] / memory_images
        log(f"  RSS at ready {rss_ready:.1f} MiB; along {memory_images} images (images, MiB, images/s): {trail}; "
            f"peak {sampler.peak:.1f} MiB")
        folder = FolderRounds(app, images, probe)
        folder.round("warm", n_folder)
        folder.round("warm2", n_folder)  # the folder's own paths (claim, plan, sidecar, archive) through C2
        floor.ask(f"floor {max(10, n_api // 4)}")
        python_round(loop, images, max(10, n_folder // 4))
        per_round = []
        api_phases = {k: [] for k in ("decode", "preprocess", "queue", "infer", "score", "total")}
        for r in range(rounds):
            fo = folder.round(f"r{r}", n_folder)
            wait_idle(app)
            py = python_round(loop, images, n_folder)
            _, bodies, lat = drive(app, images, n_api, 1)
            totals = [b["timingsMs"]["total"] for b in bodies]
            for k in api_phases:
                api_phases[k] += [b["timingsMs"].get(k, float("nan")) for b in bodies]
            wait_idle(app)
            f = floor.ask(f"floor {n_api}")
            fl = min(f["pinned"]["p50"], f["plain"]["p50"], f["spinning"]["p50"])
            per_round.append({
                "folder": fo, "python": py,
                "cpu_ratio": fo["cpu_ms_per_image"] / py["cpu_ms_per_image"],
                "floor_p50_ms": fl, "floor": f, "api_total_p50_ms": pct(totals, 0.5),
                "api_infer_p50_ms": pct([b["timingsMs"]["infer"] for b in bodies], 0.5),
                "client_p50_ms": pct(lat, 0.5), "e2e_over_floor": pct(totals, 0.5) / fl,
                "client_over_floor": pct(lat, 0.5) / fl, "load": load_average()})
            log(f"  round {r + 1}/{rounds}: CPU ms/image folder {fo['cpu_ms_per_image']:.2f} vs Python loop "
                f"{py['cpu_ms_per_image']:.2f} -> x{per_round[-1]['cpu_ratio']:.2f}; API total p50 "
                f"{pct(totals, .5):.2f} ms (client {pct(lat, .5):.2f}) / floor {fl:.2f} ms -> "
                f"x{per_round[-1]['e2e_over_floor']:.2f}")
        rss_end = app.rss()
    finally:
        sampler.running = False
        floor.close()
        if probe:
            probe.close()
        app.stop()
    # The hot path in-process (ScorerBench, the appliance's own classes): heap bytes per image by phase.
    java = ScorerBench(model_arg, images_dir)
    try:
        java.ask(f"hot {n_api}")
        hot = java.ask(f"hot {n_api}")
        decode = java.ask(f"decode {n_api}")
    finally:
        java.close()
    med = lambda key, sub=None: statistics.median(x[key][sub] if sub else x[key] for x in per_round)  # noqa: E731
    warm = trail[1][1] if len(trail) > 1 else trail[0][1]
    return {
        "jvm_opts": MEMORY_JVM_OPTS, "threads": threads, "floor_info": floor.info,
        "calibrated_threshold": calibration["newThreshold"],
        "score_max_rel_diff_python_vs_appliance": max(rel),
        "rss_ready_mib": rss_ready, "rss_trail_mib": trail, "rss_peak_mib": sampler.peak, "rss_end_mib": rss_end,
        "rss_after_memory_run_mib": trail[-1][1], "rss_growth_after_first_20pct_mib": trail[-1][1] - warm,
        "memory_images": memory_images, "memory_clients": clients, "memory_seconds": memory_secs,
        "heap_bytes_per_request": alloc_per_request,
        "hot_path": {k: hot[k] for k in ("preprocess", "infer", "score", "hot")},
        "hot_path_bytes_per_image": hot["bytesPerImage"], "hot_path_bytes_by_phase": hot["bytesPerImageByPhase"],
        "decode_ms": decode["decode"], "decode_bytes_per_image": decode["bytesPerImage"],
        "heap_bytes_per_request_by_thread": {k: v / memory_images for k, v in alloc_memory_run["byGroup"].items()},
        "rounds": per_round, "n_folder": n_folder, "n_api": n_api,
        "folder_cpu_ms_per_image": med("folder", "cpu_ms_per_image"),
        "folder_images_per_s": med("folder", "images_per_s"),
        "folder_heap_bytes_per_image": med("folder", "heap_bytes_per_image"),
        "folder_worker_heap_bytes_per_image": statistics.median(
            (x["folder"]["heap_bytes_per_image_by_thread"] or {}).get("lineside-folder-worker", float("nan")) for x in per_round),
        "folder_phases_ms": sorted(per_round, key=lambda x: x["folder"]["cpu_ms_per_image"])[len(per_round) // 2]["folder"]["phases"],
        "python_cpu_ms_per_image": med("python", "cpu_ms_per_image"),
        "python_images_per_s": med("python", "images_per_s"),
        "python_cores_busy": med("python", "cores_busy"),
        "python_phases_ms": {k: statistics.median(x["python"]["phases_ms"][k] for x in per_round)
                             for k in per_round[0]["python"]["phases_ms"]},
        "cpu_ratio_median": med("cpu_ratio"),
        "floor_p50_ms": med("floor_p50_ms"),
        "api_total_p50_ms": med("api_total_p50_ms"),
        "api_phases_ms": {k: summary([v for v in vs if v == v]) for k, vs in api_phases.items() if any(v == v for v in vs)},
        "client_p50_ms": med("client_p50_ms"),
        "e2e_over_floor_median": med("e2e_over_floor"),
        "client_over_floor_median": med("client_over_floor"),
    }


def bench_batching(model_file: Path, x, rounds: int, n: int, sizes=(1, 2, 4, 8)) -> dict:
    """N images per session.run (a dynamic batch dimension) against one at a time, in the Java ORT and
    with the appliance's session options and threads: images/s and this process's CPU per image, batch
    sizes interleaved within each round; medians over rounds."""
    dynamic = dynamic_batch_copy(model_file) if "dynamic" not in model_file.stem else model_file
    threads = int(app_props_override().get("lineside.model.threads", os.cpu_count() or 1))
    floor = Floor(dynamic, x, threads)
    try:
        try:
            floor.ask(f"batch {max(sizes) * 2} {max(sizes)}")  # warm-up, and proves the graph takes a batch
        except json.JSONDecodeError:
            return {"skipped": "the graph does not accept a batch dimension"}
        per = {b: [] for b in sizes}
        for r in range(rounds):
            for b in sizes:
                per[b].append(floor.ask(f"batch {n} {b}"))
            log(f"  batching round {r + 1}/{rounds}: " + ", ".join(
                f"N={b}: {per[b][-1]['images_per_s']:.1f} images/s, {per[b][-1]['cpu_ms_per_image']:.2f} CPU ms/image"
                for b in sizes))
    finally:
        floor.close()
    out = {"model": str(dynamic), "threads": threads, "images_per_round": n, "rounds": rounds, "by_batch": {}}
    for b in sizes:
        ips = statistics.median(a["images_per_s"] for a in per[b])
        cpu = statistics.median(a["cpu_ms_per_image"] for a in per[b])
        out["by_batch"][b] = {
            "images_per_s": ips, "cpu_ms_per_image": cpu,
            "run_ms_p50": statistics.median(a["run"]["p50"] for a in per[b]),
            "throughput_vs_n1": statistics.median(a["images_per_s"] / c["images_per_s"] for a, c in zip(per[b], per[1])),
            "cpu_vs_n1": statistics.median(a["cpu_ms_per_image"] / c["cpu_ms_per_image"] for a, c in zip(per[b], per[1])),
        }
    return out


def print_summary(r: dict) -> None:
    name = r["model"]
    lines = [f"== {name} =="]
    if "latency" in r:
        L = r["latency"]
        ph = L["api_phases_ms"]
        lines.append(f"floor p50 {L['floor_p50_ms']:.3f} ms (fastest of: appliance options + pinned output "
                     f"{L['floor_pinned_p50_ms']:.3f}, plain run {L['floor_plain_p50_ms']:.3f}, ORT spinning default "
                     f"{L['floor_spinning_p50_ms']:.3f})")
        lines.append("API per image, ms p50/p99: " + ", ".join(f"{k} {v['p50']:.3f}/{v['p99']:.3f}" for k, v in ph.items())
                     + f"; client {L['api_client_ms']['p50']:.3f}/{L['api_client_ms']['p99']:.3f}")
        lines.append(f"end to end / floor (median of rounds): in-appliance x{L['e2e_over_floor_median']:.2f}, "
                     f"client-observed x{L['client_over_floor_median']:.2f}  (target <= 1.25)")
        lines.append(f"heap bytes per image: scorer hot path {L['scorer_bytes_per_image']:.0f} "
                     f"(by phase {L['scorer_bytes_per_image_by_phase']}), decode {L['decode_bytes_per_image']:.0f}")
    if "throughput" in r:
        T = r["throughput"]
        lines.append(f"throughput warm-up images/s per block: {[v for _, v in T.get('warmup_images_per_s', [])]}; "
                     f"verdicts {T.get('verdicts')}")
        lines.append(f"throughput: appliance {T['appliance_ips_median']:.1f} images/s, Python loop "
                     f"{T['python_ips_median']:.1f} images/s -> x{T['ratio_median']:.2f} (target >= 2); CPU ms/image "
                     f"appliance {T['appliance_cpu_ms_per_image_median']:.2f}, Python {T['python_cpu_ms_per_image_median']:.2f}; "
                     f"Python loop without ORT spinning {T['python_tuned_ips_median']:.1f} images/s -> x{T['ratio_tuned_median']:.2f}; "
                     f"score diff python vs appliance max rel {T['score_max_rel_diff_python_vs_appliance']:.2g}")
    if "memory" in r:
        M = r["memory"]
        lines.append(f"RSS ready {M['rss_ready_mib']:.1f} MiB, after {M['images']} images {M['rss_after_mib']:.1f} MiB, "
                     f"growth after warm-up {M['rss_growth_after_warmup_mib']:+.1f} MiB (spread {M['rss_spread_after_warmup_mib']:.1f}); "
                     f"heap per request "
                     f"{M['heap_bytes_per_request'] or float('nan'):.0f} B")
    if "folder" in r and "images" in r["folder"]:
        F = r["folder"]
        lines.append(f"folder: {F['images']} files archived in {F['seconds_until_all_archived']:.2f} s = "
                     f"{F['images_per_s']:.1f} images/s ({F.get('images_per_s_flowing', float('nan')):.1f} once flowing); phases ms p50/p99 (histogram-interpolated): "
                     + ", ".join(f"{k} {v['p50']:.2f}/{v['p99']:.2f}" for k, v in F["phases_ms_from_histogram"].items()))
    if "targets" in r:
        T = r["targets"]
        lines.append(f"targets ({len(T['rounds'])} interleaved rounds, medians): CPU ms/image through the folder "
                     f"{T['folder_cpu_ms_per_image']:.2f} vs Python loop {T['python_cpu_ms_per_image']:.2f} -> "
                     f"x{T['cpu_ratio_median']:.2f} (target <= 0.7); API total p50 {T['api_total_p50_ms']:.2f} ms, "
                     f"floor {T['floor_p50_ms']:.2f} ms -> x{T['e2e_over_floor_median']:.2f} (target <= 1.15 where the "
                     f"floor >= 10 ms); client round trip x{T['client_over_floor_median']:.2f}")
        lines.append(f"memory: RSS ready {T['rss_ready_mib']:.1f} MiB, after {T['memory_images']} images "
                     f"{T['rss_after_memory_run_mib']:.1f} (growth after the first 20 % "
                     f"{T['rss_growth_after_first_20pct_mib']:+.1f}), peak {T['rss_peak_mib']:.1f}, end of run "
                     f"{T['rss_end_mib']:.1f}; heap bytes per API request {T['heap_bytes_per_request']:.0f}, per folder "
                     f"image {T['folder_heap_bytes_per_image']:.0f} (folder worker threads "
                     f"{T['folder_worker_heap_bytes_per_image']:.0f}); in-process hot path (preprocess+infer+score) "
                     f"{T['hot_path_bytes_per_image']:.0f} B/image {T['hot_path_bytes_by_phase']}, JPEG decode "
                     f"{T['decode_bytes_per_image']:.0f} B/image")
    if "batching" in r and "by_batch" in r["batching"]:
        lines.append("batching (Java ORT, appliance options): " + ", ".join(
            f"N={b}: {v['images_per_s']:.1f} images/s (x{v['throughput_vs_n1']:.2f}), {v['cpu_ms_per_image']:.2f} CPU ms/image "
            f"(x{v['cpu_vs_n1']:.2f})" for b, v in r["batching"]["by_batch"].items()))
    if "startup" in r:
        S = r["startup"]
        lines.append(f"start-up until ready: median {S['ready_s_median']:.2f} s of {S['ready_s']}")
    print("\n".join(lines), flush=True)


def markdown_report(names) -> int:
    """The results as the Markdown tables of bench/README.md."""
    rs = [json.loads((WORK / "results" / f"{n}.json").read_text()) for n in names
          if (WORK / "results" / f"{n}.json").is_file()]
    if not rs:
        sys.exit("no results yet under target/bench/results")
    m = rs[0]["machine"]
    print(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, {m['java']}, Python {m['python']}, "
          f"onnxruntime (Python) {m['onnxruntime_python']}; {m['date']}; load average at start {m['load']}\n")
    col = " | ".join(r["model"] for r in rs)
    print(f"| figure | {col} |")
    print("|---|" + "---|" * len(rs))

    def row(label, f):
        cells = []
        for r in rs:
            try:
                cells.append(f(r))
            except (KeyError, TypeError, ValueError):
                cells.append("-")
        if any(c != "-" for c in cells):  # a partial run (e.g. latency and throughput only) prints its rows only
            print(f"| {label} | " + " | ".join(cells) + " |")

    row("model input", lambda r: r["latency"]["java"]["geometry"].replace("ModelGeometry", ""))
    row("appliance settings", lambda r: (r.get("app_props") or "defaults").replace("lineside.model.", ""))
    row("**floor**: ORT run p50, ms", lambda r: f"{r['latency']['floor_p50_ms']:.2f}")
    row("&nbsp; appliance session + pinned output / plain run / ORT spinning default, ms",
        lambda r: f"{r['latency']['floor_pinned_p50_ms']:.2f} / {r['latency']['floor_plain_p50_ms']:.2f} / "
                  f"{r['latency']['floor_spinning_p50_ms']:.2f}")
    for ph in ("decode", "preprocess", "infer", "score", "total"):
        row(f"API {ph} p50 / p99, ms", lambda r, ph=ph: f"{r['latency']['api_phases_ms'][ph]['p50']:.2f} / "
                                                       f"{r['latency']['api_phases_ms'][ph]['p99']:.2f}")
    row("API round trip at the client p50 / p99, ms (adds HTTP, JSON, journal)",
        lambda r: f"{r['latency']['api_client_ms']['p50']:.2f} / {r['latency']['api_client_ms']['p99']:.2f}")
    row("**end to end / floor** (in-appliance total, median of rounds; target <= 1.25)",
        lambda r: f"x{r['latency']['e2e_over_floor_median']:.2f}")
    row("client round trip / floor", lambda r: f"x{r['latency']['client_over_floor_median']:.2f}")
    row("scorer hot path p50 (preprocess+infer+score, in-process), ms",
        lambda r: f"{r['latency']['scorer_hot_path']['hot']['p50']:.2f}")
    row("**heap bytes / image, scorer hot path** (preprocess / infer / score)",
        lambda r: f"{r['latency']['scorer_bytes_per_image']:.0f} ({r['latency']['scorer_bytes_per_image_by_phase']['preprocess']:.0f}"
                  f" / {r['latency']['scorer_bytes_per_image_by_phase']['infer']:.0f}"
                  f" / {r['latency']['scorer_bytes_per_image_by_phase']['score']:.0f})")
    row("heap bytes / image, JPEG decode", lambda r: f"{r['latency']['decode_bytes_per_image']:.0f}")
    row("heap bytes / request, whole request (jvm_gc_memory_allocated_bytes)",
        lambda r: f"{r['memory']['heap_bytes_per_request']:.0f}")
    row("throughput warm-up: images/s per block of 500 until steady (JIT)",
        lambda r: " ".join(f"{v:.0f}" for _, v in r["throughput"]["warmup_images_per_s"]))
    row("verdicts in the throughput rounds (good / defect)",
        lambda r: f"{r['throughput']['verdicts']['good']} / {r['throughput']['verdicts']['defect']}")
    row("**throughput, appliance** (images/s, clients)",
        lambda r: f"{r['throughput']['appliance_ips_median']:.1f} ({r['throughput']['clients']})")
    row("throughput, Python loop (ORT defaults) images/s", lambda r: f"{r['throughput']['python_ips_median']:.1f}")
    row("**appliance / Python loop** (median of rounds; target >= 2)", lambda r: f"x{r['throughput']['ratio_median']:.2f}")
    row("Python loop without ORT spinning, images/s (ratio)",
        lambda r: f"{r['throughput']['python_tuned_ips_median']:.1f} (x{r['throughput']['ratio_tuned_median']:.2f})")
    row("cores busy: appliance / Python loop (of 2)",
        lambda r: f"{r['throughput']['appliance_cores_busy_median']:.2f} / {r['throughput']['python_cores_busy_median']:.2f}")
    row("CPU ms / image: appliance / Python loop",
        lambda r: f"{r['throughput']['appliance_cpu_ms_per_image_median']:.2f} / {r['throughput']['python_cpu_ms_per_image_median']:.2f}")
    row("Python loop phases p50, ms (decode+preprocess / infer / score)",
        lambda r: " / ".join(f"{r['throughput']['python_phases_ms'][k]['p50']:.2f}" for k in ("decode+preprocess", "infer", "score")))
    row("score, Python vs appliance, max relative difference",
        lambda r: f"{r['throughput']['score_max_rel_diff_python_vs_appliance']:.1e}")
    row("RSS at ready, MiB (memory run)", lambda r: f"{r['memory']['rss_ready_mib']:.0f}")
    row("**RSS after 10000 images**, MiB (growth after the first 20 %)",
        lambda r: f"{r['memory']['rss_after_mib']:.0f} ({r['memory']['rss_growth_after_warmup_mib']:+.1f})")
    row("RSS along the run, MiB", lambda r: " ".join(f"{v:.0f}" for _, v in r["memory"]["rss_trail_mib"]))
    row("folder, warm JIT: files -> all archived, s (images/s; median of rounds)",
        lambda r: f"{r['folder']['images']} -> {r['folder']['seconds_until_all_archived']:.1f} ({r['folder']['images_per_s']:.1f})")
    row("**folder images/s once flowing** (first tenth archived -> last; excludes the settle period)",
        lambda r: f"{r['folder'].get('images_per_s_flowing', float('nan')):.1f}")
    row("folder: CPU ms / image, cores busy (of 2)",
        lambda r: f"{r['folder']['appliance_cpu_s_per_image'] * 1000:.2f}, {r['folder'].get('cores_busy', float('nan')):.2f}")
    for ph in ("decode", "preprocess", "infer", "score", "total"):
        row(f"folder {ph} p50 / p99, ms (from histogram buckets)",
            lambda r, ph=ph: f"{r['folder']['phases_ms_from_histogram'][ph]['p50']:.2f} / "
                             f"{r['folder']['phases_ms_from_histogram'][ph]['p99']:.2f}")
    # issue 15 (format 2): bench.py targets / batching
    row("model format, input", lambda r: f"{r['targets']['floor_info']['shape']} -> {r['targets']['floor_info']['outputs']}")
    row("**floor**: ORT session.run p50, ms (threads)",
        lambda r: f"{r['targets']['floor_p50_ms']:.2f} ({r['targets']['threads']})")
    row("**CPU ms / image: folder (everything) / Python loop**",
        lambda r: f"{r['targets']['folder_cpu_ms_per_image']:.2f} / {r['targets']['python_cpu_ms_per_image']:.2f}")
    row("**folder CPU / Python loop CPU** (median of rounds; target <= 0.7)",
        lambda r: "x%.2f (rounds: %s)" % (r["targets"]["cpu_ratio_median"],
                                          " ".join("%.2f" % x["cpu_ratio"] for x in r["targets"]["rounds"])))
    row("images/s: folder / Python loop (cores busy of the loop)",
        lambda r: f"{r['targets']['folder_images_per_s']:.1f} / {r['targets']['python_images_per_s']:.1f} "
                  f"({r['targets']['python_cores_busy']:.2f})")
    row("Python loop phases p50, ms (decode+preprocess / infer)",
        lambda r: " / ".join(f"{v:.2f}" for v in r['targets']['python_phases_ms'].values()))
    for ph in ("decode", "preprocess", "queue", "infer", "score", "total"):
        row(f"API {ph} p50 / p99, ms (sequential)",
            lambda r, ph=ph: f"{r['targets']['api_phases_ms'][ph]['p50']:.2f} / {r['targets']['api_phases_ms'][ph]['p99']:.2f}")
    row("**API total / floor** (server side, median of rounds; target <= 1.15 where floor >= 10 ms)",
        lambda r: f"x{r['targets']['e2e_over_floor_median']:.2f}")
    row("API client round trip p50, ms (/ floor)",
        lambda r: f"{r['targets']['client_p50_ms']:.2f} (x{r['targets']['client_over_floor_median']:.2f})")
    for ph in ("decode", "preprocess", "infer", "total"):
        row(f"folder {ph} p50 / p99, ms (histogram buckets)",
            lambda r, ph=ph: f"{r['targets']['folder_phases_ms'][ph]['p50']:.2f} / {r['targets']['folder_phases_ms'][ph]['p99']:.2f}")
    row("**RSS**, MiB: ready / after 10 % / end of memory run / peak / end of bench",
        lambda r: f"{r['targets']['rss_ready_mib']:.0f} / {r['targets']['rss_trail_mib'][0][1]:.0f} / "
                  f"{r['targets']['rss_after_memory_run_mib']:.0f} / {r['targets']['rss_peak_mib']:.0f} / {r['targets']['rss_end_mib']:.0f}")
    row("RSS growth, memory run after its first 20 %, MiB (images)",
        lambda r: f"{r['targets']['rss_growth_after_first_20pct_mib']:+.1f} ({r['targets']['memory_images']})")
    row("RSS along the memory run, MiB", lambda r: " ".join(f"{v[1]:.0f}" for v in r["targets"]["rss_trail_mib"]))
    row("**heap bytes / image**: API request (whole process) / folder image (whole process; folder worker threads)",
        lambda r: f"{r['targets']['heap_bytes_per_request']:.0f} / {r['targets']['folder_heap_bytes_per_image']:.0f}"
                  f" ({r['targets']['folder_worker_heap_bytes_per_image']:.0f})")
    row("heap bytes / image, in-process: JPEG decode / hot path (preprocess / infer / score)",
        lambda r: f"{r['targets']['decode_bytes_per_image']:.0f} / {r['targets']['hot_path_bytes_per_image']:.0f} "
                  f"({r['targets']['hot_path_bytes_by_phase']['preprocess']:.0f} / {r['targets']['hot_path_bytes_by_phase']['infer']:.0f}"
                  f" / {r['targets']['hot_path_bytes_by_phase']['score']:.0f})")
    row("in-process p50, ms: JPEG decode / preprocess / infer / score",
        lambda r: f"{r['targets']['decode_ms']['p50']:.2f} / {r['targets']['hot_path']['preprocess']['p50']:.2f} / "
                  f"{r['targets']['hot_path']['infer']['p50']:.2f} / {r['targets']['hot_path']['score']['p50']:.2f}")
    row("score, Python loop vs appliance, max relative difference",
        lambda r: f"{r['targets']['score_max_rel_diff_python_vs_appliance']:.1e}")
    for b in ("1", "2", "4", "8"):
        row(f"batch N={b}: images/s, CPU ms/image (vs N=1)",
            lambda r, b=b: f"{r['batching']['by_batch'][b]['images_per_s']:.1f}, {r['batching']['by_batch'][b]['cpu_ms_per_image']:.2f} "
                           f"(x{r['batching']['by_batch'][b]['throughput_vs_n1']:.2f}, x{r['batching']['by_batch'][b]['cpu_vs_n1']:.2f})")
    row("**start-up until ready**, s (median of starts)", lambda r: f"{r['startup']['ready_s_median']:.2f}")
    row("RSS at ready, default JVM options, MiB", lambda r: f"{r['startup']['rss_ready_mib_median']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
