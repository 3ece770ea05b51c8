"""Where the sun is, for sun-and-shadow views of the city (core: no Qt, no VTK).

Implements the NOAA solar calculator (Meeus' low-precision formulas, good to about
0.01 deg for years 1800-2100): Julian century, the sun's geometric mean longitude and
anomaly, equation of centre, apparent longitude, obliquity, declination, equation of
time, hour angle, zenith and standard atmospheric refraction. That is far more precise
than a shadow study needs, and cheap enough to call every animation frame.

Times must be timezone-aware: a naive datetime is ambiguous (the app runs in Almaty,
data arrives in UTC) and a silent 5-hour error puts shadows on the wrong side of a
street, so we refuse rather than guess.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass

import numpy as np

_FIXED_ALMATY = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")


def _almaty_tz() -> dt.tzinfo:
    """Kazakhstan's Asia/Almaty zone, UTC+5 since 2024-03-01.

    Kazakhstan moved from UTC+6 to UTC+5 on 2024-03-01 (IANA tzdata 2024a). A system
    or ``tzdata`` database older than that still says +6 and would shift every sun
    position by an hour, so we fall back to a fixed UTC+5 (no DST in Kazakhstan)
    when the zone is missing or stale. Historic dates before 2024-03 are then off by
    an hour; the twin looks at the present and future.
    """
    try:
        tz = zoneinfo.ZoneInfo("Asia/Almaty")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return _FIXED_ALMATY
    probe = dt.datetime(2025, 1, 1, 12, tzinfo=tz)
    return tz if probe.utcoffset() == dt.timedelta(hours=5) else _FIXED_ALMATY


ALMATY_TZ: dt.tzinfo = _almaty_tz()
"""Local time of Alatau City (UTC+5)."""

ALATAU_LAT = 43.65
ALATAU_LON = 77.08


@dataclass(frozen=True)
class SunPosition:
    """The sun seen from one place at one instant.

    ``azimuth_deg`` is clockwise from true north (90 = east); ``elevation_deg`` is the
    apparent altitude above the horizon including standard refraction (negative: below).
    """

    azimuth_deg: float
    elevation_deg: float
    declination_deg: float
    equation_of_time_min: float

    @property
    def zenith_deg(self) -> float:
        return 90.0 - self.elevation_deg

    @property
    def is_up(self) -> bool:
        """Above the horizon (upper limb rule aside: the centre, refracted)."""
        return self.elevation_deg > 0.0

    def direction(self, grid_convergence_deg: float = 0.0) -> np.ndarray:
        """Unit vector towards the sun in scene axes; see :func:`sun_direction`."""
        return sun_direction(self.azimuth_deg, self.elevation_deg, grid_convergence_deg)


def _require_aware(when: dt.datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(
            f"{when.isoformat()} has no time zone; pass an aware datetime, e.g. "
            "datetime(..., tzinfo=ALMATY_TZ) or datetime(..., tzinfo=timezone.utc)"
        )


def _julian_day(when: dt.datetime) -> float:
    """Julian day of an aware instant (JD 2440587.5 is the Unix epoch)."""
    return when.timestamp() / 86400.0 + 2440587.5


def _solar_terms(jd: float) -> tuple[float, float]:
    """(declination deg, equation of time min) at Julian day ``jd`` (NOAA spreadsheet)."""
    t = (jd - 2451545.0) / 36525.0  # Julian centuries since J2000.0
    l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0  # geometric mean longitude
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)  # geometric mean anomaly
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)  # orbit eccentricity
    mr = math.radians(m)
    c = (
        math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * mr) * (0.019993 - 0.000101 * t)
        + math.sin(3 * mr) * 0.000289
    )  # equation of centre
    true_long = l0 + c
    omega = math.radians(125.04 - 1934.136 * t)
    app_long = true_long - 0.00569 - 0.00478 * math.sin(omega)
    mean_obliq = (
        23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    )
    obliq = math.radians(mean_obliq + 0.00256 * math.cos(omega))
    decl = math.degrees(math.asin(math.sin(obliq) * math.sin(math.radians(app_long))))
    y = math.tan(obliq / 2.0) ** 2
    l0r = math.radians(l0)
    eot = 4.0 * math.degrees(
        y * math.sin(2 * l0r)
        - 2 * e * math.sin(mr)
        + 4 * e * y * math.sin(mr) * math.cos(2 * l0r)
        - 0.5 * y * y * math.sin(4 * l0r)
        - 1.25 * e * e * math.sin(2 * mr)
    )
    return decl, eot


def _refraction_deg(elevation: float) -> float:
    """Standard atmospheric refraction (NOAA's piecewise fit), degrees to add."""
    if elevation > 85.0:
        return 0.0
    te = math.tan(math.radians(elevation))
    if elevation > 5.0:
        arcsec = 58.1 / te - 0.07 / te**3 + 0.000086 / te**5
    elif elevation > -0.575:
        arcsec = 1735.0 + elevation * (
            -518.2 + elevation * (103.4 + elevation * (-12.79 + elevation * 0.711))
        )
    else:
        arcsec = -20.772 / te
    return arcsec / 3600.0


def sun_position(lat_deg: float, lon_deg: float, when: dt.datetime) -> SunPosition:
    """Sun azimuth/elevation at latitude/longitude (degrees, east positive) and instant.

    Raises ValueError for a naive ``when``.
    """
    _require_aware(when)
    decl, eot = _solar_terms(_julian_day(when))
    utc = when.astimezone(dt.UTC)
    minutes = utc.hour * 60.0 + utc.minute + (utc.second + utc.microsecond / 1e6) / 60.0
    true_solar = (minutes + eot + 4.0 * lon_deg) % 1440.0
    hour_angle = math.radians(true_solar / 4.0 - 180.0)
    lat, dec = math.radians(lat_deg), math.radians(decl)
    cos_zen = math.sin(lat) * math.sin(dec) + math.cos(lat) * math.cos(dec) * math.cos(hour_angle)
    zenith = math.degrees(math.acos(min(1.0, max(-1.0, cos_zen))))
    # atan2 form of NOAA's azimuth: defined at the poles' edge cases and at the zenith.
    azimuth = (
        math.degrees(
            math.atan2(
                math.sin(hour_angle),
                math.cos(hour_angle) * math.sin(lat) - math.tan(dec) * math.cos(lat),
            )
        )
        + 180.0
    ) % 360.0
    elevation = 90.0 - zenith
    return SunPosition(
        azimuth_deg=azimuth,
        elevation_deg=elevation + _refraction_deg(elevation),
        declination_deg=decl,
        equation_of_time_min=eot,
    )


def solar_noon(
    lat_deg: float, lon_deg: float, date: dt.date, tz: dt.tzinfo = ALMATY_TZ
) -> dt.datetime:
    """The instant the sun crosses the meridian on local calendar ``date`` in ``tz``.

    Solar noon depends on longitude and the equation of time only; ``lat_deg`` is kept so
    every function here takes a place the same way. Two passes converge to well under
    a second because the equation of time changes by < 30 s a day.
    """
    del lat_deg  # the meridian transit time does not depend on latitude
    guess = dt.datetime(date.year, date.month, date.day, 12, tzinfo=tz).astimezone(dt.UTC)
    for _ in range(3):
        _, eot = _solar_terms(_julian_day(guess))
        minutes = 720.0 - 4.0 * lon_deg - eot  # UTC minutes after midnight, may be < 0
        midnight = guess.replace(hour=0, minute=0, second=0, microsecond=0)
        noon = midnight + dt.timedelta(minutes=minutes)
        # Pick the transit nearest local noon (matters for |lon - 15 * offset| large).
        while noon - guess > dt.timedelta(hours=12):
            noon -= dt.timedelta(days=1)
        while guess - noon > dt.timedelta(hours=12):
            noon += dt.timedelta(days=1)
        guess = noon
    return guess.astimezone(tz)


def sun_direction(
    azimuth_deg: float, elevation_deg: float, grid_convergence_deg: float = 0.0
) -> np.ndarray:
    """Unit vector (x east, y north, z up) pointing FROM the ground TOWARDS the sun.

    Scene axes follow UTM grid north, which differs from true north by the meridian
    convergence (about 1.4 deg at Alatau in zone 43N); pass it (see
    :func:`grid_convergence_deg`) to turn true azimuths into grid ones. Shadows fall
    along the negated vector.
    """
    az = math.radians(azimuth_deg - grid_convergence_deg)
    el = math.radians(elevation_deg)
    return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])


def grid_convergence_deg(lat_deg: float, lon_deg: float, central_meridian_deg: float) -> float:
    """Angle from true north to transverse-Mercator grid north (positive east of the CM).

    Spherical approximation ``atan(tan(dlon) * sin(lat))``, within 0.01 deg inside a
    UTM zone. UTM zone 43N (the scene's EPSG:32643) has its central meridian at 75 E.
    """
    dlon = math.radians(lon_deg - central_meridian_deg)
    return math.degrees(math.atan(math.tan(dlon) * math.sin(math.radians(lat_deg))))
