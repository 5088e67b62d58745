"""The local stack: a single-node Kafka broker and a ClickHouse server, started and stopped by the project.

``LocalStack(settings).up()`` starts what ``settings.stack`` says is local (or checks what is external),
``status()`` reports each component, ``down()`` stops only what ``up`` started. Everything lives under
``settings.stack.run_dir``; ``docs/stack.md`` explains the layout and the settings.
"""

from pipeline.stack.model import ComponentStatus, StackError
from pipeline.stack.stack import LocalStack

__all__ = ["ComponentStatus", "LocalStack", "StackError"]
