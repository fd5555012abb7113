#!/usr/bin/env python3
"""Runtime calls per small request: allocations, reference counting, task switches, index reads.

Time per request moves by 10 % between runs on this shared machine; the number of `malloc`,
`swift_allocObject`, `swift_retain` and `swift_task_switch` calls a request makes does not
(a few tenths either way). Each build given gets its own server (compare_bench's start_floe)
with `--objects` objects of 4 KiB (100 by default) and a warm-up after start-up's one-time work;
`perf probe` puts a counter on each function (in the libraries the binary loads; `sqlite3_step`
counts the index reads the caches did not answer) and `perf stat` counts the calls the server
makes while scripts/bench/loadgen.c sends `--requests` presigned requests at `--clients`. Prints
calls per request for each build, and the system calls and context switches of the server's
threads per request.
Needs root (uprobes) and perf.

    python3 scripts/bench/request_counts.py [--method HEAD] [--requests 10000] [--clients 8] [--objects 100] BINARY...
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402

# (library name as ldd shows it, function): what is counted.
COUNTED = [
    ("libc.so.6", "malloc"),
    ("libswiftCore.so", "swift_allocObject"),
    ("libswiftCore.so", "swift_retain"),
    ("libswiftCore.so", "swift_release"),
    ("libswift_Concurrency.so", "swift_task_switch"),
    ("libsqlite3.so.0", "sqlite3_step"),  # reads of the index the caches did not answer
]
# (column, perf event): the kernel's side of a request, counted over the server's threads.
KERNEL_EVENTS = [("syscalls", "raw_syscalls:sys_enter"), ("switches", "context-switches")]


def libraries(binary: str) -> dict:
    found = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>":
            found[parts[0]] = os.path.realpath(parts[2])
    return found


def probe_events(binary: str) -> list[tuple[str, str]]:
    """The perf event of each counted function, added once (perf keeps probes until removed)."""
    libs = libraries(binary)
    listed = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    events = []
    for library, function in COUNTED:
        path = libs.get(library)
        if path is None:
            sys.exit(f"{binary} does not load {library}")
        group = "floe_" + library.split(".")[0].replace("-", "_")
        event = f"{group}:{function}"
        if event not in listed:
            subprocess.run(["perf", "probe", "-q", "-f", "-x", path, "-a", f"{event}={function}"], check=True)
        events.append((function, event))
    return events


def count(binary: str, args, work: str) -> dict:
    root = tempfile.mkdtemp(prefix="counts-", dir=work)
    started = time.monotonic()
    server = cb.start_floe(root, binary, describe_tree=False)
    loadgen = os.path.join(work, "loadgen")
    try:
        keys = [f"/bench/o{k:05d}" for k in range(args.objects)]
        cb.seed_objects(server, keys, b"x" * 4096)
        paths = os.path.join(root, "paths")
        with open(paths, "w") as f:
            for key in keys:
                f.write(server.target(args.method, key) + "\n")
        # Start-up's one-time work (the code pages released a second after the listeners are
        # up, first uses of caches and metadata) is over before anything is counted.
        time.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
        subprocess.run([loadgen, "-p", str(server.port), "-m", args.method, "-f", paths, "-c", str(args.clients), "-d", "30",
                        "-n", "2000"], capture_output=True, check=True)
        events = probe_events(binary) + KERNEL_EVENTS
        stat = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(e for _, e in events), "-p", str(server.proc.pid)],
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # perf attached before the first request
        run = subprocess.run([loadgen, "-p", str(server.port), "-m", args.method, "-f", paths,
                              "-c", str(args.clients), "-d", "120", "-n", str(args.requests)], capture_output=True, text=True, check=True)
        time.sleep(0.3)
        stat.send_signal(2)
        _, err = stat.communicate(timeout=30)
    finally:
        server.stop()
    result = json.loads(run.stdout)
    if result["errors"] or result["requests"] != args.requests:
        sys.exit(f"{binary}: {result}")
    calls = {}
    for line in err.strip().splitlines():
        fields = line.split(",")
        for function, event in events:
            if len(fields) > 2 and fields[2].startswith(event) and fields[0].isdigit():
                calls[function] = int(fields[0]) / args.requests
    return calls


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="HEAD", choices=["HEAD", "GET"])
    p.add_argument("--requests", type=int, default=10000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--objects", type=int, default=100, help="objects of 4 KiB read in turn (compare_bench reads 1,000)")
    p.add_argument("binaries", nargs="+")
    args = p.parse_args()
    if not 100 <= args.requests <= 1_000_000 or not 1 <= args.objects <= 10_000:
        sys.exit("requests 100–1,000,000; objects 1–10,000")
    if shutil.which("perf") is None:
        sys.exit("perf is needed (Debian: linux-perf)")
    work = tempfile.mkdtemp(prefix="request-counts-")
    try:
        subprocess.run(["cc", "-O2", "-pthread", "-o", os.path.join(work, "loadgen"), cb.LOADGEN_SOURCE], check=True)
        print(f"{args.method} 4 KiB over {args.objects} objects, presigned, {args.requests} requests at -c {args.clients}: calls per request")
        columns = [f for _, f in COUNTED] + [c for c, _ in KERNEL_EVENTS]
        print(f"{'build':<40}" + "".join(f"{c:>20}" for c in columns))
        for binary in args.binaries:
            calls = count(binary, args, work)
            print(f"{binary[-40:]:<40}" + "".join(f"{calls.get(c, float('nan')):>20.2f}" for c in columns))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
