"""Every rule by its id: what the worker instantiates, and the one place that lists them all.

``event_rules`` run on enriched events; ``detection_rules`` run on the detections of the event rules
(today only corroboration). The annotations make mypy check each rule against the ``Rule`` protocol.
This module must not wire anything to Faust.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pipeline.rules.access_denials import AccessDenialsRule
from pipeline.rules.base import DetectionRule, EventRule
from pipeline.rules.corroboration import CorroborationRule
from pipeline.rules.crowd_density import CrowdDensityRule
from pipeline.rules.depot_after_hours import DepotAfterHoursRule
from pipeline.rules.device_offline import OfflineRule
from pipeline.rules.device_tamper import TamperRule
from pipeline.rules.device_video_loss import VideoLossRule
from pipeline.rules.id_gate_denials import IdGateDenialsRule
from pipeline.rules.id_gate_mismatch import FaceMismatchRule
from pipeline.rules.inventory_drop import InventoryDropRule
from pipeline.rules.plate_cloned import ClonedPlateRule
from pipeline.rules.school_emergency import SchoolEmergencyRule
from pipeline.rules.settings import RuleSettings
from pipeline.rules.transport_corridor import OffCorridorRule
from pipeline.rules.transport_stopped import StoppedTooLongRule
from pipeline.rules.watchlist_face import FaceWatchRule
from pipeline.rules.watchlist_person import PersonWatchRule
from pipeline.rules.watchlist_plate import PlateWatchRule


def event_rules(settings: RuleSettings | None = None) -> Mapping[str, EventRule]:
    s = settings or RuleSettings()
    rules: tuple[EventRule, ...] = (
        PlateWatchRule(s),
        PersonWatchRule(s),
        FaceWatchRule(s),
        ClonedPlateRule(s),
        FaceMismatchRule(s),
        IdGateDenialsRule(s),
        CrowdDensityRule(s),
        DepotAfterHoursRule(s),
        InventoryDropRule(s),
        OffCorridorRule(s),
        StoppedTooLongRule(s),
        OfflineRule(s),
        VideoLossRule(s),
        TamperRule(s),
        SchoolEmergencyRule(s),
        AccessDenialsRule(s),
    )
    return MappingProxyType({rule.name: rule for rule in rules})


def detection_rules(settings: RuleSettings | None = None) -> Mapping[str, DetectionRule]:
    s = settings or RuleSettings()
    rules: tuple[DetectionRule, ...] = (CorroborationRule(s),)
    return MappingProxyType({rule.name: rule for rule in rules})


RULE_IDS: tuple[str, ...] = (*event_rules(), *detection_rules())
