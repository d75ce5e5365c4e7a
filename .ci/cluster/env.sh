# source: . "$(dirname "$0")/env.sh"   -- settings for the 3-node loopback cluster of the cluster
# conformance suite (copied from the shared rabbitmq-cluster lab; paths and tags are the project's)
export LAB=${LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}   # these scripts
export RUN=${RUN:-/tmp/amqpsim-cluster}  # per-node state, cookie and logs (wiped by cluster-up.sh)
export HOME=$RUN/home                    # own Erlang cookie, separate from /var/lib/rabbitmq
export RMQ_BIN=/usr/lib/rabbitmq/bin   # call the real scripts (the /usr/sbin wrappers su to user rabbitmq)
export PARTITION_MODE=${PARTITION_MODE:-ignore}   # ignore | pause_minority | autoheal
export TICK=${TICK:-10}                # net_ticktime seconds
export TAG=amqpsim-cluster             # comment on our iptables rules (partition.sh heal removes only these)
ctl()  { n=$1; shift; $RMQ_BIN/rabbitmqctl -n rabbit$n@localhost "$@"; }
rq()   { n=$1; shift; $RMQ_BIN/rabbitmq-queues -n rabbit$n@localhost "$@"; }
diag() { n=$1; shift; $RMQ_BIN/rabbitmq-diagnostics -n rabbit$n@localhost "$@"; }
beampid() { cat $RUN/n$1/pid 2>/dev/null; }
node_env() {  # node_env N  -> exports env for node N (N=1..3)
  local n=$1 d=$RUN/n$1
  export RABBITMQ_NODENAME=rabbit$n@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$((5680+n))
  export RABBITMQ_DIST_PORT=$((25680+n)) ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/pid
  export RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf RABBITMQ_ADVANCED_CONFIG_FILE=$d/advanced.config
  export RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
  # listen for distribution on 127.0.0.1 only; originate dist connections from 127.0.0.1N so
  # iptables can tell the nodes apart (all ports are on 127.0.0.1; source IP identifies the node)
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} -kernel inet_dist_connect_options [{ip,{127,0,0,1$n}}]"
}
