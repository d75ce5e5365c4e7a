"""RabbitMQ's Python tutorials 1-6, written as the tutorials write them, as functions
run in one process with :func:`amqpsim.pika.run_concurrently` (each function is one of
the tutorial's programs). Two departures, both marked: ``print`` is a ``log`` argument
so the test can tell the programs apart, and the worker's ``time.sleep`` (simulated
work) is ``connection.sleep``, which lets simulated time pass.
"""

from __future__ import annotations

import uuid

import amqpsim.pika as pika


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
