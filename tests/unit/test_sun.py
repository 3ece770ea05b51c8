"""Sun position over Alatau City (NOAA solar calculator)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from alatau_twin.core.sun import (
    ALMATY_TZ,
    SunPosition,
    grid_convergence_deg,
    solar_noon,
    sun_direction,
    sun_position,
)

LAT, LON = 43.65, 77.08


def test_almaty_is_utc_plus_five() -> None:
    # Kazakhstan left UTC+6 on 2024-03-01; a stale tz database would shift shadows an hour.
    assert dt.datetime(2026, 6, 21, 12, tzinfo=ALMATY_TZ).utcoffset() == dt.timedelta(hours=5)


@pytest.mark.parametrize(
    ("date", "elevation"),
    [(dt.date(2026, 12, 21), 22.9), (dt.date(2026, 6, 21), 69.8)],
)
def test_solar_noon_elevation_at_the_solstices(date: dt.date, elevation: float) -> None:
    noon = solar_noon(LAT, LON, date, ALMATY_TZ)
    assert noon.date() == date and noon.utcoffset() == dt.timedelta(hours=5)
    # 77.08 E is 8 minutes of time east of the zone's 75 E meridian: noon comes before 12:00.
    assert dt.time(11, 40) < noon.time() < dt.time(12, 0)
    sun = sun_position(LAT, LON, noon)
    assert sun.elevation_deg == pytest.approx(elevation, abs=0.1)
    assert sun.azimuth_deg == pytest.approx(180.0, abs=0.05)


def test_noon_is_the_highest_point_of_the_day() -> None:
    noon = solar_noon(LAT, LON, dt.date(2026, 3, 20))
    at_noon = sun_position(LAT, LON, noon).elevation_deg
    for minutes in (-10, 10):
        other = sun_position(LAT, LON, noon + dt.timedelta(minutes=minutes)).elevation_deg
        assert other < at_noon


def test_declination_and_equation_of_time_match_the_almanac() -> None:
    utc = dt.UTC
    june = sun_position(LAT, LON, dt.datetime(2026, 6, 21, 12, tzinfo=utc))
    assert june.declination_deg == pytest.approx(23.44, abs=0.02)
    # The equation of time peaks near +16.4 min in early November and -14.2 in February.
    nov = sun_position(LAT, LON, dt.datetime(2026, 11, 3, 12, tzinfo=utc))
    feb = sun_position(LAT, LON, dt.datetime(2026, 2, 11, 12, tzinfo=utc))
    assert nov.equation_of_time_min == pytest.approx(16.4, abs=0.2)
    assert feb.equation_of_time_min == pytest.approx(-14.2, abs=0.2)


def test_sun_is_down_at_local_midnight() -> None:
    for month in (3, 6, 9, 12):
        sun = sun_position(LAT, LON, dt.datetime(2026, month, 21, 0, 0, tzinfo=ALMATY_TZ))
        assert sun.elevation_deg < -15.0 and not sun.is_up
        assert sun.azimuth_deg < 30.0 or sun.azimuth_deg > 330.0  # below the north horizon


def test_june_sunrise_is_in_the_north_east_and_sunset_in_the_north_west() -> None:
    start = dt.datetime(2026, 6, 21, 0, 0, tzinfo=ALMATY_TZ)
    suns = [sun_position(LAT, LON, start + dt.timedelta(minutes=m)) for m in range(1440)]
    up = np.array([s.is_up for s in suns])
    rise = int(np.flatnonzero(~up[:-1] & up[1:])[0]) + 1
    sets = int(np.flatnonzero(up[:-1] & ~up[1:])[0])
    assert 50.0 < suns[rise].azimuth_deg < 130.0
    assert 230.0 < suns[sets].azimuth_deg < 310.0
    # About 15 h of daylight at 43.65 N on the solstice; sunrise soon after 04:00 (UTC+5).
    assert 14.8 < (sets - rise) / 60.0 < 15.5
    assert 4 * 60 < rise < 4 * 60 + 30


def test_apparent_elevation_rises_smoothly_through_the_horizon() -> None:
    # The refraction fit is piecewise (at 5 deg and -0.575 deg); no seam may show as a
    # jump or a dip in a sunrise animation.
    start = dt.datetime(2026, 6, 21, 3, 30, tzinfo=ALMATY_TZ)
    elev = np.array(
        [sun_position(LAT, LON, start + dt.timedelta(minutes=m)).elevation_deg for m in range(120)]
    )
    assert elev[0] < -1.0 < 6.0 < elev[-1]
    steps = np.diff(elev)
    assert (steps > 0).all() and steps.max() < 0.3


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        sun_position(LAT, LON, dt.datetime(2026, 6, 21, 12, 0))


def test_same_instant_in_any_zone_gives_the_same_sun() -> None:
    local = dt.datetime(2026, 9, 1, 15, 30, tzinfo=ALMATY_TZ)
    a = sun_position(LAT, LON, local)
    b = sun_position(LAT, LON, local.astimezone(dt.UTC))
    assert a == b


def test_sun_direction_is_a_unit_vector_towards_the_sun() -> None:
    for az, el in ((0.0, 0.0), (90.0, 30.0), (180.0, 69.8), (271.0, -5.0)):
        v = sun_direction(az, el)
        assert np.linalg.norm(v) == pytest.approx(1.0)
        assert v[2] == pytest.approx(np.sin(np.radians(el)))
    assert sun_direction(90.0, 0.0) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)  # east
    assert sun_direction(180.0, 0.0) == pytest.approx([0.0, -1.0, 0.0], abs=1e-12)  # south
    noon = sun_position(LAT, LON, solar_noon(LAT, LON, dt.date(2026, 6, 21)))
    assert isinstance(noon, SunPosition)
    assert noon.direction()[1] < 0 < noon.direction()[2]  # south and up: shadows fall north


def test_grid_convergence_rotates_true_azimuth_into_utm_axes() -> None:
    gamma = grid_convergence_deg(LAT, LON, 75.0)
    assert gamma == pytest.approx(1.43, abs=0.02)
    true_north = sun_direction(0.0, 0.0, grid_convergence_deg=gamma)
    # East of the central meridian, true north points slightly west of grid north.
    assert true_north[0] < 0 < true_north[1]
