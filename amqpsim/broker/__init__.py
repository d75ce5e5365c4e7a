"""Pure AMQP 0-9-1 semantics as RabbitMQ implements them: no simpy, no I/O, no clock.

Where things are (each object owns its state; see its docstring):

- :mod:`.broker`: :class:`Broker`, the facade: every AMQP command by its name, the
  node's options, connections, timers and faults; what queues and channels need.
- :mod:`.vhost`: the vhost "/" and its exchange.*, queue.* and binding commands,
  over :mod:`.topology` (the graph of exchanges, queues, bindings, policies; routing)
  and :mod:`.exchanges` (one module per exchange type).
- :mod:`.rules`: the one table of declare-time rules (queue and exchange declares,
  basic.consume arguments) in RabbitMQ 3.10.8's order and words, over the value checks
  of :mod:`.arg_checks`; :mod:`.policy_rules`: what ``set_policy`` refuses.
- :mod:`.publishing`: basic.publish, tx.commit's publishes, dead-letter republishing
  (:mod:`.property_checks`: user_id, CC/BCC; :mod:`.deadletter`: x-death and cycles).
- :mod:`.replyto`: direct reply-to, the pseudo-queue ``amq.rabbitmq.reply-to`` (its
  consumers, the request's rewritten ``reply_to``, replies delivered straight to them).
- :mod:`.queue`: a queue (:mod:`.store`: its ready copies; :mod:`.args`: its settings).
- :mod:`.connection`, :mod:`.channel`, :mod:`.consumer`: a client's connection, its
  channels (delivery tags, unacked, prefetch, settlement) and consumers.
- :mod:`.timers` (the heap), :mod:`.timeouts` (ack timeout, queue TTL and expiry).
- :mod:`.message`, :mod:`.errors`, :mod:`.validate`: records, reply codes, wordings.
"""

from .broker import Broker
from .channel import Channel
from .cluster import Cluster
from .connection import Connection
from .consumer import Consumer
from .errors import AMQPError, ChannelError, ConnectionError_
from .message import Delivery, Message, Properties, Returned
from .publishing import PublishOutcome
from .queue import Queue

__all__ = [
    "Cluster",
    "AMQPError",
    "Broker",
    "Channel",
    "ChannelError",
    "Connection",
    "ConnectionError_",
    "Consumer",
    "Delivery",
    "Message",
    "Properties",
    "PublishOutcome",
    "Queue",
    "Returned",
]
