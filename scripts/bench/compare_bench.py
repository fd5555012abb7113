#!/usr/bin/env python3
"""Side-by-side benchmark: Floe against nginx and `rclone serve s3`, same workloads, same disk.

Every server is started by this script on a free 127.0.0.1 port, all at once, each over a fresh
directory in the work directory, and measured with scripts/bench/loadgen.c (C, compiled here;
N threads each holding one keep-alive connection, closed loop, 8 by default), one server loaded
at a time; the Floe builds start last, so that their idle RSS is read 3 s after they listen.
Workloads of 4 KiB requests run in `--turns` rounds (5; at most one per second of `--seconds`):
each round loads every server for `--seconds` // turns whole seconds, after one unmeasured
second of the same workload (a server idle through the others' turns may have let its caches
go), each rotation of the order run forwards then backwards, so that the machine's drift during
the run falls on every server alike (on this shared VM one build's HEAD rate moved by a quarter
within minutes). The table gives each server's requests over its turns' seconds, and a line per
such workload each round's Floe ÷ other. Large transfers and the listing run once per server:

  * GET / HEAD / PUT of 4 KiB objects (ops/s), GET / PUT of 1 MiB and 64 MiB objects (MB/s,
    decimal), each for `--seconds`. GETs rotate over pre-created objects (1000 × 4 KiB,
    16 × 1 MiB, 4 × 64 MiB); 4 KiB PUTs use distinct keys, wrapping round (overwriting) only if
    the list runs out, which the output says; 1 MiB / 64 MiB PUTs rotate over 64 / 4 keys.
    64 MiB workloads run at least 5 s so that several transfers finish (a transfer in flight
    when the time is up is not counted). The load generator reads every body, knows HEAD has
    none (wrk does not), and counts any non-2xx answer as an error.
  * HEAD of the same 4 KiB objects presigned by a user holding the builtin `readonly` policy
    (Floe only): root's requests skip policy evaluation, a real deployment's users do not.
  * One ListObjectsV2 `?list-type=2&delimiter=/` over a bucket of 100 prefixes × 300 keys,
    timed from Python: median of 10 (the p50 / p99 column shows median / slowest, and the first,
    cold listing is printed apart, since rclone answers later ones from its directory cache).
    Floe and rclone only.

Floe and rclone both check SigV4: every request carries a presigned URL (query auth,
UNSIGNED-PAYLOAD, method-specific), computed here in advance, one per key and method. nginx
serves plain files and takes PUTs with its built-in WebDAV module. Objects for nginx and rclone
are written straight into the directories they serve (bucket = top-level directory); Floe's are
PUT over HTTP. Also printed: hashing and fsync floors of this machine (with what the disk gives to
1 MiB files made durable the way Floe's blob store makes them), and Floe's memory
(/proc: RSS, its anonymous part and threads when idle, VmHWM reset before and read after each
workload, RSS after).
Any non-2xx answer or workload with nothing completed is shown in the errors column; Floe's make
the exit status 1 unless --allow-errors.

    python3 scripts/bench/compare_bench.py [--binary .build/release/floe] [--quick]
        [--only floe,nginx,rclone] [--workloads get4k,put4k,...] [--baseline OLD_BINARY] [--markdown F] [--json F]
"""
import argparse, concurrent.futures, datetime, hashlib, hmac, http.client, json, os, platform, re
import shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.parse

USER, SECRET, REGION = "benchroot", "bench-secret-12345", "us-east-1"
KIB, MIB = 1024, 1024 * 1024
NGINX, RCLONE = "/usr/sbin/nginx", os.path.join(os.path.dirname(__file__), "../../.venv/bin/rclone")
SERVERS = ("floe", "nginx", "rclone")
# "baseline" is a second Floe build (--baseline), measured in the same run for a before/after.
FLOE_BUILDS = ("floe", "baseline")
TITLES = {"floe": "Floe", "baseline": "baseline", "nginx": "nginx", "rclone": "rclone"}
# name -> (label, method, object size, unit); objects and keys are named by size.
WORKLOADS = {
    "get4k": ("GET 4 KiB", "GET", 4 * KIB, "ops/s"), "head4k": ("HEAD 4 KiB", "HEAD", 4 * KIB, "ops/s"),
    "put4k": ("PUT 4 KiB", "PUT", 4 * KIB, "ops/s"), "get1m": ("GET 1 MiB", "GET", MIB, "MB/s"),
    "put1m": ("PUT 1 MiB", "PUT", MIB, "MB/s"), "get64m": ("GET 64 MiB", "GET", 64 * MIB, "MB/s"),
    "put64m": ("PUT 64 MiB", "PUT", 64 * MIB, "MB/s"), "list": ("ListObjectsV2 delimiter=/", "LIST", 0, "ms"),
    # Floe only: the same HEADs signed by a user with the builtin `readonly` policy (root's skip policy evaluation).
    "head4k-user": ("HEAD 4 KiB as a readonly user", "HEAD", 4 * KIB, "ops/s"),
}
GET_OBJECTS = {4 * KIB: 1000, MIB: 16, 64 * MIB: 4}
PUT_KEYS = {MIB: 64, 64 * MIB: 4}  # rotating; 4 KiB PUTs get args.put4k_keys distinct keys

LOADGEN_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loadgen.c")



class Presigner:
    """SigV4 query-string auth for one host (only `host` signed, UNSIGNED-PAYLOAD); key derived once."""

    def __init__(self, host: str, access_key: str = USER, secret: str = SECRET):
        self.host, self.date = host, datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.access_key, self.scope = access_key, f"{self.date[:8]}/{REGION}/s3/aws4_request"
        self.key = ("AWS4" + secret).encode()
        for part in (self.date[:8], REGION, "s3", "aws4_request"):
            self.key = hmac.new(self.key, part.encode(), hashlib.sha256).digest()

    def url(self, method: str, path: str, query: dict | None = None) -> str:
        params = dict(query or {}, **{"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{self.access_key}/{self.scope}",
                                      "X-Amz-Date": self.date, "X-Amz-Expires": "3600", "X-Amz-SignedHeaders": "host"})
        enc = lambda s: urllib.parse.quote(s, safe="-_.~")
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in params.items()))
        uri = urllib.parse.quote(path, safe="/~")
        canonical = "\n".join([method, uri, canonical_query, f"host:{self.host}\n", "host", "UNSIGNED-PAYLOAD"])
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self.date, self.scope, hashlib.sha256(canonical.encode()).hexdigest()])
        return f"{uri}?{canonical_query}&X-Amz-Signature={hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()}"


class Server:
    def __init__(self, name: str, port: int, proc: subprocess.Popen, signed: bool, version: str):
        self.name, self.port, self.proc, self.version = name, port, proc, version
        self.signer = Presigner(f"127.0.0.1:{port}") if signed else None
        self.user_signer: Presigner | None = None  # Floe's `readonly` user, made for head4k-user
        self.root = ""  # its directory in the work directory

    def target(self, method: str, path: str, query: dict | None = None) -> str:
        if self.signer:
            return self.signer.url(method, path, query)
        return urllib.parse.quote(path) + ("?" + urllib.parse.urlencode(query) if query else "")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: master and workers
                self.proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(cmd: list, root: str, log: str, env=None) -> subprocess.Popen:
    with open(log, "w") as out:  # own session: Ctrl-C reaches only us, the finally below stops servers
        return subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_listening(proc: subprocess.Popen, port: int, name: str, log: str):
    """Returns once `port` takes connections; otherwise (or on Ctrl-C) the server is killed, as it
    is in no registry yet, and the run ends."""
    try:
        for _ in range(300):  # at most 30 s
            if proc.poll() is not None:
                sys.exit(f"{name} exited with {proc.returncode}:\n{open(log).read()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"{name} is not listening on 127.0.0.1:{port} after 30 s")
    except BaseException:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: nginx's workers too
            proc.wait(timeout=10)
        raise


def start_floe(root: str, binary: str, describe_tree: bool = True) -> Server:
    port, log = free_port(), os.path.join(root, "floe.log")
    env = dict(os.environ, FLOE_ROOT_USER=USER, FLOE_ROOT_PASSWORD=SECRET, FLOE_LOG_LEVEL="warning")
    proc = launch([os.path.abspath(binary), "server", "--data", os.path.join(root, "data"), "--no-console", "--s3-address", f"127.0.0.1:{port}",
                   "--catalog-address", f"127.0.0.1:{free_port()}", "--no-bootstrap"], root, log, env)
    wait_listening(proc, port, "floe", log)
    if not describe_tree:  # a baseline binary was built from some other tree
        return Server("floe", port, proc, True, binary)
    rev = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "?"
    return Server("floe", port, proc, True, f"{binary} (source tree {rev})")


def ensure_nginx():
    """nginx is Debian's package; a fresh machine gets it before the run, not halfway through."""
    if not os.path.exists(NGINX):
        subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def start_nginx(root: str) -> Server:
    port, conf, log = free_port(), os.path.join(root, "nginx.conf"), os.path.join(root, "nginx.log")
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must be able to write the served tree
    with open(conf, "w") as f:
        f.write(f"""{user}worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; client_max_body_size 0;
    client_body_temp_path {root}/body_temp; proxy_temp_path {root}/proxy_temp; fastcgi_temp_path {root}/fastcgi_temp;
    uwsgi_temp_path {root}/uwsgi_temp; scgi_temp_path {root}/scgi_temp;
    server {{
        listen 127.0.0.1:{port};
        location / {{ root {root}/www; dav_methods PUT; create_full_put_path on; dav_access user:rw; }}
    }}
}}
""")
    proc = launch([NGINX, "-p", root, "-c", conf, "-e", f"{root}/error.log", "-g", "daemon off; master_process on;"], root, log)
    wait_listening(proc, port, "nginx", log)
    version = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
    return Server("nginx", port, proc, False, version)


def start_rclone(root: str) -> Server:
    port, log = free_port(), os.path.join(root, "rclone.log")
    proc = launch([RCLONE, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{USER},{SECRET}",
                   "--config", "/dev/null", os.path.join(root, "www")], root, log)
    wait_listening(proc, port, "rclone", log)
    version = subprocess.run([RCLONE, "version"], capture_output=True, text=True).stdout.split("\n")[0].split()[-1]
    return Server("rclone", port, proc, True, f"{version} (--auth-key: SigV4 checked, as for Floe)")


def object_layout(quick: bool, list_shape: tuple[int, int]) -> dict:
    """Keys per purpose: GET objects by size, and the listing bucket's keys."""
    get = {size: [f"/bench/obj-{size}/{i:06d}" for i in range(min(count, 100) if quick else count)]
           for size, count in GET_OBJECTS.items()}
    prefixes, per_prefix = list_shape
    return {"get": get, "list": [f"/list/p{p:03d}/k{k:03d}" for p in range(prefixes) for k in range(per_prefix)]}


def seed_files(www: str, layout: dict, with_list: bool):
    """Writes objects straight into a served tree (nginx, rclone): bucket = top-level directory."""
    os.makedirs(os.path.join(www, "bench"), exist_ok=True)
    paths = [(p, size) for size, keys in layout["get"].items() for p in keys]
    paths += [(p, 16) for p in layout["list"]] if with_list else []
    for path, size in paths:
        os.makedirs(os.path.dirname(www + path), exist_ok=True)
        with open(www + path, "wb") as f:
            f.write(body_of(size))


_BODIES: dict = {}


def body_of(size: int) -> bytes:
    return _BODIES.setdefault(size, os.urandom(size))


def http_call(server: Server, method: str, target: str, body: bytes | None = None, conn=None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request(method, target, body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def seed_objects(server: Server, keys: list[str], body: bytes, bucket: str = "/bench"):
    """Creates `bucket` and PUTs `body` at each key, one request at a time (the small sets of the
    paired, alternating and counting runs); exits on any refusal."""
    status, text = http_call(server, "PUT", server.target("PUT", bucket), b"")
    if status >= 300:
        sys.exit(f"{server.version}: creating bucket {bucket} failed: HTTP {status} {text[:300]!r}")
    for key in keys:
        status, text = http_call(server, "PUT", server.target("PUT", key), body)
        if status != 200:
            sys.exit(f"seeding {key} on {server.version}: HTTP {status} {text[:200]!r}")


def seed_http(server: Server, layout: dict, with_list: bool, deadline_s: float = 900):
    """PUTs the objects through Floe's S3 API: 8 threads, one keep-alive connection each, bounded in time."""
    for bucket in ("/bench", "/list"):
        status, text = http_call(server, "PUT", server.target("PUT", bucket), b"")
        if status >= 300:
            sys.exit(f"{server.name}: creating bucket {bucket} failed: HTTP {status} {text[:300]!r}")
    jobs = [(p, size) for size, keys in layout["get"].items() for p in keys]
    jobs += [(p, 16) for p in layout["list"]] if with_list else []
    deadline, stop = time.monotonic() + deadline_s, threading.Event()

    def put_slice(part):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for path, size in part:
            if stop.is_set():
                break
            status, text = http_call(server, "PUT", server.target("PUT", path), body_of(size), conn)
            if status >= 300 or time.monotonic() > deadline:
                raise RuntimeError(f"seeding {path}: HTTP {status} {text[:200]!r} (or over {deadline_s} s)")
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        try:
            list(pool.map(put_slice, [jobs[i::8] for i in range(8)]))
        finally:
            stop.set()  # after an error or Ctrl-C the other threads end with their current PUT


def policy_user_signer(server: Server, binary: str) -> Presigner:
    """A user with the builtin `readonly` policy, made with Floe's own CLI, and a presigner for its key."""
    env = dict(os.environ, FLOE_ALIAS_BENCH=f"http://127.0.0.1:{server.port},{USER},{SECRET}")
    made = subprocess.run([os.path.abspath(binary), "admin", "user", "add", "bench", "bench-reader", "--policy", "readonly", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    if made.returncode:
        sys.exit(f"{server.name}: creating the policy user failed:\n{made.stdout}{made.stderr}")
    key = json.loads(made.stdout.strip().splitlines()[-1])
    return Presigner(f"127.0.0.1:{server.port}", key["accessKey"], key["secretKey"])


def workload_paths(server: Server, name: str, layout: dict, put4k_keys: int, turn: int = 0, turns: int = 1) -> list[str]:
    """The targets of one turn: GETs and HEADs read the same objects in every turn, 4 KiB PUTs
    take their turn's share of the distinct keys (so no turn overwrites another's)."""
    _, method, size, _ = WORKLOADS[name]
    if name == "head4k-user":
        return [server.user_signer.url(method, key) for key in layout["get"][size]]
    if method == "PUT":
        if size == 4 * KIB:
            share = put4k_keys // turns
            keys = [f"/bench/put-{size}/{i:06d}" for i in range(turn * share, (turn + 1) * share)]
        else:
            keys = [f"/bench/put-{size}/{i:06d}" for i in range(PUT_KEYS[size])]
    else:
        keys = layout["get"][size]
    return [server.target(method, key) for key in keys]


def cpu_ticks(pid: int) -> int:
    """User and system CPU of a process so far, in clock ticks (/proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def server_ticks(server: Server) -> int:
    """CPU ticks of a server's process and its children (nginx's workers)."""
    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in [server.proc.pid, *map(int, children)]:
        try:
            total += cpu_ticks(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def run_load(server: Server, name: str, paths: list[str], args, work: str, seconds: int, max_requests: int) -> dict:
    _, method, size, unit = WORKLOADS[name]
    status, text = http_call(server, method, paths[0], body_of(size) if method == "PUT" else None)
    if status >= 300:  # fail early and clearly, rather than 100k non-2xx responses
        sys.exit(f"{server.name} {name}: probe {method} {paths[0][:80]}… got HTTP {status} {text[:300]!r}")
    paths_file = os.path.join(work, f"{server.name}-{name}.paths")
    with open(paths_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    cmd = [os.path.join(work, "loadgen"), "-p", str(server.port), "-m", method, "-f", paths_file, "-c", str(args.concurrency),
           "-d", str(seconds), "-n", str(max_requests)]
    if method == "PUT":
        cmd += ["-b", str(size)]
    before = server_ticks(server)
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
    cpu_seconds = (server_ticks(server) - before) / os.sysconf("SC_CLK_TCK")
    if run.returncode:
        sys.exit(f"{server.name} {name}: loadgen failed ({run.returncode}):\n{run.stdout}{run.stderr}")
    measured = json.loads(run.stdout)
    return {"ops_per_s": measured["ops_per_s"], "requests": measured["requests"], "seconds": measured["seconds"],
            "p50_ms": measured["p50_ms"], "p99_ms": measured["p99_ms"], "non2xx": measured["errors"], "socket_errors": 0,
            "overwrites": max(0, measured["requests"] - len(paths)) if method == "PUT" else 0, "cpu_seconds": cpu_seconds}


def combine_turns(name: str, turns: list[dict]) -> dict:
    """One result from a workload's turns: requests over the seconds they took, the median p50
    and the slowest p99 of the turns, each turn's ops/s kept."""
    _, _, size, unit = WORKLOADS[name]
    requests, seconds = sum(t["requests"] for t in turns), sum(t["seconds"] for t in turns)
    result = {"ops_per_s": requests / seconds if seconds else 0.0, "requests": requests,
              "p50_ms": statistics.median(t["p50_ms"] for t in turns), "p99_ms": max(t["p99_ms"] for t in turns),
              "non2xx": sum(t["non2xx"] for t in turns), "socket_errors": 0,
              "overwrites": sum(t["overwrites"] for t in turns), "turns_ops_per_s": [t["ops_per_s"] for t in turns],
              "empty_turns": sum(1 for t in turns if not t["requests"]),
              "cpu_us_per_request": sum(t["cpu_seconds"] for t in turns) * 1e6 / requests if requests else None}
    result["value"] = result["ops_per_s"] * (size / 1e6 if unit == "MB/s" else 1)
    return result


def turn_order(servers: list[str], turn: int) -> list[str]:
    """Each round's order: a pair of rounds takes one rotation of the servers forwards, then
    backwards, and the next pair the next rotation, so that no server always follows the same
    one (the disk's writeback of one server's PUTs lands in the next one's turn) and each comes
    first as often as the others: in 2 × n rounds each of n servers is first twice, and for two
    or three servers every order occurs. (Shifting by one each round and reversing every other
    one left two servers in the same order in every round.)"""
    shift = turn // 2 % len(servers)
    order = servers[shift:] + servers[:shift]
    return order[::-1] if turn % 2 else order


def warm_up(server: Server, name: str, layout: dict, args, work: str):
    """One unmeasured second of the workload before each turn (PUTs to keys of their own). A
    server idle through the other servers' turns may have let go of what it keeps warm: Floe
    empties its caches and unmaps its code after 5 s under 1 % of a core (IdleMemoryRelease), and
    a turn would start cold where a workload run end to end does not."""
    _, method, size, _ = WORKLOADS[name]
    if method == "PUT":
        paths = [server.target(method, f"/bench/warm-{size}/{i:04d}") for i in range(200)]
    else:
        paths = workload_paths(server, name, layout, args.put4k_keys)
    run_load(server, name, paths, args, work, 1, args.max_requests)


def turns_of(args, name: str) -> int:
    """Small requests are measured in turns: every server loaded for a share of `--seconds` in
    each round, the order rotating, so that the machine's drift over the run (the same build's
    HEAD rate moved by a quarter within minutes here) falls on all servers alike. Large transfers
    run in one turn each: a turn of a few seconds would end with too large a share of its 64 MiB
    transfers in flight and uncounted."""
    _, method, size, _ = WORKLOADS[name]
    return max(1, min(args.turns, args.seconds)) if method != "LIST" and size <= 4 * KIB else 1


def workload_seconds(args, size: int) -> int:
    """64 MiB transfers take about a second each here: give them long enough for several to finish."""
    return max(args.seconds, 5) if size >= 64 * MIB else args.seconds


def time_listing(server: Server, prefixes: int, runs: int = 100, deadline_s: float = 60) -> dict:
    """One `?list-type=2&delimiter=/` over the listing bucket, `runs` times; checks the prefix count."""
    conn, times, errors = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120), [], 0
    deadline = time.monotonic() + deadline_s
    for _ in range(runs):
        target = server.target("GET", "/list", {"list-type": "2", "delimiter": "/"})
        started = time.perf_counter()
        status, text = http_call(server, "GET", target, conn=conn)
        times.append((time.perf_counter() - started) * 1000)
        errors += status != 200 or text.count(b"<CommonPrefixes>") != prefixes
        if time.monotonic() > deadline:
            break
    conn.close()
    median = statistics.median(times)
    return {"value": median, "first_ms": times[0], "p50_ms": median, "p99_ms": max(times), "requests": len(times),
            "non2xx": errors, "socket_errors": 0, "overwrites": 0}


def proc_status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "hwm_mb": int(fields["VmHWM"].split()[0]) / 1024,
            "anon_mb": int(fields["RssAnon"].split()[0]) / 1024,
            "threads": int(fields["Threads"])}


def reset_peak(pid: int):
    with open(f"/proc/{pid}/clear_refs", "w") as f:  # "5" resets VmHWM (Linux >= 4.0)
        f.write("5")


def start_server(name: str, args, work: str, layout: dict, registry: list) -> Server:
    root = os.path.join(work, name)
    os.makedirs(os.path.join(root, "www"))
    if name in FLOE_BUILDS:
        server = start_floe(root, args.binary if name == "floe" else args.baseline, describe_tree=name == "floe")
    else:
        seed_files(os.path.join(root, "www"), layout, "list" in args.workloads and name != "nginx")
        server = start_nginx(root) if name == "nginx" else start_rclone(root)
    server.root = root
    registry.append(server)
    return server


def bench_servers(args, work: str, layout: dict, registry: list) -> tuple[dict, dict, dict]:
    """Starts every server at once, then measures each workload on all of them, in turns
    (`turns_of`): results, Floe's memory, versions."""
    # The Floe builds start last: their idle RSS is read 3 s after they listen, whatever the
    # seeding of the others' files took.
    started = {name: start_server(name, args, work, layout, registry) for name in sorted(args.only, key=lambda n: n in FLOE_BUILDS)}
    servers = {name: started[name] for name in args.only}
    floes = {name: s for name, s in servers.items() if name in FLOE_BUILDS}
    results, memory = {name: {} for name in servers}, {name: {} for name in floes}
    # Floe unmaps its start-up code pages a second after its listeners are up
    # (StartupCodeRelease): read at 1 s, the idle RSS was 12.7 MB in one run and 40.3 MB in the
    # next. Read well after that, as a fresh server standing idle.
    if floes:
        time.sleep(3)
    for name, server in floes.items():
        memory[name]["idle"] = proc_status(server.proc.pid)
    for name, server in floes.items():
        seed_http(server, layout, "list" in args.workloads)
    for workload in args.workloads:
        takers = [n for n in servers if n in FLOE_BUILDS or workload != "head4k-user"]  # nginx serves anyone; rclone has no policies
        for name in servers:
            results[name][workload] = None
        for name in floes:
            reset_peak(servers[name].proc.pid)
        if workload == "list":
            for name in takers:
                if name != "nginx":
                    results[name][workload] = time_listing(servers[name], args.list_shape[0])
        else:
            for name in takers:
                if workload == "head4k-user" and servers[name].user_signer is None:
                    servers[name].user_signer = policy_user_signer(servers[name], args.binary if name == "floe" else args.baseline)
            if not takers:
                continue
            turns = turns_of(args, workload)
            seconds = workload_seconds(args, WORKLOADS[workload][2]) // turns
            parts = {name: [] for name in takers}
            for turn in range(turns):
                for name in turn_order(takers, turn):
                    if turns > 1:
                        warm_up(servers[name], workload, layout, args, work)
                    paths = workload_paths(servers[name], workload, layout, args.put4k_keys, turn, turns)
                    parts[name].append(run_load(servers[name], workload, paths, args, work, seconds, args.max_requests // turns))
            for name in takers:
                results[name][workload] = combine_turns(workload, parts[name])
        for name in floes:
            if results[name][workload]:
                results[name][workload]["peak_mb"] = proc_status(servers[name].proc.pid)["hwm_mb"]
        for name in takers:
            print(f"  {name:8} {workload:11} {json.dumps(results[name][workload])}", file=sys.stderr, flush=True)
    for name, server in floes.items():
        memory[name]["after"] = proc_status(server.proc.pid)
    # Floe gives memory back after a quiet interval (IdleMemoryRelease): read it again then.
    if floes and args.settle_seconds > 0:
        time.sleep(args.settle_seconds)
        for name, server in floes.items():
            memory[name]["settled"] = proc_status(server.proc.pid)
    for server in servers.values():
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    return results, memory, {name: s.version for name, s in servers.items()}


def measure_floors(work: str, quick: bool, concurrency: int) -> dict:
    chunk, total = os.urandom(MIB), (64 if quick else 256)
    floors = {}
    for algo in ("md5", "sha256"):
        h, started = hashlib.new(algo), time.perf_counter()
        for _ in range(total):
            h.update(chunk)
        floors[algo + "_mb_s"] = total * MIB / 1e6 / (time.perf_counter() - started)
    path = os.path.join(work, "floor.bin")
    floors["fsync_write_mb_s"] = fsync_write(path, total, chunk)
    fd, count, started = os.open(path, os.O_WRONLY | os.O_TRUNC), 0, time.perf_counter()
    try:
        while time.perf_counter() - started < 2 and count < 1_000_000:
            os.pwrite(fd, chunk[:4 * KIB], count * 4 * KIB % MIB)
            os.fdatasync(fd)
            count += 1
    finally:
        os.close(fd)
        os.unlink(path)
    floors["fdatasync_4k_per_s"] = count / (time.perf_counter() - started)
    floors["durable_files_1m_mb_s"] = durable_files_floor(work, seconds=2 if quick else 6, writers=concurrency)
    floors["durable_files_64m_mb_s"] = durable_files_floor(work, seconds=3 if quick else 8, writers=concurrency, mib=64)
    return floors


def fsync_write(path: str, mib: int, chunk: bytes) -> float:
    """MB/s of one file of `mib` MiB written in one stream from `chunk` (1 MiB) and fsync'd once:
    the issue's "fsync'd write". The file is left in place."""
    started = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    return mib * MIB / 1e6 / (time.perf_counter() - started)


def durable_files_floor(work: str, seconds: float, writers: int, mib: int = 1) -> float:
    """What the disk gives to `writers` threads each storing objects of `mib` MiB the way Floe's
    blob store does (one file per object: written to a temporary name, fsync'd, renamed under a
    fan-out directory, that directory fsync'd, the file of the object it replaces unlinked),
    rotating over the PUT workload's keys (64 of 1 MiB, 8 of 64 MiB); no network, hashing or
    index. The single-stream fsync'd write above pays for one file and one fsync per 256 MiB, a
    durable 1 MiB PUT for a file, two fsyncs and an unlink per MiB. A writer finishes the object
    it has begun, so a turn may run past `seconds` by one object. MB/s."""
    root, chunk = os.path.join(work, "durable-floor"), os.urandom(MIB)
    os.makedirs(os.path.join(root, "tmp"))
    for d in range(16):
        os.makedirs(os.path.join(root, "objects", f"{d:x}"))
    deadline, done, lock = time.perf_counter() + seconds, [0], threading.Lock()

    def writer(w: int):
        current: dict[int, str] = {}
        for n in range(1_000_000):
            if time.perf_counter() >= deadline:
                break
            name = os.urandom(8).hex()
            temp, final = os.path.join(root, "tmp", name), os.path.join(root, "objects", name[0], name)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                for _ in range(mib):
                    os.write(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, final)
            dfd = os.open(os.path.dirname(final), os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            key = n % max(1, (64 if mib == 1 else 8) // writers)  # each writer its share of the keys
            if key in current:
                os.unlink(current[key])
            current[key] = final
            with lock:
                done[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    shutil.rmtree(root, ignore_errors=True)
    return done[0] * mib * MIB / 1e6 / elapsed


def problems(r: dict) -> list[str]:
    found = [f"{r['non2xx']} non-2xx"] if r["non2xx"] else []
    found += [f"{r['socket_errors']} socket errors"] if r["socket_errors"] else []
    found += [f"{r['empty_turns']} turns with none completed"] if r.get("empty_turns") and r["requests"] else []
    return found + (["none completed"] if not r["requests"] else [])


def fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if unit == "ops/s" else f"{value:,.1f}" if unit == "MB/s" else f"{value:,.2f}"


def header(args, versions: dict) -> list[str]:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    load = f"loadgen -c{args.concurrency} -d{args.seconds}s (keep-alive, closed loop)"
    small = [w for w in args.workloads if turns_of(args, w) > 1]
    if small:
        turns = turns_of(args, small[0])
        load += (f"; requests of 4 KiB in {turns} rounds of {args.seconds // turns} s per server after 1 s unmeasured, "
                 "each rotation of the order run forwards, then backwards")
    if {"get64m", "put64m"} & set(args.workloads) and workload_seconds(args, 64 * MIB) != args.seconds:
        load += f" (64 MiB: {workload_seconds(args, 64 * MIB)} s)"
    servers = "; ".join(f"{'Floe' if n == 'floe' else n} {v}" for n, v in versions.items())
    return [f"## {datetime.date.today()} — side by side (compare_bench.py)",
            f"Machine: {cpu}, {os.cpu_count()} cores, kernel {platform.release()}; {servers}; {load}", "",
            "| workload | " + " | ".join(TITLES[n] for n in columns_of(args)) + " | "
            + " | ".join(f"Floe ÷ {TITLES[n]}" for n in columns_of(args) if n != "floe") + " | Floe p50 / p99 ms | errors |",
            "|---|" + "---:|" * (2 * len(columns_of(args)) - 1) + "---:|---|"]


def table_row(args, workload: str, row: dict) -> str:
    label, _, _, unit = WORKLOADS[workload]
    if workload == "list":
        label += f", {args.list_shape[0]} × {args.list_shape[1]} keys (ms, median, lower is better)"
    else:
        label += f" ({unit})"
    columns = columns_of(args)
    value = {n: row[n]["value"] if row.get(n) else None for n in columns}
    ratios = [f"{value['floe'] / value[n]:.2f}" if value["floe"] and value[n] else "—" for n in columns if n != "floe"]
    floe = row["floe"]
    latency = f"{fmt(floe['p50_ms'], 'ms')} / {fmt(floe['p99_ms'], 'ms')}" if floe else "—"
    errors = "; ".join(f"{n}: {', '.join(problems(r))}" for n, r in row.items() if r and problems(r)) or "0"
    return f"| {label} | {' | '.join(fmt(value[n], unit) for n in columns)} | {' | '.join(ratios)} | {latency} | {errors} |"


def floor_ratios(floe: dict, floors: dict) -> list[str]:
    """Floe's large PUTs against the issue's floor, min(MD5 per core, fsync'd write), and against
    durable files of the same size written without network, hashing or index."""
    issue_floor = min(floors["md5_mb_s"], floors["fsync_write_mb_s"])
    found = []
    for workload, durable, size in (("put1m", "durable_files_1m_mb_s", "1 MiB"), ("put64m", "durable_files_64m_mb_s", "64 MiB")):
        value = (floe.get(workload) or {}).get("value")
        if value:
            found.append(f"Floe PUT {size} ÷ min(MD5, fsync'd write) {value / issue_floor:.2f}; "
                         f"÷ durable {size} files {value / floors[durable]:.2f}")
    return found


def round_ratios(args, results: dict) -> list[str]:
    """Floe ÷ each other server round by round, for the workloads measured in turns: how far
    the single ratio in the table could move with the machine."""
    found = []
    for workload in args.workloads:
        floe = (results.get("floe") or {}).get(workload)
        if not floe or len(floe.get("turns_ops_per_s", [])) < 2:
            continue
        for other in columns_of(args)[1:]:
            theirs = (results.get(other) or {}).get(workload)
            if theirs and all(theirs["turns_ops_per_s"]):
                ratios = [a / b for a, b in zip(floe["turns_ops_per_s"], theirs["turns_ops_per_s"])]
                found.append(f"{WORKLOADS[workload][0]}, Floe ÷ {TITLES[other]} by round: "
                             f"{', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f})")
    return ["", *found] if found else []


def cpu_per_request(args, results: dict) -> list[str]:
    """The servers' own CPU per request (process and children, from /proc; the load generator's
    not counted) for the workloads of small requests: less subject to the machine's drift than
    a rate, as it does not count the time the server waited for a core."""
    found = []
    for workload in args.workloads:
        if turns_of(args, workload) < 2:
            continue
        measured = [(TITLES[n], (results.get(n) or {}).get(workload)) for n in columns_of(args)]
        measured = [(title, r["cpu_us_per_request"]) for title, r in measured if r and r.get("cpu_us_per_request")]
        if measured:
            found.append(f"{WORKLOADS[workload][0]}, server CPU per request: "
                         + ", ".join(f"{title} {us:.1f} µs" for title, us in measured))
    return ["", *found] if found else []


def columns_of(args) -> list[str]:
    """Table columns: Floe, the baseline build when given, then the reference servers."""
    return ["floe"] + (["baseline"] if args.baseline else []) + ["nginx", "rclone"]


def render(args, results: dict, memory: dict, versions: dict, floors: dict) -> str:
    lines, notes = header(args, versions), []
    for workload in args.workloads:
        row = {n: (results.get(n) or {}).get(workload) for n in columns_of(args)}
        lines.append(table_row(args, workload, row))
        if workload == "put4k":
            notes += [f"{n} put4k: {r['overwrites']} PUTs overwrote an earlier key (the key list wrapped round)"
                      for n, r in row.items() if r and r["overwrites"]]
    lines += round_ratios(args, results) + cpu_per_request(args, results)
    firsts = {n: r["list"]["first_ms"] for n, r in results.items() if r.get("list")}
    if firsts:
        lines.append("\nListObjectsV2, first (cold) listing: " + ", ".join(f"{n} {v:,.2f} ms" for n, v in firsts.items()))
    if floors:
        lines.append(f"\nFloors: MD5 {floors['md5_mb_s']:,.0f} MB/s/core, SHA-256 {floors['sha256_mb_s']:,.0f} MB/s/core, "
                     f"fsync'd write {floors['fsync_write_mb_s']:,.0f} MB/s, "
                     f"4 KiB fdatasync {floors['fdatasync_4k_per_s']:,.0f}/s; "
                     f"durable 1 MiB files by {args.concurrency} writers {floors['durable_files_1m_mb_s']:,.0f} MB/s, "
                     f"durable 64 MiB files {floors['durable_files_64m_mb_s']:,.0f} MB/s")
        lines += floor_ratios(results.get("floe") or {}, floors)
    for name in FLOE_BUILDS:
        measured = memory.get(name, {})
        if measured.get("after"):
            peak = max((r.get("peak_mb", 0) for r in results[name].values() if r), default=0)
            idle, after = measured["idle"], measured["after"]
            lines.append(f"{'Floe' if name == 'floe' else 'Baseline'} RSS: idle {idle['rss_mb']:.1f} MB (anonymous {idle['anon_mb']:.1f}; "
                         f"{idle['threads']} threads), peak during run {peak:.1f} MB, after {after['rss_mb']:.1f} MB (anonymous {after['anon_mb']:.1f})"
                         + (f", {measured['settled']['rss_mb']:.1f} MB (anonymous {measured['settled']['anon_mb']:.1f}) after "
                            f"{args.settle_seconds} s quiet" if measured.get("settled") else ""))
    return "\n".join(lines + notes) + "\n"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default=".build/release/floe")
    p.add_argument("--baseline", help="a second Floe build (e.g. of the previous commit), measured in the same run")
    p.add_argument("--only", default=",".join(SERVERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--turns", type=int, default=5,
                   help="4 KiB workloads: rounds in which every server takes a turn of --seconds // turns whole seconds (at most one turn per second)")
    p.add_argument("--max-requests", type=int, default=2_000_000, help="a bound on requests per workload and server, besides --seconds")
    p.add_argument("--quick", action="store_true", help="2 s per workload and small key counts, to check the script")
    p.add_argument("--settle-seconds", type=int, default=15, help="after the run, Floe's RSS is read again once it has been quiet this long")
    p.add_argument("--workdir", default="/tmp", help="a fresh directory is made (and removed) inside this one")
    p.add_argument("--allow-errors", action="store_true", help="exit 0 even if some response was not 2xx")
    p.add_argument("--markdown", help="append the report to this file")
    p.add_argument("--json", help="write the raw numbers to this file")
    args = p.parse_args()
    args.only, args.workloads = args.only.split(","), args.workloads.split(",")
    unknown = [n for n in args.only if n not in SERVERS] + [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown server or workload: {', '.join(unknown)}")
    if args.baseline:
        args.only.insert(args.only.index("floe") + 1 if "floe" in args.only else 0, "baseline")
    if args.quick:
        args.seconds = 2
    args.list_shape = (20, 50) if args.quick else (100, 300)
    args.put4k_keys = 5000 if args.quick else min(200_000, 10_000 * args.seconds)
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # like Ctrl-C: the finally below runs
    work = tempfile.mkdtemp(prefix="compare-bench-", dir=args.workdir)
    registry, results, memory, versions = [], {}, {}, {}
    try:
        subprocess.run(["cc", "-O2", "-pthread", "-o", os.path.join(work, "loadgen"), LOADGEN_SOURCE], check=True)
        if "nginx" in args.only:
            ensure_nginx()
        layout = object_layout(args.quick, args.list_shape)
        results, memory, versions = bench_servers(args, work, layout, registry)
        floors = measure_floors(work, args.quick, args.concurrency)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for server in registry:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report = render(args, results, memory, versions, floors)
    print(report)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "versions": versions, "results": results,
                       "floe_memory": memory, "floors": floors}, f, indent=2)
    # A reference server's errors are shown in the table; only Floe's fail the run.
    failed = [f"{n} {w}" for n, per in results.items() if n == "floe" for w, r in per.items() if r and problems(r)]
    if failed and not args.allow_errors:
        sys.exit(f"errors in {', '.join(failed)} (non-2xx, socket errors or nothing completed); --allow-errors to accept")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; servers stopped, work directory removed")
