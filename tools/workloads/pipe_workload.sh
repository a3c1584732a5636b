#!/bin/sh
# A workload for the pipe compartment (testdata/policies/pipe.policy): many
# pipes with varying buffer sizes (F_SETPIPE_SZ) down to a single slot, writes
# and reads, pipes closed without ever being written (an empty ring of any
# size), splice and tee, FIFOs. Runs for about $1 seconds (default 3), so
# `o2c prepare` sees the compartment allocate and free its objects many times.
#
#   tools/workloads/pipe_workload.sh [seconds]
set -eu
seconds=${1:-3}
exec python3 - "$seconds" <<'PY'
import fcntl, os, sys, tempfile, time

F_SETPIPE_SZ = 1031
deadline = time.monotonic() + float(sys.argv[1])
sizes = [4096, 8192, 16384, 65536, 131072, 262144]
tmp = tempfile.mkdtemp(prefix="o2c_pipe_workload.")
fifo = os.path.join(tmp, "fifo")
round_ = 0
while time.monotonic() < deadline:
    round_ += 1
    pipes = []
    for i in range(32):
        r, w = os.pipe2(os.O_NONBLOCK) if i % 2 else os.pipe()
        try:
            fcntl.fcntl(w, F_SETPIPE_SZ, sizes[(round_ + i) % len(sizes)])
        except OSError:
            pass  # above pipe-max-size or the user's limit: keep the default
        pipes.append((r, w))
    for i, (r, w) in enumerate(pipes):
        if i % 4 == 3:
            continue  # never written: its ring stays zeroed
        os.write(w, b"x" * (1 + (i * 997) % 3000))
        os.read(r, 4096)
    # splice and tee between pipes (the pipe code's buffer moves).
    for (r1, w1), (r2, w2) in zip(pipes[0::4], pipes[1::4]):
        os.write(w1, b"y" * 512)
        try:
            os.splice(r1, w2, 512)
        except (AttributeError, OSError):
            os.write(w2, os.read(r1, 512))
        os.read(r2, 4096)
    for r, w in pipes:
        os.close(r)
        os.close(w)
    if round_ % 8 == 0:  # a FIFO: fifo_open and the same pipe objects
        os.mkfifo(fifo)
        r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        w = os.open(fifo, os.O_WRONLY)
        os.write(w, b"z" * 100)
        os.read(r, 100)
        os.close(w)
        os.close(r)
        os.unlink(fifo)
    time.sleep(0.01)  # ~2,500 pipes a second: a dataset, not a flood
os.rmdir(tmp)
print(f"pipe_workload: {round_} rounds of 32 pipes", file=sys.stderr)
PY
