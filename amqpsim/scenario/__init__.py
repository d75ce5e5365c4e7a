"""Scenario files: YAML -> a validated, typed :class:`Scenario`.

>>> from amqpsim.scenario import load_scenario
>>> s = load_scenario("name: demo\\n")
>>> s.name, s.broker.version
('demo', '3.10')
"""

from .definitions import (
    DefinitionsWarning,
    choose_vhost,
    export_definitions,
    import_definitions,
    read_definitions,
    scenario_name,
)
from .distributions import Choice, Constant, Distribution, Exponential, Lognormal, Uniform
from .errors import Problem, ScenarioError, ScenarioWarning
from .loader import apply_overrides, dump_yaml, load_scenario, validate_data
from .model import (
    FAULT_KINDS,
    PREDECLARED_EXCHANGES,
    Binding,
    Broker,
    Cluster,
    Consumer,
    Exchange,
    Fault,
    Policy,
    Producer,
    Queue,
    Reject,
    Scenario,
    Topology,
)
from .rates import BurstRate, ConstantRate, KeyChoice, PoissonRate, Rate, RoutingKey

__all__ = [
    "FAULT_KINDS",
    "PREDECLARED_EXCHANGES",
    "Binding",
    "Broker",
    "BurstRate",
    "Cluster",
    "Choice",
    "Constant",
    "ConstantRate",
    "Consumer",
    "DefinitionsWarning",
    "Distribution",
    "Exchange",
    "Exponential",
    "Fault",
    "KeyChoice",
    "Lognormal",
    "PoissonRate",
    "Policy",
    "Problem",
    "Producer",
    "Queue",
    "Rate",
    "Reject",
    "RoutingKey",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "Topology",
    "Uniform",
    "apply_overrides",
    "choose_vhost",
    "dump_yaml",
    "export_definitions",
    "import_definitions",
    "load_scenario",
    "read_definitions",
    "scenario_name",
    "validate_data",
]
