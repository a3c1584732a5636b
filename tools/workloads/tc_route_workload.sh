#!/usr/bin/env bash
# A workload for the route classifier compartment (testdata/policies/cls_route.policy):
# `tc` adding, deleting and re-adding `route` filters on an HTB qdisc, with
# routes carrying realms and IPv4 traffic classified by them. Everything
# happens in two network namespaces it creates and removes. Needs the
# cls_route module (Debian's kernels have it); run as root.
#
#   tools/workloads/tc_route_workload.sh [seconds]     (default 3)
#
# Prints "tc_route_workload: N operations (F filter changes, P packets)".
set -euo pipefail
# ip, tc, nft and ping live in /sbin and /usr/sbin, which a test's PATH may lack.
export PATH="/usr/sbin:/sbin:$PATH"
seconds=${1:-3}
tag="o2ctc$$"
a="${tag}a" b="${tag}b" dev="${tag}x"

cleanup() {
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add "$dev" netns "$a" type veth peer name "${tag}y" netns "$b"
ip -n "$a" addr add 10.78.0.1/24 dev "$dev"
ip -n "$b" addr add 10.78.0.2/24 dev "${tag}y"
ip -n "$a" link set "$dev" up
ip -n "$b" link set "${tag}y" up
ip -n "$b" link set lo up
# Realms on the routes the route classifier matches.
ip -n "$a" route add 10.78.1.0/24 via 10.78.0.2 realm 11
ip -n "$a" route add 10.78.2.0/24 via 10.78.0.2 realm 12
ip -n "$b" addr add 10.78.1.1/24 dev lo
ip -n "$b" addr add 10.78.2.1/24 dev lo

tcn() { ip netns exec "$a" tc "$@"; }
tcn qdisc add dev "$dev" root handle 1: htb default 30
for c in 10 11 12 30; do
  tcn class add dev "$dev" parent 1: classid "1:$c" htb rate 1gbit
done

changes=0 packets=0 round=0
deadline=$((SECONDS + seconds))
while ((SECONDS < deadline)); do
  round=$((round + 1))
  prio=$((100 + round % 50))
  tcn filter add dev "$dev" parent 1: protocol ip prio "$prio" route to 11 classid 1:11
  tcn filter add dev "$dev" parent 1: protocol ip prio "$prio" route to 12 classid 1:12
  tcn filter add dev "$dev" parent 1: protocol ip prio "$prio" route from 12 to 11 classid 1:10
  # Reclassify "to 11": delete that one filter by its handle (the key: "to
  # 11" from anywhere is 0xffff000b) and add it back with another class.
  # Not `tc filter replace`: 6.1's route classifier answers EEXIST to a
  # replace that keeps the key, and refuses one that changes it.
  tcn filter del dev "$dev" parent 1: protocol ip prio "$prio" handle 0xffff000b route
  tcn filter add dev "$dev" parent 1: protocol ip prio "$prio" handle 0xffff000b route to 11 classid 1:12
  changes=$((changes + 5))
  ip netns exec "$a" ping -q -f -c 500 -W 1 10.78.1.1 >/dev/null || true
  ip netns exec "$a" ping -q -f -c 500 -W 1 10.78.2.1 >/dev/null || true
  packets=$((packets + 1000))
  tcn filter show dev "$dev" >/dev/null
  tcn filter del dev "$dev" parent 1: protocol ip prio "$prio"
  changes=$((changes + 1))
done
echo "tc_route_workload: $((changes + packets)) operations ($changes filter changes, $packets packets)"
