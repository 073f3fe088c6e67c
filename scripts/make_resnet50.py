"""Exports torchvision's ResNet-50 with seeded random weights to ONNX (opset 13) for bench/io.bench.ts.

Usage: /usr/bin/python3 scripts/make_resnet50.py OUTPUT.onnx
Needs Debian's python3-torch and python3-torchvision (the python3 first on PATH may not see them).
"""
import sys

import torch
import torchvision


def main(out: str) -> None:
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    dummy = torch.randn(1, 3, 224, 224)
    torch.onnx.export(
        model, dummy, out, opset_version=13, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
