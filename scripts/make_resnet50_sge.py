"""Exports the ResNet-50 variants that bench/sge.bench.ts compares, with torch.onnx (Debian's torch).

Usage: /usr/bin/python3 scripts/make_resnet50_sge.py OUT_DIR [--opset 13]

Writes into OUT_DIR:
  resnet50_sge_torch.onnx    SGE-ResNet-50: SGE(64) after bn3 of every Bottleneck, before the residual add
  resnet50_sge_params.json   its SGE parameters, keyed by the plain model's Conv node names
                             (/layerL/layerL.i/conv3/Conv), the format `sge-inject --params` reads
  resnet50_gate_only.onnx    every bn3 output multiplied by its own spatial mean (x * mean(x)): the
                             cheapest conceivable per-block gate, a floor for any SGE form

The backbone is built exactly as scripts/make_torchvision.py builds the plain model (seed 0, then the
torchvision constructor), so its weights equal those of bench/out/resnet50.onnx; the SGE parameters are
drawn afterwards from a separate generator.
"""
import json
import sys

import torch
import torchvision
from torch import nn


class SpatialGroupEnhance(nn.Module):
    """SGE written from the operation sequence in shared/docs/sge-reference.md."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))
        self.sig = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.size()
        x = x.view(b * self.groups, -1, h, w)
        xn = (x * self.avg_pool(x)).sum(dim=1, keepdim=True)
        t = xn.view(b * self.groups, -1)
        t = t - t.mean(dim=1, keepdim=True)
        std = t.std(dim=1, keepdim=True) + 1e-5
        t = t / std
        t = t.view(b, self.groups, h, w)
        t = t * self.weight + self.bias
        t = t.view(b * self.groups, 1, h, w)
        x = x * self.sig(t)
        return x.view(b, c, h, w)


class GateOnly(nn.Module):
    """x * mean(x) over space: one reduction and one full-tensor Mul."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * x.mean(dim=(2, 3), keepdim=True)


def backbone() -> nn.Module:
    torch.manual_seed(0)  # as scripts/make_torchvision.py
    return torchvision.models.resnet50(weights=None).eval()


def bottlenecks(model: nn.Module):
    for li in range(1, 5):
        for i, block in enumerate(getattr(model, f"layer{li}")):
            yield f"/layer{li}/layer{li}.{i}/conv3/Conv", block


def export(model: nn.Module, path: str, opset: int) -> None:
    dummy = torch.randn(1, 3, 224, 224)
    torch.onnx.export(
        model, dummy, path, opset_version=opset, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
    )


def main(out_dir: str, opset: int, groups: int = 64) -> None:
    model = backbone()
    gen = torch.Generator().manual_seed(1)
    params = {}
    for site, block in bottlenecks(model):
        sge = SpatialGroupEnhance(groups)
        with torch.no_grad():
            sge.weight.copy_(torch.randn(1, groups, 1, 1, generator=gen))
            sge.bias.copy_(torch.randn(1, groups, 1, 1, generator=gen))
        params[site] = {"weight": sge.weight.flatten().tolist(), "bias": sge.bias.flatten().tolist()}
        block.bn3 = nn.Sequential(block.bn3, sge)
    export(model.eval(), f"{out_dir}/resnet50_sge_torch.onnx", opset)
    with open(f"{out_dir}/resnet50_sge_params.json", "w") as f:
        json.dump({"groups": groups, "params": params}, f)

    model = backbone()
    for _, block in bottlenecks(model):
        block.bn3 = nn.Sequential(block.bn3, GateOnly())
    export(model.eval(), f"{out_dir}/resnet50_gate_only.onnx", opset)


if __name__ == "__main__":
    args = sys.argv[1:]
    op = 13
    if "--opset" in args:
        k = args.index("--opset")
        op = int(args[k + 1])
        del args[k:k + 2]
    main(args[0], op)
