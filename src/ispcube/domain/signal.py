"""Radio link levels: the strings radios print, turned into numbers, and how good each number is.

RouterOS prints `signal-strength=-74dBm@6Mbps`, `uptime=2w6d13:21:53` (RouterOS 6) or
`2w6d13h21m53s` (RouterOS 7), `tx-rate=866.7Mbps-80MHz/2S/SGI`; airOS 6 gives CCQ in tenths
of a percent (991 = 99.1 %). Every level falls in a green, amber or red band.
"""

from dataclasses import dataclass
import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

_SIGNAL = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:dBm)?\s*(?:@\s*(\S+))?\s*$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kMG])bps", re.IGNORECASE)
_UNIT_UPTIME = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_CLOCK_UPTIME = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(\d+):(\d\d):(\d\d)$")
_RATE_SCALE = {"k": 0.001, "m": 1.0, "g": 1000.0}


def parse_signal(text: str) -> tuple[float, str | None]:
    """`-74dBm@6Mbps` -> (-74.0, '6Mbps'); `-74` (RouterOS 7) -> (-74.0, None)."""
    match = _SIGNAL.match(str(text))
    if not match:
        raise Invalid(f"signal {quoted(text)} is not a level in dBm such as -74dBm@6Mbps")
    return float(match.group(1)), match.group(2)


def parse_rate(text: str) -> float:
    """`54Mbps`, `866.7Mbps-80MHz/2S/SGI`, `1Gbps` -> megabits per second."""
    match = _RATE.match(str(text))
    if not match:
        raise Invalid(f"rate {quoted(text)} is not a rate such as 54Mbps")
    return float(match.group(1)) * _RATE_SCALE[match.group(2).lower()]


def parse_uptime(text: str) -> int:
    """`2w6d13:21:53`, `2w6d13h21m53s`, `45s` or bare seconds -> seconds."""
    cleaned = str(text).strip()
    if cleaned.isdigit():
        return int(cleaned)
    clock = _CLOCK_UPTIME.match(cleaned)
    if clock:
        weeks, days, hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        if minutes > 59 or seconds > 59:
            raise Invalid(f"uptime {quoted(text)} has minutes or seconds above 59")
    else:
        units = _UNIT_UPTIME.match(cleaned) if cleaned else None
        if not units or not any(units.groups()):
            raise Invalid(f"uptime {quoted(text)} is not a RouterOS duration such as 2w6d13:21:53")
        weeks, days, hours, minutes, seconds, _ms = (int(part or 0) for part in units.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def format_uptime(seconds: int | float) -> str:
    """20 days, 13:21:53 reads better than 1776113 seconds."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days:
        return f"{days} day{'s' if days != 1 else ''}, {clock}"
    return clock


def ccq_from_tenths(value: int | float) -> float:
    """airOS 6 reports CCQ in tenths of a percent: 991 is 99.1 %."""
    return round(float(value) / 10, 1)


def percent(value: int | float | str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{quoted(value)} is not a percentage") from None
    if not 0 <= number <= 100:
        raise Invalid(f"{quoted(value)} is not a percentage between 0 and 100")
    return number


@dataclass(frozen=True)
class Scale:
    """Where a metric turns amber and red, and the span a chart draws it on."""
    label: str
    unit: str
    green_from: float        # at or beyond this the level is green
    amber_from: float        # at or beyond this (and not green) it is amber; red otherwise
    low: float
    high: float
    higher_is_better: bool = True

    def band(self, value: float) -> str:
        better = (lambda a, b: a >= b) if self.higher_is_better else (lambda a, b: a <= b)
        if better(value, self.green_from):
            return "green"
        if better(value, self.amber_from):
            return "amber"
        return "red"


# Thresholds technicians use on 5 GHz links: -65 dBm or better is a good signal, below -75 a
# link that drops under rain or load; noise floors above -80 dBm mean interference.
SCALES: dict[str, Scale] = {
    "signal": Scale("Signal", "dBm", -65, -75, -95, -30),
    "noise": Scale("Noise floor", "dBm", -90, -80, -110, -60, higher_is_better=False),
    "snr": Scale("Signal to noise", "dB", 30, 20, 0, 60),
    "ccq": Scale("CCQ", "%", 80, 60, 0, 100),
    "tx_ccq": Scale("TX CCQ", "%", 80, 60, 0, 100),
    "rx_ccq": Scale("RX CCQ", "%", 80, 60, 0, 100),
    "airmax_quality": Scale("airMAX quality", "%", 80, 60, 0, 100),
    "airmax_capacity": Scale("airMAX capacity", "%", 70, 50, 0, 100),
}


@dataclass(frozen=True)
class Level:
    metric: str
    value: float

    @property
    def scale(self) -> Scale:
        return SCALES[self.metric]

    @property
    def band(self) -> str:
        return self.scale.band(self.value)

    def shown(self) -> str:
        number = f"{self.value:g}"
        return f"{number} {self.scale.unit}"


def levels(values: dict[str, float | None]) -> list[Level]:
    """The metrics a device reported, in the order of SCALES; missing ones are left out."""
    return [Level(metric, float(value)) for metric in SCALES
            if (value := values.get(metric)) is not None]
