"""The locate stage: a point's place on the grid cells is the city model's own nearest-centre answer."""

from __future__ import annotations

import math
import random

import pytest

from pipeline.city import DISTRICTS, City
from pipeline.city.ground import Ground, _nearest
from pipeline.city.records import grid_cell_records
from pipeline.contracts.reference import Place
from pipeline.contracts.sites import GridCellRecord
from pipeline.reference_feed import ReferenceFeed
from pipeline.stages.locate import CellIndex, CellLocator
from tests.unit.test_city import built

POINTS_PER_DISTRICT = 400


def ground_of(city: City) -> Ground:
    return Ground(city.districts, city.grid_cells, city.stations)


def expected_place(city: City, ground: Ground, lat: float, lon: float) -> Place:
    """The city model's answer for a point of unknown district: ``Ground.at`` in every district (each the
    nearest of that district's cells), then the nearest of those cells by ``Ground``'s own measure."""
    by_id = {cell.grid_cell_id: cell for cell in city.grid_cells}
    candidates = {place.grid_cell: place for place in (ground.at(d, lat, lon) for d in city.districts)}
    nearest = _nearest(
        sorted((by_id[cell_id] for cell_id in candidates), key=lambda c: c.grid_cell_id), lat, lon
    )
    return candidates[nearest.grid_cell_id]


def brute_force(cells: list[GridCellRecord], lat: float, lon: float) -> GridCellRecord:
    scale = math.cos(math.radians(lat)) ** 2
    return min(cells, key=lambda c: (scale * (c.lon - lon) ** 2 + (c.lat - lat) ** 2, c.grid_cell_id))


def cell(cell_id: str, lat: float, lon: float, district: str = "Dongsheng") -> GridCellRecord:
    return GridCellRecord(
        grid_cell_id=cell_id, patrol_area="PA-01", district=district, station="ST-01", lat=lat, lon=lon
    )


@pytest.mark.parametrize("profile", ["city", "small"])
@pytest.mark.parametrize("district", DISTRICTS, ids=lambda d: d.name)
def test_agrees_with_the_city_model_for_points_of_every_district(profile: str, district: object) -> None:
    city = built(profile)
    ground = ground_of(city)
    index = CellIndex(grid_cell_records(city))
    rng = random.Random(f"locate:{profile}:{district}")
    own = 0
    for _ in range(POINTS_PER_DISTRICT):
        # Anywhere the district's towns and roads reach (depots, blasting sites and routes lie there).
        place = ground.around_seat(rng, district, 0.0, 1.0)  # type: ignore[arg-type]
        located = index.place_of(place.lat, place.lon)
        assert located == expected_place(city, ground, place.lat, place.lon), (place.lat, place.lon)
        if located == place:  # the district's own nearest cell is the nearest of all
            own += 1
    # Districts' cells interleave (Kangbashi lies inside Ejin Horo's reach), so a point of one district may
    # be nearest to a cell of another; still, every district's own cells take a good share of its points.
    assert own > POINTS_PER_DISTRICT // 5


def test_depots_are_located_where_they_are_registered() -> None:
    """A truck standing at its depot is placed where the depot's devices are."""
    city = built("city")
    index = CellIndex(grid_cell_records(city))
    for depot in (site for site in city.sites if site.site_id.startswith("DEP-")):
        assert index.place_of(depot.place.lat, depot.place.lon) == depot.place


def test_index_equals_a_full_scan_anywhere() -> None:
    cells = list(grid_cell_records(built("city")))
    index = CellIndex(cells)
    rng = random.Random("locate:anywhere")
    points = [(rng.uniform(37.0, 41.5), rng.uniform(106.5, 112.0)) for _ in range(2_000)]
    points += [(c.lat, c.lon) for c in rng.sample(cells, 200)]  # exactly on a centre
    for lat, lon in points:
        assert index.nearest(lat, lon) is brute_force(cells, lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon"), [(0.0, 0.0), (89.9, 179.9), (-60.0, -120.0), (39.8, 150.0), (10.0, 110.0), (60.0, 110.0)]
)
def test_a_point_far_outside_the_territory_gets_the_nearest_cell(lat: float, lon: float) -> None:
    cells = list(grid_cell_records(built("city")))
    place = CellIndex(cells).place_of(lat, lon)
    nearest = brute_force(cells, lat, lon)
    assert place is not None and place.grid_cell == nearest.grid_cell_id
    assert (place.lat, place.lon) == (lat, lon)


def test_the_place_is_the_cell_s_and_the_point_s() -> None:
    index = CellIndex([cell("GC-0001", 39.80, 110.00), cell("GC-0002", 39.90, 110.00, district="Dalad")])
    assert index.place_of(39.88, 110.01) == Place(
        district="Dalad", patrol_area="PA-01", grid_cell="GC-0002", station="ST-01", lat=39.88, lon=110.01
    )


def test_longitude_counts_less_away_from_the_equator() -> None:
    # 0.1 degree east is about 8.5 km at 40 N, 0.09 degree north about 10 km: the eastern centre is nearer.
    index = CellIndex([cell("GC-0001", 40.09, 110.0), cell("GC-0002", 40.0, 110.1)])
    nearest = index.nearest(40.0, 110.0)
    assert nearest is not None and nearest.grid_cell_id == "GC-0002"


def test_equally_near_centres_go_to_the_lowest_id_whatever_the_order() -> None:
    cells = [cell("GC-0009", 40.5, 110.0), cell("GC-0003", 39.5, 110.0), cell("GC-0005", 40.5, 110.0)]
    for order in (cells, cells[::-1], cells[1:] + cells[:1]):
        nearest = CellIndex(order).nearest(40.0, 110.0)
        assert nearest is not None and nearest.grid_cell_id == "GC-0003"
        nearest = CellIndex(order).nearest(40.5, 110.0)  # two cells on the very same centre
        assert nearest is not None and nearest.grid_cell_id == "GC-0005"


def test_no_cells_no_place() -> None:
    assert CellIndex([]).place_of(39.8, 110.0) is None
    assert len(CellIndex([])) == 0
    assert CellLocator({}).place_of(39.8, 110.0) is None


def test_the_locator_follows_a_reference_feed_s_view() -> None:
    feed = ReferenceFeed("127.0.0.1:1", "unused", GridCellRecord.model_validate_json, "grid_cells")
    locator = CellLocator(feed.view)
    assert locator.place_of(39.8, 110.0) is None
    first, second = cell("GC-0001", 39.80, 110.0), cell("GC-0002", 39.81, 110.0)
    feed.apply(b"GC-0001", first.model_dump_json().encode())
    assert locator.index().nearest(39.81, 110.0) == first
    feed.apply(b"GC-0002", second.model_dump_json().encode())
    assert locator.index().nearest(39.81, 110.0) == second
    moved = second.model_copy(update={"lat": 45.0})  # same key, same count: the revision tells
    feed.apply(b"GC-0002", moved.model_dump_json().encode())
    assert locator.index().nearest(39.81, 110.0) == first
    feed.apply(b"GC-0001", None)
    assert locator.index().nearest(39.81, 110.0) == moved
    feed.apply(b"GC-0002", None)
    assert locator.place_of(39.81, 110.0) is None


def test_the_index_is_built_once_until_the_cells_change() -> None:
    feed = ReferenceFeed("127.0.0.1:1", "unused", GridCellRecord.model_validate_json, "grid_cells")
    feed.apply(b"GC-0001", cell("GC-0001", 39.8, 110.0).model_dump_json().encode())
    locator = CellLocator(feed.view)
    index = locator.index()
    assert locator.index() is index
    feed.apply(b"GC-0001", b"not json")  # rejected: nothing changed
    assert locator.index() is index
    feed.apply(b"GC-0404", None)  # a tombstone for a key it never had: nothing changed
    assert locator.index() is index
    feed.apply(b"GC-0002", cell("GC-0002", 39.9, 110.0).model_dump_json().encode())
    assert locator.index() is not index and len(locator.index()) == 2


def test_a_plain_mapping_is_indexed_once() -> None:
    cells = {"GC-0001": cell("GC-0001", 39.8, 110.0)}
    locator = CellLocator(cells)
    index = locator.index()
    assert locator.index() is index and len(index) == 1
