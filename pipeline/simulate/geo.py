"""Small-scale geometry for the simulator: distances, bearings, and positions along and beside a route.

An equirectangular projection around each point is accurate to well under 1% over the tens of kilometres
of a district, which is all the simulator needs (the city model uses the same approximation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

KM_PER_DEGREE = 111.32
Point = tuple[float, float]  # (lat, lon)


def distance_km(a: Point, b: Point) -> float:
    dx = (b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2)) * KM_PER_DEGREE
    dy = (b[0] - a[0]) * KM_PER_DEGREE
    return math.hypot(dx, dy)


def bearing_deg(a: Point, b: Point) -> float:
    """Compass heading from a to b, in [0, 360)."""
    dx = (b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    dy = b[0] - a[0]
    return math.degrees(math.atan2(dx, dy)) % 360.0


def offset(point: Point, distance_km_: float, bearing: float) -> Point:
    """The point ``distance_km_`` from ``point`` towards compass heading ``bearing`` (degrees)."""
    rad = math.radians(bearing)
    lat = point[0] + distance_km_ * math.cos(rad) / KM_PER_DEGREE
    lon = point[1] + distance_km_ * math.sin(rad) / (KM_PER_DEGREE * math.cos(math.radians(point[0])))
    return lat, lon


def route_length_km(route: Sequence[Point]) -> float:
    return sum(distance_km(a, b) for a, b in pairwise(route))


def along(route: Sequence[Point], fraction: float) -> tuple[Point, float]:
    """The point at ``fraction`` (0..1) of the route's length, and the heading of its leg there."""
    target = max(0.0, min(1.0, fraction)) * route_length_km(route)
    last = len(route) - 2
    for number, (a, b) in enumerate(pairwise(route)):
        leg = distance_km(a, b)
        if target <= leg or number == last:
            t = target / leg if leg > 0 else 0.0
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), bearing_deg(a, b)
        target -= leg
    return route[-1], 0.0


def distance_to_route_km(point: Point, route: Sequence[Point]) -> float:
    """Shortest distance from ``point`` to the polyline."""
    best = math.inf
    for a, b in pairwise(route):
        scale = math.cos(math.radians(a[0])) * KM_PER_DEGREE
        ax, ay = a[1] * scale, a[0] * KM_PER_DEGREE
        bx, by = b[1] * scale, b[0] * KM_PER_DEGREE
        px, py = point[1] * scale, point[0] * KM_PER_DEGREE
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
        best = min(best, math.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best
