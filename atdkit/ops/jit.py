"""How atdkit compiles its CPU kernels: one Numba configuration for every loop written in Python.

``@kernel`` is ``numba.njit`` with:

- ``cache=True``: compiled once per machine and kept beside the module (or in Numba's
  user cache), so worker processes load it instead of compiling;
- ``nogil=True``: threads may run kernels side by side;
- ``boundscheck=False``, ``error_model="numpy"``: no per-element checks, and no
  zero-division branch inside loops (callers keep denominators non-zero), so loops
  vectorise;
- ``fastmath`` reassociation and contraction: sums and dot products vectorise. Their
  summation order is the vectoriser's, fixed for a given machine and build, so the
  same inputs always give the same result there (to within float rounding elsewhere).
"""

from __future__ import annotations

from numba import njit

kernel = njit(nogil=True, cache=True, boundscheck=False, error_model="numpy",
              fastmath={"reassoc", "nsz", "contract"})

# The same without fastmath: every float operation is rounded as written (no reassociation, no fused
# multiply–add), so a kernel reproduces a numpy expression of the same operations bit for bit.
exact_kernel = njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
