"""The mining defaults, in one place: :class:`MiningConfig` (stored in ``dataset.json``).

Each field carries its unit and meaning as ``help`` metadata; ``atdkit mine`` reads
both its option defaults and their help text from here (:data:`DEFAULTS`,
:func:`help_text`), so a default changed here changes the library, the CLI and
``atdkit mine --help`` at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from atdkit.errors import BadArgument
from atdkit.mining.sampler import SamplerParams
from atdkit.mining.shots import ShotParams
from atdkit.motion import FLOW_WIDTH

CONFIG_VERSION = 4
SSIM_CHANNELS = ("rgb", "gray")


def _opt(default: Any, help: str, **kw: Any) -> Any:  # noqa: A002 - the CLI's word for it
    return field(default=default, metadata={"help": help}, **kw)


@dataclass(frozen=True)
class MiningConfig:
    """Everything that decides which triplets a film yields (stored in dataset.json)."""

    strides: tuple[int, ...] = _opt((1, 2, 3), "strides g of the triplets (f, f+g, f+2g)")
    ssim_low: float = _opt(0.75, "drop triplets with a pair SSIM below this (0–1)")
    ssim_high: float = _opt(0.95, "drop triplets with a pair SSIM above this (0–1)")
    ssim_size: tuple[int, int] = _opt((960, 540), "SSIM working size WIDTHxHEIGHT, at most (area downscale)")
    ssim_channels: str = _opt("rgb", "SSIM on rgb (skimage channel_axis) or gray")
    min_spacing: int = _opt(6, "min frames between kept triplets of a shot")
    per_shot_cap: int = _opt(10, "max triplets per shot")
    require_balanced: bool = _opt(False, "drop triplets whose halves hold different numbers of drawing changes")
    phash_distance: int = _opt(4, "frame2 pHash bits within which triplets may be near-duplicates (-1 disables "
                                  "the check)")
    repeat_ratio: float = _opt(0.75, "such triplets are near-duplicates when two of their frames are the same "
                                     "pictures: differ by at most this times the triplets' own motion (RMS of "
                                     "64×64 gray thumbnails; ≥ 0)")
    flow_width: int = _opt(FLOW_WIDTH, "DIS working width (px, at most) of the motion statistics")
    mid_tolerance: float = _opt(0.2, "drop triplets whose frame2 lies farther than this from the middle (0.5) "
                                     "between frame1 (0) and frame3 (1), on the cross-fade (0–0.5)")
    mid_max_detour: float = _opt(1.0, "drop triplets whose frame2 differs from both ends more than this times "
                                      "they differ from each other (min MAD 1–2, 2–3 over MAD 1–3)")
    shot: ShotParams = field(default_factory=ShotParams, metadata={"help": "cut and hold detection thresholds"})

    def __post_init__(self) -> None:
        if not self.strides or any(int(g) < 1 for g in self.strides):
            raise BadArgument(f"strides must be positive integers, got {self.strides}")
        if not 0 <= self.ssim_low <= self.ssim_high <= 1:
            raise BadArgument(f"SSIM window [{self.ssim_low}, {self.ssim_high}] must satisfy 0 ≤ low ≤ high ≤ 1")
        if self.ssim_channels not in SSIM_CHANNELS:
            raise BadArgument(f"ssim channels must be rgb or gray, not {self.ssim_channels!r}")
        if self.flow_width < 32:
            raise BadArgument(f"flow width {self.flow_width} too small (min 32 px)")
        if min(self.ssim_size) < 16:
            raise BadArgument(f"ssim size {self.ssim_size} too small")
        if not self.repeat_ratio >= 0:
            raise BadArgument(f"repeat ratio must be ≥ 0, got {self.repeat_ratio}")
        if not 0 <= self.mid_tolerance <= 0.5 or self.mid_max_detour <= 0:
            raise BadArgument(f"middle-frame limits must satisfy 0 ≤ tolerance ≤ 0.5 and detour > 0, got "
                           f"{self.mid_tolerance} and {self.mid_max_detour}")

    def sampler(self) -> SamplerParams:
        return SamplerParams(tuple(sorted(set(self.strides))), self.ssim_low, self.ssim_high, self.min_spacing,
                             self.per_shot_cap, self.require_balanced)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["strides"], d["ssim_size"] = list(self.strides), list(self.ssim_size)
        d["version"] = CONFIG_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MiningConfig:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "shot" in kw:
            kw["shot"] = ShotParams(**kw["shot"])
        for k in ("strides", "ssim_size"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)


DEFAULTS = MiningConfig()


def help_text(name: str) -> str:
    """What field ``name`` means, with its unit (the help of its ``atdkit mine`` option)."""
    return next(f for f in fields(MiningConfig) if f.name == name).metadata["help"]
