#!/usr/bin/env python3
"""Two Floe builds loaded in the same seconds: server CPU per small request, before against after.

Run one after the other, two builds land up to 10 % apart on this shared machine from drift
alone; loaded at once they see the same machine. Each build gets its own server (compare_bench's
start_floe) with 100 × 4 KiB objects; every round runs scripts/bench/loadgen.c against both at
once (`--clients` each), for each principal asked for, alternating which starts first, and
reads each server's CPU from /proc. Principals: `root`, and `user`, a user holding the builtin
`readonly` policy (root's requests skip policy evaluation). Prints per round and the medians;
B ÷ A is the median of the rounds' ratios. Two copies of one build give about 1.00 ± 0.02.

    python3 scripts/bench/paired_bench.py [--method HEAD] [--principals root,user] [--rounds 6]
        [--seconds 5] [--clients 4] [--size 4096] BEFORE_BINARY AFTER_BINARY
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402



def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="HEAD", choices=["HEAD", "GET"])
    p.add_argument("--principals", default="root")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--size", type=int, default=4096, help="object size in bytes (above 64 KiB a blob, not inline)")
    p.add_argument("binaries", nargs=2)
    args = p.parse_args()
    principals = args.principals.split(",")
    if not set(principals) <= {"root", "user"} or args.rounds < 1 or not 1 <= args.seconds <= 60 or not 1 <= args.size <= 16 << 20:
        sys.exit("principals are root and/or user; rounds ≥ 1; seconds 1–60; size 1 B – 16 MiB")
    work = tempfile.mkdtemp(prefix="paired-")
    servers = []
    try:
        subprocess.run(["gcc", "-O2", "-pthread", "-o", f"{work}/loadgen", cb.LOADGEN_SOURCE], check=True)
        paths = []
        for index, binary in enumerate(args.binaries):
            root = os.path.join(work, f"s{index}")
            os.makedirs(root)
            server = cb.start_floe(root, binary, describe_tree=False)
            servers.append(server)
            keys = [f"/bench/o{k:03d}" for k in range(100)]
            cb.seed_objects(server, keys, b"x" * args.size)
            signers = {"root": server.signer}
            if "user" in principals:
                signers["user"] = cb.policy_user_signer(server, binary)
            files = {}
            for who in principals:
                files[who] = os.path.join(work, f"s{index}-{who}.paths")
                with open(files[who], "w") as f:
                    f.write("\n".join(signers[who].url(args.method, key) for key in keys) + "\n")
            paths.append(files)
        hz = os.sysconf("SC_CLK_TCK")
        results = {(i, who): [] for i in range(2) for who in principals}
        for round_ in range(args.rounds):
            for who in principals:
                order = [0, 1] if round_ % 2 == 0 else [1, 0]
                before = {i: cb.server_ticks(servers[i]) for i in order}
                runs = {i: subprocess.Popen(
                    [f"{work}/loadgen", "-p", str(servers[i].port), "-m", args.method, "-f", paths[i][who], "-c", str(args.clients),
                     "-d", str(args.seconds), "-n", "5000000"], stdout=subprocess.PIPE, text=True) for i in order}
                for i in order:
                    out = json.loads(runs[i].communicate(timeout=args.seconds + 120)[0])
                    if out["errors"] or not out["requests"]:
                        sys.exit(f"{args.binaries[i]} as {who}: {out}")
                    us = (cb.server_ticks(servers[i]) - before[i]) / hz * 1e6 / out["requests"]
                    results[(i, who)].append((us, out["ops_per_s"]))
                    print(f"round {round_} {'AB'[i]} {who}: {out['ops_per_s']:8.0f} ops/s  {us:6.1f} µs CPU per request", flush=True)
        print(f"\n{args.method} {args.size} B, {args.rounds} rounds of {args.seconds} s, {args.clients} clients per server")
        for who in principals:
            a, b = results[(0, who)], results[(1, who)]
            ratio = statistics.median(b[k][0] / a[k][0] for k in range(args.rounds))
            print(f"{who}: A {statistics.median(x[0] for x in a):.1f} µs, {statistics.median(x[1] for x in a):.0f} ops/s; "
                  f"B {statistics.median(x[0] for x in b):.1f} µs, {statistics.median(x[1] for x in b):.0f} ops/s; B ÷ A CPU {ratio:.3f}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
