"""The README example runs unchanged apart from its import."""

from __future__ import annotations

import amqpsim.pika as pika


def test_readme_example(capsys):
    connection = pika.BlockingConnection(pika.ConnectionParameters('localhost'))
    channel = connection.channel()
    channel.queue_declare(queue='hello')
    channel.basic_publish(exchange='', routing_key='hello', body='Hello AMQP!')
    print("[x] Sent 'Hello AMQP!'")
    connection.close()

    assert capsys.readouterr().out == "[x] Sent 'Hello AMQP!'\n"
    q = pika.broker_for("localhost").queues["hello"]
    assert q.message_count() == 1
    assert connection.is_closed
