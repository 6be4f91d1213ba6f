"""A third-party method plugin installed for real: a module and a ``*.dist-info`` folder with an
``entry_points.txt`` in a folder put on ``sys.path``, so that ``importlib.metadata`` finds its
``atdkit.methods`` entry points exactly as it finds an installed wheel's."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from atdkit.weights.spec import WeightsSpec

METHOD_TEMPLATE = '''
class {cls}(Interpolator):
    name = {name!r}
    license = "MIT (test plugin)"
    description = "a third-party test method"
    weights = ({weights})
    options = (Option("gain", float, 1.0, (), "multiplies frame1"),)

    def __init__(self, device="cpu", gain=1.0):
        super().__init__(device)
        self.gain = gain

    def interpolate(self, frame1, frame3, t=0.5, *, context=None):
        return np.clip(frame1.astype(np.float32) / 255.0 * self.gain, 0, 1)
'''


def install_plugin(folder: Path, module: str, methods: dict[str, tuple[str, list[WeightsSpec]]],
                   entry_names: dict[str, str] | None = None) -> Path:
    """Write ``module`` (one Interpolator class per method: name → (class name, weights specs)) and
    its dist-info into ``folder``; ``entry_names`` maps a method name to a different entry-point name.
    The caller puts ``folder`` on sys.path."""
    folder.mkdir(parents=True, exist_ok=True)
    source = ["import numpy as np", "from atdkit.methods.base import Interpolator, Option",
              "from atdkit.weights import WeightsSpec, WheelMember"]
    lines = ["[atdkit.methods]"]
    for name, (cls, specs) in methods.items():
        source.append(METHOD_TEMPLATE.format(cls=cls, name=name, weights="".join(f"{s!r}, " for s in specs)))
        lines.append(f"{(entry_names or {}).get(name, name)} = {module}:{cls}")
    (folder / f"{module}.py").write_text("\n".join(source) + "\n")
    info = folder / f"{module}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    sys.modules.pop(module, None)
    importlib.invalidate_caches()
    return folder
