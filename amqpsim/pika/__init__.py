"""A pika-compatible client for the simulated broker: ``import amqpsim.pika as pika``.

Ordinary pika ``BlockingConnection`` code runs unchanged against an in-process
simulated RabbitMQ 3.10 (:mod:`amqpsim.broker`) on a simulated clock::

    import amqpsim.pika as pika
    connection = pika.BlockingConnection(pika.ConnectionParameters('localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='hello')
    channel.basic_publish(exchange='', routing_key='hello', body='Hello AMQP!')
    connection.close()

Brokers and time
    Connections to the same host and port share one simulated broker
    (``localhost`` = ``127.0.0.1`` = ``::1``); any address has one, created on
    first use. :func:`broker_for` returns it (its ``recorder.events`` are the
    event log), :func:`reset_brokers` starts afresh (options go to each new
    :class:`~amqpsim.broker.Broker`), :func:`clock` is the simulated time in
    seconds (one timeline for all brokers, 0 after a reset). A stopped broker
    (``broker.stop(now)``) refuses connections (``AMQPConnectionError``).

    The clock moves only while a client waits: ``connection.sleep(s)`` and
    ``process_data_events(time_limit)`` let ``s`` simulated seconds pass,
    firing every broker timer (message TTL, queue expiry, the 30-minute ack
    timeout) and ``call_later`` timer at its own time and dispatching callbacks
    as they become due. In a consumer callback, ``connection.sleep(2)`` is two
    seconds of simulated work (use it instead of ``time.sleep``); nested sleeps
    work and, as in pika, dispatch nothing while a callback is running.

    The network has no latency, but the broker's answer to an *asynchronous*
    call (a publish without confirms, an ack) is seen by the client at its next
    call, as with a real broker: ``basic_publish`` to a missing exchange
    returns, the next call on that channel raises ``ChannelClosedByBroker``
    (404), later calls ``ChannelWrongStateError``. Callbacks run only inside
    ``process_data_events``, ``sleep``, ``start_consuming`` and ``consume``.

When nothing can happen any more
    If no message is waiting and no timer is set anywhere, a real client
    would block forever. Then ``start_consuming()`` *returns* (like a program
    stopped with Ctrl-C, so a tutorial's receiver ends after the last message)
    and a ``consume()`` loop without ``inactivity_timeout`` ends, while
    ``process_data_events(time_limit=None)`` raises
    :class:`~amqpsim.pika.exceptions.SimulationIdle` (a ``while response is
    None`` loop would spin forever). 10,000 ``process_data_events()`` polls at
    one instant with nothing to do let time pass to the next timer (or raise
    ``SimulationIdle`` if there is none).

Several programs at once
    :func:`run_concurrently` runs functions as separate programs (a tutorial's
    worker, producer, RPC server and client) on the same simulated time: one
    runs at a time, the others run while it waits.

The method trace
    Besides the broker's own events, every AMQP method frame a session
    exchanges is logged as a :class:`~amqpsim.trace.events.Frame` record (for
    sequence diagrams): ``actor`` = the connection's name (``client_properties=
    {'connection_name': ...}`` or the broker's ``conn-N``); ``channel`` =
    ``"conn-N/ch-K"`` (``ch-0`` for the ``Connection.*`` methods);
    ``direction`` = ``"C>S"`` (client to server) or ``"S>C"``; ``method`` =
    AMQP's name, ``"Basic.Publish"``, ``"Queue.Declare-Ok"``,
    ``"Basic.Get-Empty"``; and where they apply ``queue``, ``exchange`` (the
    source of an ``Exchange.Bind``), ``routing_key``, ``consumer``,
    ``delivery_tag`` (publisher-confirm seq for ``S>C Basic.Ack/Nack``),
    ``reply_code`` (``Channel.Close``, ``Connection.Close``, ``Basic.Return``),
    else None. The log is in order: a request, the broker's events for it, its
    ``-Ok``, then the other frames it caused (``Basic.Consume-Ok`` comes before
    the first ``Basic.Deliver``). A session starts with ``Connection.Start``,
    ``Start-Ok``, ``Tune``, ``Tune-Ok``, ``Open``, ``Open-Ok`` and ends with
    ``Connection.Close``/``Close-Ok``.

Clusters
    :func:`simulate_cluster` puts a simulated RabbitMQ cluster behind one address per
    node and returns its control (kill, stop, start, partition, heal, sleep, leader):
    see :mod:`.cluster`.

Users
    RabbitMQ's default user ``guest``/``guest``; other credentials are refused as
    RabbitMQ refuses them (``ProbableAuthenticationError``, ``403 ACCESS_REFUSED``).

Not simulated
    Users beyond ``guest`` (add them to ``blocking_connection.USERS``), permissions,
    virtual hosts other than ``/`` (refused with 530, as RabbitMQ does for a missing
    vhost), TLS, heartbeats, ``channel.flow``. Field tables accept what pika can encode
    (str, bytes, bool, int, Decimal, datetime, dict, list, None), else pika's
    ``UnsupportedAMQPFieldException``; timestamps come back as aware UTC
    datetimes (pika 1.4).
"""

import logging as _logging

from . import adapters, exceptions, exchange_type, spec
from .blocking_channel import BlockingChannel
from .blocking_connection import BlockingConnection
from .cluster import SimulatedCluster, simulate_cluster
from .connection import ConnectionParameters, Parameters, SSLOptions, URLParameters
from .credentials import PlainCredentials
from .delivery_mode import DeliveryMode
from .exchange_type import ExchangeType
from .spec import BasicProperties
from .world import broker_for, clock, reset_brokers, run_concurrently

__all__ = [
    "BasicProperties",
    "BlockingChannel",
    "BlockingConnection",
    "ConnectionParameters",
    "DeliveryMode",
    "ExchangeType",
    "Parameters",
    "PlainCredentials",
    "SSLOptions",
    "SimulatedCluster",
    "URLParameters",
    "adapters",
    "broker_for",
    "clock",
    "exceptions",
    "exchange_type",
    "reset_brokers",
    "run_concurrently",
    "simulate_cluster",
    "spec",
]

_logging.getLogger(__name__).addHandler(_logging.NullHandler())
