"""kill -9 at random moments of a burst of small concurrent PUTs, three times over on one data directory:
every acknowledged write survives byte for byte, and no torn or partial object is ever visible.

Sizes straddle every plausible "small object" threshold (inlined in the index or not) and the blob path.
The kill only ends the process, so the kernel keeps what was written; what this guards is that an
acknowledgement never runs ahead of the write it acknowledges (group commit, batching, buffers kept in
memory) and that a write cut off at any stage is all-or-nothing. FLOE_CRASH_SEED=<seed> replays a run's
kill moments and contents (the interleaving of the writers is up to the scheduler)."""
import hashlib
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from floe_harness import new_server

SIZES = (0, 1, 100, 3000, 4096, 4097, 65536, 262144)
WRITERS = 16
ROUNDS = 3
PUTS_PER_WRITER_PER_ROUND = 600  # bounded: at most 1800 PUTs per writer in all; the kill ends each round far sooner
OVERWRITE_SHARE = 0.3
VERSIONED_SHARE = 0.3
ROUND_LIMIT = 30.0  # seconds a round may take at most before the kill, whatever happens
VERIFIERS = 8

PLAIN, VERSIONED = "crash-small", "crash-small-versioned"
ABSENT = None  # the content of a key the server must answer 404 for
UNREADABLE = "unreadable"  # what a key shows when reading it back failed (already reported)


def content_of(body: bytes) -> tuple[int, str]:
    return len(body), hashlib.md5(body).hexdigest()


def etag(content) -> str:
    return '"%s"' % content[1]


@dataclass
class KeyState:
    """What the server may show for one key. Only the writer that owns the key writes it, one PUT at a time."""
    committed: set = field(default_factory=lambda: {ABSENT})  # what it showed after the last restart
    acked: tuple | None = None    # the latest content acknowledged in this round
    pending: tuple | None = None  # the content of the PUT this round's kill cut off
    versions: dict = field(default_factory=dict)  # versioned bucket: version id -> content, every one that must stay

    def allowed(self) -> set:
        base = {self.acked} if self.acked is not None else set(self.committed)
        return base | ({self.pending} if self.pending is not None else set())


def status_of(error: ClientError) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_kill_9_during_small_put_bursts():
    seed = int(os.environ.get("FLOE_CRASH_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    started = time.monotonic()
    instance = new_server()
    timeouts = {"connect_timeout": 5, "read_timeout": 60}
    try:
        s3 = instance.boto3(**timeouts)
        s3.create_bucket(Bucket=PLAIN)
        s3.create_bucket(Bucket=VERSIONED)
        s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})

        lock = threading.Lock()
        keys: dict[tuple[str, str], KeyState] = {}
        owned = {n: {PLAIN: [], VERSIONED: []} for n in range(WRITERS)}  # keys each writer has had acknowledged
        next_key = [0] * WRITERS
        totals = {"acked": 0, "overwrites": 0, "cut_off": 0, "cut_off_visible": 0}
        kill_moments = []
        problems: list[str] = []

        for round_no in range(ROUNDS):
            stop = threading.Event()
            acked_this_round = [0]
            clients = [instance.boto3(**timeouts) for _ in range(WRITERS)]  # made here: creating clients is not thread-safe

            def writer(n: int):
                wrng = random.Random(f"{seed}-{round_no}-{n}")
                client = clients[n]
                for i in range(PUTS_PER_WRITER_PER_ROUND):
                    if stop.is_set():
                        return
                    bucket = VERSIONED if wrng.random() < VERSIONED_SHARE else PLAIN
                    mine = owned[n][bucket]
                    if mine and wrng.random() < OVERWRITE_SHARE:
                        key, overwrite = wrng.choice(mine), True
                    else:
                        key, overwrite = f"w{n:02d}/k{next_key[n]:05d}", False
                        next_key[n] += 1
                    body = wrng.randbytes(SIZES[(n + i) % len(SIZES)])
                    content = content_of(body)
                    with lock:
                        state = keys.setdefault((bucket, key), KeyState())
                        state.pending = content
                    try:
                        response = client.put_object(Bucket=bucket, Key=key, Body=body)
                    except Exception as e:
                        if not stop.is_set():
                            with lock:
                                problems.append(f"round {round_no}: PUT {bucket}/{key} failed before the kill: {e!r}")
                        return  # the PUT stays pending: it may or may not have committed
                    if response["ResponseMetadata"]["HTTPStatusCode"] != 200 or response.get("ETag") != etag(content):
                        with lock:
                            problems.append(f"round {round_no}: PUT {bucket}/{key}: {response['ResponseMetadata']['HTTPStatusCode']} "
                                            f"ETag {response.get('ETag')} for {content}")
                        return
                    with lock:
                        state.pending = None
                        state.acked = content
                        if bucket == VERSIONED:
                            state.versions[response["VersionId"]] = content
                        if not overwrite:
                            mine.append(key)
                        acked_this_round[0] += 1
                        totals["acked"] += 1
                        totals["overwrites"] += overwrite

            threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
            round_start = time.monotonic()
            for t in threads:
                t.start()
            # The kill comes 0.3-1.5 s into the burst, but not before every writer could have had a PUT acknowledged.
            kill_at = round_start + rng.uniform(0.3, 1.5)
            while time.monotonic() < round_start + ROUND_LIMIT:
                with lock:
                    enough = acked_this_round[0] >= WRITERS
                if enough and time.monotonic() >= kill_at:
                    break
                if problems or not any(t.is_alive() for t in threads):
                    break
                time.sleep(0.01)
            kill_moments.append(round(time.monotonic() - round_start, 2))
            stop.set()  # writers start no new PUT; those under way now are the ones the kill cuts off
            instance.kill9()
            for t in threads:
                t.join(timeout=90)
            assert not any(t.is_alive() for t in threads), "a writer hung after the kill"
            assert not problems, f"seed {seed}: " + "\n".join(problems[:20])
            assert acked_this_round[0] >= WRITERS, f"round {round_no}: too few PUTs acknowledged before the kill to prove anything"
            cut_off = sum(1 for s in keys.values() if s.pending is not None)
            assert cut_off > 0, f"round {round_no}: no PUT was in flight at the kill"
            totals["cut_off"] += cut_off

            instance.port = 0
            instance.catalog_port = 0
            instance.start()
            verify(instance, keys, problems, round_no, totals, timeouts)
            assert not problems, f"seed {seed}, round {round_no}: {len(problems)} problems:\n" + "\n".join(problems[:30])
            for state in keys.values():
                state.acked = state.pending = None
        elapsed = time.monotonic() - started
        print(f"seed {seed}: kills {kill_moments} s into the bursts, {totals} in {elapsed:.1f}s")
        assert totals["overwrites"] > 0, "no overwrite was acknowledged"
    finally:
        instance.cleanup()


def verify(instance, keys: dict, problems: list, round_no: int, totals: dict, timeouts: dict):
    """Checks what the restarted server shows against `keys`; on success each key's `committed` becomes what it shows."""
    def note(text):
        problems.append(f"round {round_no}: {text}")

    def observe(client, bucket, key):
        """The content GET shows (ABSENT for 404) and its version id; HEAD must agree with it."""
        try:
            got = client.get_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if status_of(e) != 404:
                raise
            try:
                client.head_object(Bucket=bucket, Key=key)
                note(f"{bucket}/{key}: GET says 404 but HEAD finds it")
            except ClientError as he:
                if status_of(he) != 404:
                    note(f"{bucket}/{key}: GET says 404, HEAD {status_of(he)}")
            return ABSENT, None
        body = got["Body"].read()
        content = content_of(body)
        if got["ContentLength"] != len(body) or got["ETag"] != etag(content):
            note(f"{bucket}/{key}: GET headers {got['ContentLength']} {got['ETag']} disagree with its body {content}")
        head = client.head_object(Bucket=bucket, Key=key)
        if head["ContentLength"] != content[0] or head["ETag"] != etag(content):
            note(f"{bucket}/{key}: HEAD {head['ContentLength']} {head['ETag']} disagrees with GET's body {content}")
        if head.get("VersionId") != got.get("VersionId"):
            note(f"{bucket}/{key}: HEAD shows version {head.get('VersionId')}, GET {got.get('VersionId')}")
        return content, got.get("VersionId")

    def check_key(client, item):
        """What the key shows now; UNREADABLE when the server could not answer for it."""
        (bucket, key), state = item
        try:
            shown, version = observe(client, bucket, key)
        except Exception as e:  # an error or a cut-short body is a finding, not the end of the check
            note(f"{bucket}/{key}: cannot be read back: {e!r}")
            return UNREADABLE
        allowed = state.allowed()
        if shown not in allowed:
            kind = "acknowledged" if state.acked is not None else "expected"
            note(f"{bucket}/{key}: shows {shown}, {kind} one of {allowed}")
        elif bucket == VERSIONED and shown is not ABSENT and version not in state.versions and shown != state.pending:
            # The latest version may only be unknown if it is the cut-off PUT that committed.
            note(f"{bucket}/{key}: latest version {version} holds {shown}, which nobody wrote")
        if bucket == VERSIONED:
            for vid, content in list(state.versions.items()):
                try:
                    got = client.get_object(Bucket=bucket, Key=key, VersionId=vid)
                    body = got["Body"].read()
                except Exception as e:
                    note(f"{bucket}/{key}: acknowledged version {vid} cannot be read back: {e!r}")
                    continue
                if content_of(body) != content or got["ETag"] != etag(content):
                    note(f"{bucket}/{key}: version {vid} shows {content_of(body)}, acknowledged {content}")
        return shown

    items = list(keys.items())
    clients = [instance.boto3(**timeouts) for _ in range(VERIFIERS)]
    with ThreadPoolExecutor(VERIFIERS) as pool:
        results = list(pool.map(lambda ix: check_key(clients[ix[0] % VERIFIERS], ix[1]), enumerate(items)))
    shown_by_key = {}
    for ((bucket, key), state), shown in zip(items, results):
        shown_by_key[(bucket, key)] = shown
        if state.pending is not None and shown == state.pending:
            totals["cut_off_visible"] += 1

    s3 = clients[0]
    # The listing holds every key that exists, each with the size and ETag of the content GET returned.
    for bucket in (PLAIN, VERSIONED):
        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                listed[o["Key"]] = o
        for key, o in listed.items():
            shown = shown_by_key.get((bucket, key))
            if (bucket, key) not in keys:
                note(f"{bucket}/{key}: listed but never written")
            elif shown is ABSENT or (shown != UNREADABLE and (o["Size"], o["ETag"]) != (shown[0], etag(shown))):
                note(f"{bucket}/{key}: listed as {o['Size']} {o['ETag']}, GET showed {shown}")
        for (b, key), shown in shown_by_key.items():
            if b == bucket and shown not in (ABSENT, UNREADABLE) and key not in listed:
                note(f"{bucket}/{key}: exists ({shown}) but is not listed")

    # Every version of the versioned bucket is one that was acknowledged, or the cut-off PUT of its key.
    versions: dict[str, list] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=VERSIONED):
        if page.get("DeleteMarkers"):
            note(f"{VERSIONED}: delete markers appeared: {page['DeleteMarkers'][:3]}")
        for v in page.get("Versions", []):
            versions.setdefault(v["Key"], []).append(v)
    for (bucket, key), state in keys.items():
        if bucket != VERSIONED:
            continue
        listed = {v["VersionId"]: v for v in versions.pop(key, [])}
        for vid, content in state.versions.items():
            v = listed.get(vid)
            if v is None:
                note(f"{bucket}/{key}: acknowledged version {vid} is not listed")
            elif (v["Size"], v["ETag"]) != (content[0], etag(content)):
                note(f"{bucket}/{key}: version {vid} listed as {v['Size']} {v['ETag']}, acknowledged {content}")
        unknown = [v for vid, v in listed.items() if vid not in state.versions]
        if len(unknown) > (1 if state.pending is not None else 0):
            note(f"{bucket}/{key}: versions nobody wrote: {[(v['VersionId'], v['Size']) for v in unknown]}")
        for v in unknown[:1]:
            if state.pending is None or (v["Size"], v["ETag"]) != (state.pending[0], etag(state.pending)):
                note(f"{bucket}/{key}: unknown version {v['VersionId']} ({v['Size']} {v['ETag']}) is not the cut-off PUT {state.pending}")
                continue
            try:
                body = s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
            except Exception as e:
                note(f"{bucket}/{key}: cut-off version {v['VersionId']} is listed but cannot be read back: {e!r}")
                continue
            if content_of(body) != state.pending:
                note(f"{bucket}/{key}: cut-off version {v['VersionId']} is torn: {content_of(body)}, sent {state.pending}")
            else:
                state.versions[v["VersionId"]] = state.pending  # it committed: from now on it must stay
        latest = [vid for vid, v in listed.items() if v["IsLatest"]]
        shown = shown_by_key.get((bucket, key))
        if shown is ABSENT and listed:
            note(f"{bucket}/{key}: GET says 404 but versions are listed: {list(listed)}")
        elif shown not in (ABSENT, UNREADABLE) and (len(latest) != 1 or state.versions.get(latest[0]) != shown):
            note(f"{bucket}/{key}: the latest listed version {latest} does not hold what GET shows {shown}")
    for key in versions:
        note(f"{VERSIONED}/{key}: versions listed for a key never written")

    # What the restarted server showed is now what it must keep showing.
    for item, shown in shown_by_key.items():
        keys[item].committed = {shown}
