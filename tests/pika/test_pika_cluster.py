"""``amqpsim.pika`` against a simulated 3-node cluster: one address per node, and the
operator's hands (kill, stop, start, partition, heal), as a script uses a real cluster."""

from __future__ import annotations

import pytest

import amqpsim.pika as pika
from amqpsim.pika import exceptions


@pytest.fixture
def cluster():
    return pika.simulate_cluster(3, net_ticktime=10)


def channel(cluster, node):
    return pika.BlockingConnection(cluster.params(node)).channel()


def test_each_node_has_its_address_and_its_own_connections(cluster):
    a, b = channel(cluster, "rabbit1"), channel(cluster, "rabbit2")
    a.queue_declare("q", durable=True)
    assert b.queue_declare("q", passive=True).method.queue == "q"  # metadata is on every node
    cluster.kill("rabbit1")
    with pytest.raises(exceptions.StreamLostError):
        a.connection.process_data_events(0)
    assert b.connection.is_open
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(cluster.params("rabbit1"))
    cluster.start("rabbit1")
    assert pika.BlockingConnection(cluster.params("rabbit1")).is_open


def test_a_graceful_stop_closes_connections_with_320(cluster):
    a = channel(cluster, "rabbit2")
    cluster.stop("rabbit2")
    with pytest.raises(exceptions.ConnectionClosedByBroker) as err:
        a.connection.process_data_events(0)
    assert err.value.reply_code == 320
    assert "CONNECTION_FORCED" in err.value.reply_text


def test_quorum_queue_survives_its_leader_node_nothing_lost(cluster):
    """As measured on a real 3.10.8 cluster: a new leader within 0.3 s, 0 lost, 0 duplicated."""
    admin = channel(cluster, "rabbit1")
    admin.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    pub = channel(cluster, "rabbit2")
    pub.confirm_delivery()
    for i in range(50):
        pub.basic_publish("", "qq", str(i))
    t0 = pika.clock()
    cluster.kill("rabbit1")
    for i in range(50, 100):
        pub.basic_publish("", "qq", str(i))  # the first waits for the election, then all are confirmed
    assert cluster.leader("qq") in ("rabbit2", "rabbit3")
    assert 0.15 <= pika.clock() - t0 <= 0.28
    cons = channel(cluster, "rabbit3")
    got = []
    while (m := cons.basic_get("qq", auto_ack=True))[0] is not None:
        got.append(int(m[2]))
    assert got == list(range(100))


def test_classic_queue_home_down_404_and_returned_but_confirmed(cluster):
    admin = channel(cluster, "rabbit1")
    admin.queue_declare("orders", durable=True)
    cluster.kill("rabbit1")
    other = channel(cluster, "rabbit2")
    with pytest.raises(exceptions.ChannelClosedByBroker) as err:
        other.queue_declare("orders", durable=True)
    assert err.value.reply_text == ("NOT_FOUND - home node 'rabbit1@localhost' of durable queue 'orders' "
                                    "in vhost '/' is down or inaccessible")
    pub = channel(cluster, "rabbit2")
    pub.confirm_delivery()
    with pytest.raises(exceptions.UnroutableError):  # returned (312), then acked
        pub.basic_publish("", "orders", "x", mandatory=True)


def test_pause_minority_closes_the_minority_connections_after_detection():
    cluster = pika.simulate_cluster(3, partition_handling="pause_minority", net_ticktime=10)
    lonely = channel(cluster, "rabbit1")
    cluster.partition([["rabbit1"], ["rabbit2", "rabbit3"]])
    cluster.sleep(7.0)
    assert lonely.connection.is_open  # not noticed yet (0.75-1.25 x net_ticktime)
    with pytest.raises(exceptions.ConnectionClosedByBroker) as err:
        lonely.connection.sleep(10.0)
    assert err.value.reply_code == 320
    assert cluster.state("rabbit1") == "paused"
    cluster.heal()
    cluster.sleep(2.0)
    assert cluster.state("rabbit1") == "up"
