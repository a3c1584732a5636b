#!/usr/bin/env bash
# A workload for the nf_tables compartment (testdata/policies/nf_tables.policy):
# `nft` itself churning tables, chains, sets, maps and rules from ruleset
# files (add, replace, flush, delete, batches through `nft -f`), with IPv4
# and IPv6 traffic crossing the rules. Everything happens in two network
# namespaces it creates and removes (their rulesets are their own: the
# machine's firewall is never touched). Run as root.
#
#   tools/workloads/nft_workload.sh [seconds]     (default 3)
#
# Prints "nft_workload: N operations (R ruleset loads, P packets)" at the end.
set -euo pipefail
# ip, tc, nft and ping live in /sbin and /usr/sbin, which a test's PATH may lack.
export PATH="/usr/sbin:/sbin:$PATH"
seconds=${1:-3}
tag="o2cnft$$"
a="${tag}a" b="${tag}b"
dir=$(mktemp -d "/tmp/${tag}.XXXXXX")

cleanup() {
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add "${tag}x" netns "$a" type veth peer name "${tag}y" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "${tag}x"
ip -n "$b" addr add 10.77.0.2/24 dev "${tag}y"
ip -n "$a" addr add fd77::1/64 dev "${tag}x" nodad
ip -n "$b" addr add fd77::2/64 dev "${tag}y" nodad
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
done
ip -n "$a" link set "${tag}x" up
ip -n "$b" link set "${tag}y" up

# One ruleset per round: a table with base chains on input and output, a
# named set and a verdict map, rules with counters, limits and conntrack
# matches, and anonymous sets. The round number varies the set contents.
ruleset() {
  local round=$1
  cat <<EOF
table inet o2c_churn {
  set blocked4 {
    type ipv4_addr
    flags interval
    elements = { 192.0.2.$((round % 250 + 1)), 198.51.100.0/24, 203.0.113.$((round % 200))-203.0.113.$((round % 200 + 20)) }
  }
  set ports {
    type inet_service
    elements = { $((1000 + round % 1000)), 22, 80, 443 }
  }
  map port_verdict {
    type inet_service : verdict
    elements = { 7 : accept, $((2000 + round % 1000)) : drop }
  }
  counter c_icmp { }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @blocked4 drop
    tcp dport @ports counter accept
    udp dport vmap @port_verdict
    meta l4proto { icmp, ipv6-icmp } counter name c_icmp accept
    ct state established,related counter accept
    ip6 nexthdr ipv6-icmp limit rate 100000/second accept
  }
  chain output {
    type filter hook output priority 0; policy accept;
    meta oifname "lo" accept
    ip daddr 10.77.0.0/24 counter accept
    ip6 daddr fd77::/64 counter accept
  }
}
EOF
}

loads=0 packets=0 round=0
deadline=$((SECONDS + seconds))
while ((SECONDS < deadline)); do
  round=$((round + 1))
  ruleset "$round" >"$dir/ruleset.nft"
  # Add the whole table in one batch, then change it piece by piece.
  ip netns exec "$a" nft -f "$dir/ruleset.nft"
  ip netns exec "$a" nft add element inet o2c_churn ports "{ $((3000 + round % 1000)) }"
  ip netns exec "$a" nft add rule inet o2c_churn input tcp dport $((4000 + round % 1000)) drop
  ip netns exec "$a" nft add chain inet o2c_churn "extra$round"
  ip netns exec "$a" nft add rule inet o2c_churn "extra$round" counter
  loads=$((loads + 5))
  # Traffic across the rules, both families.
  ip netns exec "$b" ping -q -f -c 1000 -W 1 10.77.0.1 >/dev/null || true
  ip netns exec "$b" ping -q -6 -f -c 1000 -W 1 fd77::1 >/dev/null || true
  packets=$((packets + 2000))
  # Replace: flush the table and load it again in one transaction.
  { echo "flush table inet o2c_churn"
    echo "flush set inet o2c_churn blocked4"
    echo "flush set inet o2c_churn ports"
    echo "flush map inet o2c_churn port_verdict"
    echo "delete chain inet o2c_churn extra$round"
    ruleset "$((round + 1))"; } >"$dir/replace.nft"
  ip netns exec "$a" nft -f "$dir/replace.nft"
  ip netns exec "$a" nft flush set inet o2c_churn blocked4
  ip netns exec "$a" nft delete table inet o2c_churn
  loads=$((loads + 3))
done
echo "nft_workload: $((loads + packets)) operations ($loads ruleset changes, $packets packets)"
