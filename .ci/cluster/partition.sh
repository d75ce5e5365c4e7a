#!/bin/bash
# partition.sh isolate N [DROP|REJECT] : cut Erlang distribution between node N and the other two
# partition.sh cut A B [DROP|REJECT]   : cut Erlang distribution between nodes A and B only
# partition.sh heal                    : remove all rules tagged $TAG (ours only)
# Works because node K listens on 127.0.0.1:2568K and dials out from 127.0.0.1K (inet_dist_connect_options).
# AMQP (568x), epmd (4369) and CLI traffic (from 127.0.0.1) are untouched. Use DROP: a REJECT (reset)
# is seen at once by one side only and sets off partial-partition handling.
. "$(dirname "$0")/env.sh"
act=$1
rule() { iptables -A OUTPUT -m comment --comment $TAG -p tcp "$@" -j $tgt \
         $( [ $tgt = REJECT ] && echo --reject-with tcp-reset ); }
cut() {  # cut A B: drop distribution traffic between node A and node B, both directions of dialling
  local n=$1 o=$2
  rule -s 127.0.0.1$n --dport $((25680+o))   # N dials O, N->O packets
  rule -d 127.0.0.1$n --sport $((25680+o))   # N dials O, O->N packets
  rule -s 127.0.0.1$o --dport $((25680+n))   # O dials N
  rule -d 127.0.0.1$o --sport $((25680+n))
}
case $act in
 isolate)
  n=$2; tgt=${3:-DROP}
  for o in 1 2 3; do [ $o = $n ] || cut $n $o; done ;;
 cut)
  tgt=${4:-DROP}; cut $2 $3 ;;
 heal)
  while iptables -S OUTPUT | grep -q -- "--comment $TAG"; do
    r=$(iptables -S OUTPUT | grep -- "--comment $TAG" | head -1 | sed 's/^-A /-D /'); eval iptables $r
  done ;;
 *) echo "usage: $0 isolate N [DROP|REJECT] | cut A B [DROP|REJECT] | heal" >&2; exit 2 ;;
esac
iptables -S OUTPUT | grep -c -- "--comment $TAG"
true
