"""AMQP 0-9-1 classes, methods and constants with pika's names (as ``pika.spec``).

Method classes are built from the compact table below: ``spec.Queue.DeclareOk``
has ``NAME = 'Queue.DeclareOk'``, ``INDEX``, ``synchronous`` and pika's fields
and defaults. :class:`BasicProperties` *is* the broker's
:class:`amqpsim.broker.message.Properties` (a subclass), so it can be handed to
the broker as it is.
"""

from __future__ import annotations

import ast
from typing import Any

from ..broker.message import Properties
from . import amqp_object
from .delivery_mode import DeliveryMode

PROTOCOL_VERSION = (0, 9, 1)
PORT = 5672
FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT = 1, 2, 3, 8
FRAME_MIN_SIZE = 4096
FRAME_MAX_SIZE = 131072
FRAME_HEADER_SIZE, FRAME_END_SIZE, FRAME_END = 7, 1, 206
TRANSIENT_DELIVERY_MODE = 1
PERSISTENT_DELIVERY_MODE = 2
REPLY_SUCCESS = 200
CONTENT_TOO_LARGE = 311
NO_ROUTE = 312
NO_CONSUMERS = 313
CONNECTION_FORCED = 320
INVALID_PATH = 402
ACCESS_REFUSED = 403
NOT_FOUND = 404
RESOURCE_LOCKED = 405
PRECONDITION_FAILED = 406
FRAME_ERROR = 501
SYNTAX_ERROR = 502
COMMAND_INVALID = 503
CHANNEL_ERROR = 504
UNEXPECTED_FRAME = 505
RESOURCE_ERROR = 506
NOT_ALLOWED = 530
NOT_IMPLEMENTED = 540
INTERNAL_ERROR = 541

# class id / method id / "S" if synchronous (expects a reply) / fields with pika's defaults
_TABLE = """
Connection 10
  Start 10 S version_major=0 version_minor=9 server_properties mechanisms='PLAIN' locales='en_US'
  StartOk 11 - client_properties mechanism='PLAIN' response locale='en_US'
  Secure 20 S challenge
  SecureOk 21 - response
  Tune 30 S channel_max=0 frame_max=0 heartbeat=0
  TuneOk 31 - channel_max=0 frame_max=0 heartbeat=0
  Open 40 S virtual_host='/' capabilities='' insist=False
  OpenOk 41 - known_hosts=''
  Close 50 S reply_code reply_text='' class_id method_id
  CloseOk 51 -
  Blocked 60 - reason=''
  Unblocked 61 -
  UpdateSecret 70 S new_secret reason
  UpdateSecretOk 71 -
Channel 20
  Open 10 S out_of_band=''
  OpenOk 11 - channel_id=''
  Flow 20 S active
  FlowOk 21 - active
  Close 40 S reply_code reply_text='' class_id method_id
  CloseOk 41 -
Access 30
  Request 10 S realm='/data' exclusive=False passive=True active=True write=True read=True
  RequestOk 11 - ticket=1
Exchange 40
  Declare 10 S ticket=0 exchange type='direct' passive=False durable=False auto_delete=False internal=False nowait=False arguments
  DeclareOk 11 -
  Delete 20 S ticket=0 exchange if_unused=False nowait=False
  DeleteOk 21 -
  Bind 30 S ticket=0 destination source routing_key='' nowait=False arguments
  BindOk 31 -
  Unbind 40 S ticket=0 destination source routing_key='' nowait=False arguments
  UnbindOk 51 -
Queue 50
  Declare 10 S ticket=0 queue='' passive=False durable=False exclusive=False auto_delete=False nowait=False arguments
  DeclareOk 11 - queue message_count consumer_count
  Bind 20 S ticket=0 queue='' exchange routing_key='' nowait=False arguments
  BindOk 21 -
  Purge 30 S ticket=0 queue='' nowait=False
  PurgeOk 31 - message_count
  Delete 40 S ticket=0 queue='' if_unused=False if_empty=False nowait=False
  DeleteOk 41 - message_count
  Unbind 50 S ticket=0 queue='' exchange routing_key='' arguments
  UnbindOk 51 -
Basic 60
  Qos 10 S prefetch_size=0 prefetch_count=0 global_qos=False
  QosOk 11 -
  Consume 20 S ticket=0 queue='' consumer_tag='' no_local=False no_ack=False exclusive=False nowait=False arguments
  ConsumeOk 21 - consumer_tag
  Cancel 30 S consumer_tag nowait=False
  CancelOk 31 - consumer_tag
  Publish 40 - ticket=0 exchange='' routing_key='' mandatory=False immediate=False
  Return 50 - reply_code reply_text='' exchange routing_key
  Deliver 60 - consumer_tag delivery_tag redelivered=False exchange routing_key
  Get 70 S ticket=0 queue='' no_ack=False
  GetOk 71 - delivery_tag redelivered=False exchange routing_key message_count
  GetEmpty 72 - cluster_id=''
  Ack 80 - delivery_tag=0 multiple=False
  Reject 90 - delivery_tag requeue=True
  RecoverAsync 100 - requeue=False
  Recover 110 S requeue=False
  RecoverOk 111 -
  Nack 120 - delivery_tag=0 multiple=False requeue=True
Confirm 85
  Select 10 S nowait=False
  SelectOk 11 -
Tx 90
  Select 10 S
  SelectOk 11 -
  Commit 20 S
  CommitOk 21 -
  Rollback 30 S
  RollbackOk 31 -
"""


def _method_class(cls_name: str, cls_index: int, line: str) -> type:
    name, index, sync, *fields = line.split()
    defaults: dict[str, Any] = {}
    for f in fields:
        key, _, value = f.partition("=")
        defaults[key] = ast.literal_eval(value) if value else None
    order = list(defaults)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if len(args) > len(order):
            raise TypeError(f"{cls_name}.{name}() takes at most {len(order)} arguments")
        values = dict(defaults, **dict(zip(order, args, strict=False)))
        for key, value in kwargs.items():
            if key not in defaults:
                raise TypeError(f"{cls_name}.{name}() got an unexpected keyword argument {key!r}")
            values[key] = value
        self.__dict__.update(values)

    return type(name, (amqp_object.Method,), {
        "__init__": __init__, "NAME": f"{cls_name}.{name}", "INDEX": (cls_index << 16) | int(index),
        "synchronous": sync == "S", "__qualname__": f"{cls_name}.{name}", "__module__": __name__,
    })


def _build() -> dict[str, type]:
    classes: dict[str, Any] = {}
    current: Any = None
    for line in _TABLE.strip().splitlines():
        if not line.startswith(" "):
            cls_name, cls_index = line.split()
            current = type(cls_name, (amqp_object.Class,), {"NAME": cls_name, "INDEX": int(cls_index),
                                                             "__module__": __name__})
            classes[cls_name] = current
        else:
            assert current is not None
            method = _method_class(current.NAME, current.INDEX, line.strip())
            setattr(current, method.__name__, method)
    return classes


_CLASSES = _build()
Connection: Any = _CLASSES["Connection"]
Channel: Any = _CLASSES["Channel"]
Access: Any = _CLASSES["Access"]
Exchange: Any = _CLASSES["Exchange"]
Queue: Any = _CLASSES["Queue"]
Basic: Any = _CLASSES["Basic"]
Confirm: Any = _CLASSES["Confirm"]
Tx: Any = _CLASSES["Tx"]

_FIELDS = ("content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id",
           "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")


class BasicProperties(Properties):
    """pika's ``BasicProperties``: same constructor, fields and repr; a broker ``Properties``."""

    __slots__ = ()
    NAME = "BasicProperties"
    INDEX = 0x003C
    CLASS = Basic

    def __init__(self, content_type: str | None = None, content_encoding: str | None = None,
                 headers: dict[str, Any] | None = None, delivery_mode: int | DeliveryMode | None = None,
                 priority: int | None = None, correlation_id: str | None = None, reply_to: str | None = None,
                 expiration: str | None = None, message_id: str | None = None, timestamp: int | None = None,
                 type: str | None = None, user_id: str | None = None,  # noqa: A002 - pika's name
                 app_id: str | None = None, cluster_id: str | None = None) -> None:
        if isinstance(delivery_mode, DeliveryMode):
            delivery_mode = delivery_mode.value
        super().__init__(content_type, content_encoding, headers, delivery_mode, priority, correlation_id,
                         reply_to, expiration, message_id, timestamp, type, user_id, app_id, cluster_id)

    def __repr__(self) -> str:
        items = [f"{f}={getattr(self, f)}" for f in _FIELDS if getattr(self, f) is not None]
        return f"<{self.NAME}({sorted(items)})>" if items else f"<{self.NAME}>"


def has_content(method_index: int) -> bool:
    """True for the methods followed by a content header and body (as ``pika.spec``)."""
    return method_index in (Basic.Publish.INDEX, Basic.Return.INDEX, Basic.Deliver.INDEX, Basic.GetOk.INDEX)
