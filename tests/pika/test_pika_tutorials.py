"""RabbitMQ's Python tutorials 1-6, written as the tutorials write them, as functions
run in one process with :func:`amqpsim.pika.run_concurrently` (each function is one of
the tutorial's programs). Two departures, both marked: ``print`` is a ``log`` argument
so the test can tell the programs apart, and the worker's ``time.sleep`` (simulated
work) is ``connection.sleep``, which lets simulated time pass.
"""

from __future__ import annotations

import uuid

import amqpsim.pika as pika
from amqpsim.trace.events import EventKind


def lines_of(log):
    return [line for _who, _t, line in log]


def logger(log, who):
    return lambda line: log.append((who, pika.clock(), line))


# ------------------------------------------------------------------ 1. "Hello World!"
def send(log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='hello')
    channel.basic_publish(exchange='', routing_key='hello', body='Hello World!')
    log(" [x] Sent 'Hello World!'")
    connection.close()


def receive(log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='hello')

    def callback(ch, method, properties, body):
        log(f" [x] Received {body}")

    channel.basic_consume(queue='hello', on_message_callback=callback, auto_ack=True)
    log(' [*] Waiting for messages. To exit press CTRL+C')
    channel.start_consuming()


def test_hello_world_receiver_first(capsys):
    pika.run_concurrently(receive, send)
    assert capsys.readouterr().out.splitlines() == [
        " [*] Waiting for messages. To exit press CTRL+C",
        " [x] Sent 'Hello World!'",
        " [x] Received b'Hello World!'",
    ]


def test_hello_world_one_after_the_other(capsys):
    send()
    receive()  # start_consuming returns once nothing can happen any more
    assert capsys.readouterr().out.splitlines() == [
        " [x] Sent 'Hello World!'",
        " [*] Waiting for messages. To exit press CTRL+C",
        " [x] Received b'Hello World!'",
    ]


# ------------------------------------------------------------------ 2. Work queues
def new_task(message, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='task_queue', durable=True)
    channel.basic_publish(
        exchange='',
        routing_key='task_queue',
        body=message,
        properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
    log(f" [x] Sent {message}")
    connection.close()


def worker(log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='task_queue', durable=True)
    log(' [*] Waiting for messages. To exit press CTRL+C')

    def callback(ch, method, properties, body):
        log(f" [x] Received {body.decode()}")
        connection.sleep(body.count(b'.'))  # the tutorial: time.sleep(...); here simulated work
        log(" [x] Done")
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue='task_queue', on_message_callback=callback)
    channel.start_consuming()


def test_work_queues_fair_dispatch():
    log = []
    tasks = ["First message.", "Second message..", "Third message...", "Fourth message....",
             "Fifth message....."]

    def producer():
        for task in tasks:
            new_task(task, logger(log, "producer"))

    pika.run_concurrently(lambda: worker(logger(log, "w1")), lambda: worker(logger(log, "w2")), producer)
    received = {w: [line.split("Received ")[1] for who, _t, line in log if who == w and "Received" in line]
                for w in ("w1", "w2")}
    # prefetch_count=1: a busy worker gets no new task; w1 is free at t=1 and t=4, w2 at t=2
    assert received == {"w1": ["First message.", "Third message...", "Fifth message....."],
                        "w2": ["Second message..", "Fourth message...."]}
    done = [(who, t) for who, t, line in log if line == " [x] Done"]
    assert done == [("w1", 1.0), ("w2", 2.0), ("w1", 4.0), ("w2", 6.0), ("w1", 9.0)]
    assert lines_of(log).count(" [*] Waiting for messages. To exit press CTRL+C") == 2
    assert [line for who, _t, line in log if who == "producer"] == [f" [x] Sent {t}" for t in tasks]
    assert pika.broker_for().queues["task_queue"].message_count() == 0


# ------------------------------------------------------------------ 3. Publish/Subscribe
def emit_log(message, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='logs', exchange_type='fanout')
    channel.basic_publish(exchange='logs', routing_key='', body=message)
    log(f" [x] Sent {message}")
    connection.close()


def receive_logs(log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='logs', exchange_type='fanout')
    result = channel.queue_declare(queue='', exclusive=True)
    queue_name = result.method.queue
    channel.queue_bind(exchange='logs', queue=queue_name)
    log(' [*] Waiting for logs. To exit press CTRL+C')

    def callback(ch, method, properties, body):
        log(f" [x] {body}")

    channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)
    channel.start_consuming()
    return queue_name


def test_publish_subscribe():
    log = []
    early = lambda: emit_log("info: nobody listens yet", logger(log, "emit"))  # noqa: E731
    r1, r2, _ = pika.run_concurrently(
        lambda: receive_logs(logger(log, "r1")), lambda: receive_logs(logger(log, "r2")),
        lambda: [emit_log(f"info: Hello World! {i}", logger(log, "emit")) for i in (1, 2)])
    for who in ("r1", "r2"):
        assert [line for w, _t, line in log if w == who] == [
            " [*] Waiting for logs. To exit press CTRL+C",
            " [x] b'info: Hello World! 1'", " [x] b'info: Hello World! 2'"]
    assert r1 != r2 and r1.startswith("amq.gen-") and r2.startswith("amq.gen-")
    early()  # a fanout exchange with no queue bound: the message is dropped
    assert sum("nobody" in line for line in lines_of(log)) == 1


# ------------------------------------------------------------------ 4. Routing
def emit_log_direct(severity, message, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='direct_logs', exchange_type='direct')
    channel.basic_publish(exchange='direct_logs', routing_key=severity, body=message)
    log(f" [x] Sent {severity}:{message}")
    connection.close()


def receive_logs_direct(severities, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='direct_logs', exchange_type='direct')
    result = channel.queue_declare(queue='', exclusive=True)
    queue_name = result.method.queue
    for severity in severities:
        channel.queue_bind(exchange='direct_logs', queue=queue_name, routing_key=severity)
    log(' [*] Waiting for logs. To exit press CTRL+C')

    def callback(ch, method, properties, body):
        log(f" [x] {method.routing_key}:{body}")

    channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)
    channel.start_consuming()


def test_routing():
    log = []
    pika.run_concurrently(
        lambda: receive_logs_direct(["warning", "error"], logger(log, "disk")),
        lambda: receive_logs_direct(["info", "warning", "error"], logger(log, "screen")),
        lambda: [emit_log_direct(s, "Run. Run. Or it will explode.", logger(log, "emit"))
                 for s in ("info", "warning", "error", "debug")])
    got = {who: [line for w, _t, line in log if w == who][1:] for who in ("disk", "screen")}
    assert got == {
        "disk": [" [x] warning:b'Run. Run. Or it will explode.'",
                 " [x] error:b'Run. Run. Or it will explode.'"],
        "screen": [" [x] info:b'Run. Run. Or it will explode.'",
                   " [x] warning:b'Run. Run. Or it will explode.'",
                   " [x] error:b'Run. Run. Or it will explode.'"],
    }


# ------------------------------------------------------------------ 5. Topics
def emit_log_topic(routing_key, message, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='topic_logs', exchange_type='topic')
    channel.basic_publish(exchange='topic_logs', routing_key=routing_key, body=message)
    log(f" [x] Sent {routing_key}:{message}")
    connection.close()


def receive_logs_topic(binding_keys, log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.exchange_declare(exchange='topic_logs', exchange_type='topic')
    result = channel.queue_declare('', exclusive=True)
    queue_name = result.method.queue
    for binding_key in binding_keys:
        channel.queue_bind(exchange='topic_logs', queue=queue_name, routing_key=binding_key)
    log(' [*] Waiting for logs. To exit press CTRL+C')

    def callback(ch, method, properties, body):
        log(f" [x] {method.routing_key}:{body}")

    channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)
    channel.start_consuming()


def test_topics():
    log = []
    keys = ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
            "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.new.rabbit",
            "lazy.orange.new.rabbit"]
    pika.run_concurrently(
        lambda: receive_logs_topic(["*.orange.*"], logger(log, "Q1")),
        lambda: receive_logs_topic(["*.*.rabbit", "lazy.#"], logger(log, "Q2")),
        lambda: [emit_log_topic(k, "A critical kernel error", logger(log, "emit")) for k in keys])
    got = {who: [line.removeprefix(" [x] ").split(":")[0] for w, _t, line in log if w == who][1:]
           for who in ("Q1", "Q2")}
    assert got == {
        "Q1": ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"],
        "Q2": ["quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy.pink.rabbit",
               "lazy.orange.new.rabbit"],
    }


# ------------------------------------------------------------------ 6. RPC
def rpc_server(log=print):
    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='rpc_queue')

    def fib(n):
        if n == 0:
            return 0
        elif n == 1:
            return 1
        else:
            return fib(n - 1) + fib(n - 2)

    def on_request(ch, method, props, body):
        n = int(body)
        log(f" [.] fib({n})")
        response = fib(n)
        ch.basic_publish(exchange='',
                         routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id),
                         body=str(response))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue='rpc_queue', on_message_callback=on_request)
    log(" [x] Awaiting RPC requests")
    channel.start_consuming()


class FibonacciRpcClient:
    def __init__(self):
        self.connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
        self.channel = self.connection.channel()
        result = self.channel.queue_declare(queue='', exclusive=True)
        self.callback_queue = result.method.queue
        self.channel.basic_consume(
            queue=self.callback_queue,
            on_message_callback=self.on_response,
            auto_ack=True)
        self.response = None
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(
            exchange='',
            routing_key='rpc_queue',
            properties=pika.BasicProperties(
                reply_to=self.callback_queue,
                correlation_id=self.corr_id,
            ),
            body=str(n))
        while self.response is None:
            self.connection.process_data_events(time_limit=None)
        return int(self.response)


def rpc_client(log=print):
    fibonacci_rpc = FibonacciRpcClient()
    log(" [x] Requesting fib(30)")
    response = fibonacci_rpc.call(30)
    log(f" [.] Got {response}")
    log(" [x] Requesting fib(10)")
    response = fibonacci_rpc.call(10)
    log(f" [.] Got {response}")
    return fibonacci_rpc.callback_queue


def test_rpc(capsys):
    _, callback_queue = pika.run_concurrently(rpc_server, rpc_client)
    assert capsys.readouterr().out.splitlines() == [
        " [x] Awaiting RPC requests",
        " [x] Requesting fib(30)",
        " [.] fib(30)",
        " [.] Got 832040",
        " [x] Requesting fib(10)",
        " [.] fib(10)",
        " [.] Got 55",
    ]
    assert callback_queue.startswith("amq.gen-")


def test_rpc_client_without_server_fails_clearly():
    import pytest

    with pytest.raises(pika.exceptions.SimulationIdle, match="nothing scheduled"):
        rpc_client(lambda line: None)


# ------------------------------------------------------------------ 6b. RPC with direct reply-to
# The same client without a callback queue, as RabbitMQ's "Direct Reply-to" guide has pika users
# write it: consume from the pseudo-queue 'amq.rabbitmq.reply-to' in no-ack mode, *then* publish
# the request with reply_to='amq.rabbitmq.reply-to' from the same channel. The server is
# unchanged: the request's reply_to arrives rewritten to the channel's opaque name.
class FibonacciRpcDirectReplyToClient:
    def __init__(self):
        self.connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
        self.channel = self.connection.channel()
        self.channel.basic_consume(
            queue='amq.rabbitmq.reply-to',
            on_message_callback=self.on_response,
            auto_ack=True)
        self.response = None
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(
            exchange='',
            routing_key='rpc_queue',
            properties=pika.BasicProperties(
                reply_to='amq.rabbitmq.reply-to',
                correlation_id=self.corr_id,
            ),
            body=str(n))
        while self.response is None:
            self.connection.process_data_events(time_limit=None)
        return int(self.response)


def recording(client_class):
    """The test's spy (not in the tutorial): the client class, also keeping every call's
    correlation id and every reply it receives (correlation id, routing key, queue name)."""

    class Recording(client_class):
        def __init__(self):
            self.sent, self.replies = [], []
            super().__init__()

        def on_response(self, ch, method, props, body):
            self.replies.append((props.correlation_id, method.routing_key, body))
            super().on_response(ch, method, props, body)

        def call(self, n):
            answer = super().call(n)
            self.sent.append(self.corr_id)
            return answer

    return Recording


def rpc_round(client_class):
    """Tutorial 6's server and a client of ``client_class`` asking fib(0..15) one at a time:
    (the answers, the client)."""
    clients = []

    def client():
        rpc = recording(client_class)()
        clients.append(rpc)
        return [rpc.call(n) for n in range(16)]

    _, answers = pika.run_concurrently(lambda: rpc_server(lambda line: None), client)
    return answers, clients[0]


def fibs(count):
    out = [0, 1]
    while len(out) < count:
        out.append(out[-1] + out[-2])
    return out[:count]


def reply_copies(broker, exclude="rpc_queue"):
    """The copies of the server's replies in the ledger: (queue, enqueued at, delivered at, acked at)."""
    events = broker.recorder.events
    enq = {e.copy: (e.queue, e.time) for e in events if e.kind == EventKind.ENQUEUE and e.queue != exclude}
    dlv = {e.copy: e.time for e in events if e.kind == EventKind.DELIVER and e.copy in enq}
    ack = {e.copy: e.time for e in events if e.kind == EventKind.ACK and e.copy in enq}
    return [(q, t, dlv.get(c), ack.get(c)) for c, (q, t) in enq.items()]


def declared_queues(broker):
    return [(e.queue, e.exclusive) for e in broker.recorder.events if e.kind == EventKind.QUEUE_DECLARE]


def test_rpc_both_styles_answer_every_call_with_its_correlation_id():
    for style in (FibonacciRpcClient, FibonacciRpcDirectReplyToClient):
        pika.reset_brokers()
        answers, rpc = rpc_round(style)
        assert answers == fibs(16), style.__name__
        assert len(set(rpc.sent)) == 16  # a fresh correlation id per call
        assert [corr for corr, _rk, _body in rpc.replies] == rpc.sent  # each reply carries its call's id
        assert [int(body) for _c, _rk, body in rpc.replies] == fibs(16)


def test_rpc_callback_queue_style_declares_a_queue_and_queues_the_replies():
    answers, rpc = rpc_round(FibonacciRpcClient)
    broker = pika.broker_for()
    assert declared_queues(broker) == [("rpc_queue", False), (rpc.callback_queue, True)]
    assert rpc.callback_queue.startswith("amq.gen-")
    assert {rk for _c, rk, _b in rpc.replies} == {rpc.callback_queue}
    copies = reply_copies(broker)
    assert len(copies) == 16 and {q for q, *_ in copies} == {rpc.callback_queue}  # each reply is a queued copy
    assert set(broker.queues) == {"rpc_queue", rpc.callback_queue}  # one more queue per client connection


def test_rpc_direct_reply_to_style_declares_no_reply_queue_and_never_queues_a_reply():
    answers, rpc = rpc_round(FibonacciRpcDirectReplyToClient)
    broker = pika.broker_for()
    assert answers == fibs(16)
    assert declared_queues(broker) == [("rpc_queue", False)]  # the client declares nothing
    assert set(broker.queues) == {"rpc_queue"}
    # the server replied to the opaque name the broker put in reply_to, one name for the channel
    names = {rk for _c, rk, _b in rpc.replies}
    assert len(names) == 1 and next(iter(names)).startswith("amq.rabbitmq.reply-to.")
    # never queued: in the ledger each reply is a copy of the pseudo-queue, enqueued, delivered
    # (auto-ack) and acked at the instant the server published it
    copies = reply_copies(broker)
    assert len(copies) == 16
    assert all(q == "amq.rabbitmq.reply-to" and t == d == a for q, t, d, a in copies)


def test_rpc_direct_reply_to_request_before_consuming_closes_the_channel():
    """The 406 of a client that publishes with reply_to='amq.rabbitmq.reply-to' before it
    consumes from the pseudo-queue (a publish is asynchronous: the next call raises it)."""
    import pytest

    connection = pika.BlockingConnection(pika.ConnectionParameters(host='localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='rpc_queue')
    channel.basic_publish(exchange='', routing_key='rpc_queue', body='30',
                          properties=pika.BasicProperties(reply_to='amq.rabbitmq.reply-to'))
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as caught:
        channel.basic_consume(queue='amq.rabbitmq.reply-to', on_message_callback=print, auto_ack=True)
    assert caught.value.args == (406, "PRECONDITION_FAILED - fast reply consumer does not exist")
    assert channel.is_closed and connection.is_open
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as caught:
        connection.channel().basic_consume(queue='amq.rabbitmq.reply-to', on_message_callback=print)
    assert caught.value.args == (406, "PRECONDITION_FAILED - reply consumer cannot acknowledge")
    connection.close()
