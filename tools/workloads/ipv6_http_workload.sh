#!/usr/bin/env bash
# A workload for the IPv6 output compartment (testdata/policies/ipv6_output.policy):
# HTTP transfers over IPv6 loopback with ApacheBench (`ab`, Debian's
# apache2-utils) against Python's http.server (busybox's httpd where Python
# is absent), and ICMPv6 echo floods.
# Nothing here was written for O2C but the glue. Run as root (ping -f).
#
#   tools/workloads/ipv6_http_workload.sh [seconds] [file_bytes]   (3, 102400)
#
# Prints "ipv6_http_workload: N operations (R requests, P pings)" at the end.
set -euo pipefail
# ip, tc, nft and ping live in /sbin and /usr/sbin, which a test's PATH may lack.
export PATH="/usr/sbin:/sbin:$PATH"
seconds=${1:-3}
bytes=${2:-102400}
dir=$(mktemp -d /tmp/o2c_ipv6_http.XXXXXX)
server=""

cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

head -c "$bytes" /dev/urandom >"$dir/file"
if command -v python3 >/dev/null; then
  # Port 0 is not possible with http.server's CLI: take a free port from the kernel.
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])')
  python3 -m http.server --bind ::1 --directory "$dir" "$port" >/dev/null 2>&1 &
else
  # Where Python is not at hand (the VM tier's initramfs), busybox's httpd
  # serves the file; nothing else listens there, so any high port is free.
  port=$((20000 + $$ % 20000))
  busybox httpd -f -p "[::1]:$port" -h "$dir" &
fi
server=$!
for _ in $(seq 100); do
  busybox wget -q -O /dev/null "http://[::1]:$port/file" 2>/dev/null && break
  sleep 0.05
done

requests=0 pings=0
deadline=$((SECONDS + seconds))
while ((SECONDS < deadline)); do
  done_now=$(ab -q -n 200 -c 4 "http://[::1]:$port/file" 2>/dev/null |
             awk '/^Complete requests:/ {print $3}')
  requests=$((requests + ${done_now:-0}))
  ping -q -6 -f -c 500 -W 1 ::1 >/dev/null || true
  pings=$((pings + 500))
done
echo "ipv6_http_workload: $((requests + pings)) operations ($requests requests, $pings pings)"
