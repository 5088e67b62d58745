"""Saved queries for analysts (``warmcity query``): typed parameters, constant SQL, output formats.

- ``params``: parameter kinds and parsing (times ISO-8601 or relative, filters, limits), ``ParameterError``
- ``saved``: the ``SavedQuery`` (bind, render) and the ``SavedQueries`` registry
- ``catalogue``: the queries themselves, ``SAVED_QUERIES``
- ``format``: ``QueryResult`` as an aligned table, CSV or JSON
- ``run``: executing a saved query with clickhouse-driver's parameter substitution

All but ``run`` are pure. docs/analysts.md describes the tables and every query.
"""

from pipeline.analytics.catalogue import SAVED_QUERIES
from pipeline.analytics.format import OutputFormat, QueryResult, format_result
from pipeline.analytics.params import Param, ParameterError, ParamKind
from pipeline.analytics.saved import SavedQueries, SavedQuery, UnknownQuery

__all__ = [
    "SAVED_QUERIES",
    "OutputFormat",
    "Param",
    "ParamKind",
    "ParameterError",
    "QueryResult",
    "SavedQueries",
    "SavedQuery",
    "UnknownQuery",
    "format_result",
]
