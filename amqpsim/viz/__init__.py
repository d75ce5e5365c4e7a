"""Pictures of a run, drawn from its view (:class:`~amqpsim.trace.views.RunView`) alone.

Every function takes a run (a :class:`~amqpsim.RunResult`, its ``.view``, or anything
holding events: see :func:`~amqpsim.viz.data.view_of`) and returns a matplotlib Figure
(the flow animation returns a ``FuncAnimation``). A picture reads the view, never the
event log, so it costs what a summary costs::

    import amqpsim
    from amqpsim import viz

    result = amqpsim.run("scenarios/online-store.yaml")
    viz.routing_graph(result)
    viz.queue_depth(result)
    viz.message_rates(result)
    viz.ledger({"3 workers": result, "5 workers": other})
    viz.cluster_timeline(cluster_result)          # a cluster run: nodes, partitions, leaders
    viz.cluster_graph(cluster_result, at=120.0)   # the cluster at one instant
    viz.stream_offsets(result)             # streams: what is kept, where each consumer reads
    viz.write_report(result, "reports/online-store")

Colours are shared: a fate has one colour in every picture (:data:`FATES`).
"""

from .animation import flow_animation, player_html
from .cluster_graph import cluster_graph
from .cluster_timeline import cluster_timeline
from .depth import queue_depth
from .graph import export_graph, routing_networkx
from .latency import latency
from .ledger import ledger, ledger_table
from .rates import message_rates
from .report import write_report
from .routing import routing_graph
from .sequence import sequence_diagram, sequence_frames
from .streams import stream_offsets
from .style import FATES
from .timeline import consumer_timeline

__all__ = [
    "FATES",
    "cluster_graph",
    "cluster_timeline",
    "consumer_timeline",
    "export_graph",
    "flow_animation",
    "player_html",
    "latency",
    "ledger",
    "ledger_table",
    "message_rates",
    "queue_depth",
    "routing_graph",
    "routing_networkx",
    "sequence_diagram",
    "sequence_frames",
    "stream_offsets",
    "write_report",
]
