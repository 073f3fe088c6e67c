"""Exports a torchvision network with seeded random weights to ONNX (opset 13, dynamic batch).

Usage: /usr/bin/python3 scripts/make_torchvision.py NAME OUTPUT.onnx
  NAME: resnet50 (bench/io.bench.ts, bench/sge.bench.ts) or mobilenet_v3_small (bench/sge.bench.ts)
Needs Debian's python3-torch and python3-torchvision (the python3 first on PATH may not see them).
"""
import sys

import torch
import torchvision


def build(name: str) -> torch.nn.Module:
    torch.manual_seed(0)  # scripts/make_resnet50_sge.py builds the same ResNet-50 this way
    return getattr(torchvision.models, name)(weights=None).eval()


def main(name: str, out: str) -> None:
    model = build(name)
    dummy = torch.randn(1, 3, 224, 224)
    torch.onnx.export(
        model, dummy, out, opset_version=13, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
