"""
The bench's load client on gRPC's C core (Debian's python3-grpcio), used by `npm run bench` when it
is installed (scripts/load.ts). A closed loop of CONC callers over mTLS, like the Node.js client, but
its own pauses are far shorter than a grpc-js client's garbage collections, and it can drive the
transport floor at full speed instead of saturating first.

  python3 load_client.py PORT CERT_DIR CORPUS CONC WARMUP_SECONDS SECONDS LATENCY_FILE

CORPUS holds requests as (uint32 little-endian length, bytes) records. Every request is sent once,
then the loop runs for WARMUP_SECONDS, then it prints "measuring", runs for SECONDS, writes each
call's latency in ms (float64 little-endian) to LATENCY_FILE and prints one JSON line.
"""
import asyncio
import json
import struct
import sys
import time

import grpc

METHOD = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"


def main() -> None:
    port, cert_dir, corpus, conc, warmup, seconds, latency_file = sys.argv[1:8]
    raw = open(corpus, "rb").read()
    reqs, p = [], 0
    while p < len(raw):
        (n,) = struct.unpack_from("<I", raw, p)
        reqs.append(raw[p + 4 : p + 4 + n])
        p += 4 + n
    read = lambda name: open(f"{cert_dir}/{name}", "rb").read()
    creds = grpc.ssl_channel_credentials(read("ca.crt"), read("client.key"), read("client.crt"))
    asyncio.run(run(port, creds, reqs, int(conc), float(warmup), float(seconds), latency_file))


async def run(port, creds, reqs, conc, warmup, seconds, latency_file) -> None:
    options = [("grpc.ssl_target_name_override", "localhost"), ("grpc.max_receive_message_length", 64 << 20)]
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", creds, options=options) as channel:
        call = channel.unary_unary(METHOD)  # bytes in, bytes out
        for r in reqs:
            await call(r)
        state = {"next": 0, "bytes": 0}
        latencies = []

        async def loop(until, record):
            while time.perf_counter() < until:
                r = reqs[state["next"] % len(reqs)]
                state["next"] += 1
                start = time.perf_counter()
                rsp = await call(r)
                if record:
                    latencies.append((time.perf_counter() - start) * 1000)
                    state["bytes"] += len(rsp)

        t = time.perf_counter()
        await asyncio.gather(*(loop(t + warmup, False) for _ in range(conc)))
        print("measuring", flush=True)
        t0 = time.perf_counter()
        await asyncio.gather(*(loop(t0 + seconds, True) for _ in range(conc)))
        elapsed = time.perf_counter() - t0
        with open(latency_file, "wb") as f:
            f.write(struct.pack(f"<{len(latencies)}d", *latencies))
        print(json.dumps({"calls": len(latencies), "seconds": elapsed, "responseBytes": state["bytes"]}), flush=True)


if __name__ == "__main__":
    main()
