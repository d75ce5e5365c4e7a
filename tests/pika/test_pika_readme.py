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


def test_readme_cluster_example_runs_as_printed(capsys):
    """The pika snippet of the README's Clusters section, run from the README itself."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Clusters", 1)[1].split("\n## ", 1)[0]
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", section, re.S)
                   if "simulate_cluster" in block)
    pika.reset_brokers()
    exec(compile(snippet, "README.md", "exec"), {})
    leader, clock = capsys.readouterr().out.split()
    assert leader == "rabbit3"  # the new leader, elected by the two surviving replicas
    assert 0.15 <= float(clock) <= 0.3  # the publish waited for the election
