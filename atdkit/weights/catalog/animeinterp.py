"""AnimeInterp (Li Siyao et al., CVPR 2021) and the VGG-19 its SGM step uses."""

from atdkit.weights.registry import WeightsSpec, register

register(WeightsSpec(
    name="animeinterp-full",
    filename="anime_interp_full.ckpt",
    description="AnimeInterp full model (RFR + feature extractor + GridNet), official release",
    license="MIT (lisiyao21/AnimeInterp)",
    url="https://www.dropbox.com/s/oc8juclx1775qib/anime_interp_full.ckpt?dl=1",
))

register(WeightsSpec(
    name="vgg19",
    filename="vgg19-dcbb9e9d.pth",
    description="torchvision VGG-19 ImageNet weights (features.* used by SGM piece descriptors)",
    license="BSD-3-Clause (torchvision)",
    url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
))
