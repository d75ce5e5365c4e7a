"""A stream consumer's ``offset`` (x-stream-offset): what is accepted, and the errors."""

from __future__ import annotations

import datetime

import pytest
from scenario_helpers import only, problems_of

from amqpsim.scenario import Consumer, load_scenario

DOC = """\
    name: offsets
    topology:
      queues: [{name: events, arguments: {x-queue-type: stream}}, {name: jobs}]
    consumers:
      - {name: a, queue: events, prefetch: 10, offset: %s}
    """
UTC = datetime.UTC


@pytest.mark.parametrize(("written", "value"), [
    ("first", "first"), ("last", "last"), ("next", "next"), (0, 0), (12345, 12345),
    ("30m", "30m"), ("1D", "1D"), ("2Y", "2Y"),
    (datetime.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), datetime.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)),
    (datetime.datetime(2026, 1, 1, 0, 0, 30), datetime.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)),
    (datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, tzinfo=UTC)),
])
def test_the_offsets_rabbitmq_takes(written, value) -> None:
    c = Consumer.model_validate({"name": "a", "queue": "events", "offset": written})
    assert c.offset == value and type(c.offset) is type(value)


def test_no_offset_is_none() -> None:
    assert Consumer.model_validate({"name": "a", "queue": "q"}).offset is None


@pytest.mark.parametrize(("written", "hint"), [
    ("Frist", "first"), ("Next", "next"), ("30 min", "30m"), ("2 days", "2D"), ("1 hour", "1h"),
    ("30x", None), ("soon", None), ("-5m", None), ("1.5h", None), ("true", None), ("0m", None), ("0 min", None),
])
def test_a_bad_offset_names_the_value_and_what_is_accepted(written, hint) -> None:
    p = only(problems_of(DOC % f'"{written}"'), "consumers[0].offset")
    assert p.line == 5 and p.value == written and p.suggestion == hint
    assert "first, last, next, an offset" in p.message and "'30m'" in p.message


@pytest.mark.parametrize("written", ["-1", "true", "1.5", "{at: 3}", "[first]"])
def test_an_offset_of_the_wrong_type(written) -> None:
    p = only(problems_of(DOC % written), "consumers[0].offset")
    assert p.line == 5
    assert (">= 0" in p.message) if written == "-1" else ("expected first, last, next" in p.message)


def test_a_yaml_timestamp_is_a_timestamp() -> None:
    from amqpsim.scenario.yamlsrc import parse_yaml
    data, _ = parse_yaml("offset: 2026-01-01T00:00:30Z\n")
    c = Consumer.model_validate({"name": "a", "queue": "events", "offset": data["offset"]})
    assert c.offset == datetime.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


def test_an_offset_on_a_queue_that_is_not_a_stream() -> None:
    p = only(problems_of(DOC.replace("queue: events", "queue: jobs") % "first"), "consumers[0].offset")
    assert p.message == "offset applies to stream queues only ('jobs' is a classic queue)"
    assert p.value == "first" and p.line == 5


def test_a_valid_stream_consumer() -> None:
    s = load_scenario(__import__("textwrap").dedent(DOC % "2026-01-01T00:00:30Z"))
    assert s.consumer("a").offset == datetime.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert s.queue("events").queue_type == "stream"


@pytest.mark.parametrize(("change", "path", "needle"), [
    ("prefetch: 0", "consumers[0].prefetch", "406 PRECONDITION_FAILED - consumer prefetch count is not set"),
    ("prefetch: 10, ack: auto", "consumers[0].ack",
     "540 NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues"),
    ("prefetch: 10, reject: {probability: 0.1}", "consumers[0].reject",
     "cannot reject: RabbitMQ closes the connection with 540 NOT_IMPLEMENTED - basic.reject not supported"),
])
def test_what_a_stream_refuses_its_consumers(change, path, needle) -> None:
    p = only(problems_of(DOC.replace("prefetch: 10", change) % "first"), path)
    assert needle in p.message and p.line == 5
