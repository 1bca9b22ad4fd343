#!/usr/bin/env python3
"""Where the appliance's CPU goes through the watched folder: async-profiler (CPU time, `itimer`) over one
burst of files into a warmed appliance, summed by component.

    target/trainer-venv/bin/python bench/profile_folder.py default [--files 1000 --warm 3000]
    target/trainer-venv/bin/python bench/profile_folder.py line --files 300 --warm 1000

The appliance is warmed through the API (`--warm` images) and by half a burst, then profiled over one burst
of `--files` files; the collapsed stacks are written to target/bench/profile-<model>.collapsed and summed
by the first matching rule of COMPONENTS (a stack that holds ORT is ORT, whoever called it).
async-profiler comes from Maven Central (tools.profiler:async-profiler, fetched with ./mvnw when missing).
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

ASYNC_PROFILER = "4.1"
COMPONENTS = [
    ("JIT compiler", ["CompileBroker", "C2Compiler", "C1Compiler", "Compile::"]),
    ("GC", ["G1", "GCTask", "ConcurrentGC", "WorkerThread::run"]),
    ("ORT session.run", ["OrtSession.run", "onnxruntime", "Mlas"]),
    ("JPEG decode", ["JPEGImageReader", "imageio", "jpeg_", "libjavajpeg", "libjpeg"]),
    ("preprocess", ["Preprocessor"]),
    ("score (Java)", ["io/lineside/scoring/Scores"]),
    ("history (image store, heatmap data)", ["io/lineside/history"]),
    ("journal", ["io/lineside/journal"]),
    ("folder source (claim, plan, sidecar, archive)", ["io/lineside/ingest/folder"]),
    ("metrics", ["micrometer"]),
    ("HTTP (Vert.x, Netty)", ["vertx", "netty"]),
]


def profiler_library() -> Path:
    jar = Path.home() / ".m2" / "repository" / "tools" / "profiler" / "async-profiler" / ASYNC_PROFILER / \
        f"async-profiler-{ASYNC_PROFILER}.jar"
    if not jar.is_file():
        bench.run([bench.ROOT / "mvnw", "-q", "-f", bench.ROOT / "pom.xml", "dependency:get",
                   f"-Dartifact=tools.profiler:async-profiler:{ASYNC_PROFILER}"])
    out = bench.WORK / "async-profiler"
    lib = out / "linux-x64" / "libasyncProfiler.so"
    if not lib.is_file():
        with zipfile.ZipFile(jar) as z:
            z.extract("linux-x64/libasyncProfiler.so", out)
    return lib


def agent(pid: int, lib: Path, options: str) -> None:
    # jcmd parses key=value words itself: the options go quoted, as one string
    subprocess.run(["jcmd", str(pid), "JVMTI.agent_load", str(lib), f'"{options}"'], check=True, capture_output=True)


def summarise(collapsed: Path) -> list[tuple[str, float]]:
    by = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, n = line.rsplit(" ", 1)
        total += int(n)
        name = next((c for c, keys in COMPONENTS if any(k in stack for k in keys)), "other")
        by[name] += int(n)
    return [(name, n / max(total, 1)) for name, n in by.most_common()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="default, line, or another name bench.py knows")
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--warm", type=int, default=3000)
    args = p.parse_args(argv)
    lib = profiler_library()
    model = "default" if args.model == "default" else str(bench.model_path(args.model))
    images_dir = bench.ensure_line_images() if args.model.startswith("line") else bench.ensure_images()
    images = bench.load_images(images_dir)
    out = bench.WORK / f"profile-{args.model}.collapsed"
    app = bench.Appliance(model, "profile")
    try:
        app.calibrate(images_dir)
        bench.drive(app, images, args.warm, 8)
        folder = bench.FolderRounds(app, images)
        folder.round("warm", max(1, args.files // 2))
        agent(app.proc.pid, lib, "start,event=itimer,interval=1ms")
        r = folder.round("profiled", args.files)
        agent(app.proc.pid, lib, f"stop,collapsed,file={out}")
    finally:
        app.stop()
    cpu = r["cpu_ms_per_image"]
    print(f"{args.model}: {args.files} files, {cpu:.2f} CPU ms per image; by component (share, ms per image):")
    for name, share in summarise(out):
        print(f"  {name:48s} {100 * share:5.1f} %  {share * cpu:6.2f}")
    print(f"stacks: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
