"""The weights no method owns: VGG-19 for AnimeInterp's SGM descriptors and the two LPIPS files.
Every other weights file is declared by its method class (see :mod:`atdkit.methods.base`)."""

from __future__ import annotations

from atdkit.weights.spec import WeightsSpec, WheelMember

VGG19 = WeightsSpec(
    name="vgg19",
    filename="vgg19-dcbb9e9d.pth",
    description="torchvision VGG-19 ImageNet weights (features.* used by SGM piece descriptors)",
    license="BSD-3-Clause (torchvision)",
    url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
)

LPIPS_BACKBONE = WeightsSpec(
    name="lpips-alexnet-backbone",
    filename="alexnet-owt-7be5be79.pth",
    description="torchvision AlexNet ImageNet weights (features.* used as the LPIPS backbone)",
    license="BSD-3-Clause (torchvision)",
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
)

LPIPS_LINEAR = WeightsSpec(
    name="lpips-alex-lin-v0.1",
    filename="lpips_alex_v0.1.pth",
    description="LPIPS v0.1 linear layers for AlexNet (lin0..lin4), from the lpips 0.1.4 wheel "
                "(same file as github.com/richzhang/PerceptualSimilarity lpips/weights/v0.1/alex.pth)",
    license="BSD-2-Clause (richzhang/PerceptualSimilarity)",
    wheel=WheelMember("lpips", "0.1.4", "lpips/weights/v0.1/alex.pth"),
    sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
)

CORE: tuple[WeightsSpec, ...] = (VGG19, LPIPS_BACKBONE, LPIPS_LINEAR)
