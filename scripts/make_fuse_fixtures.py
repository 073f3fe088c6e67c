#!/usr/bin/python3
"""Writes fixtures/fuse/: PyTorch exports of SGE blocks for the `fuse` command (issue "fuse exported SGE").

What it writes, all under fixtures/fuse/ (emptied first, but for the hand-written README.md):
  - <stem>.onnx: small CNNs with 3 SGE sites, exported by torch.onnx.export from modules whose forward() is
    written as each source writes it (implus/PytorchInsight, External-Attention-pytorch, the FishViT YOLO
    fork), from two re-writings that compute the same thing, and from near misses that must NOT be fused;
    across opsets 11/13/17, dynamic and static batch, constant folding on and off. More models are made by
    editing exports with the onnx Python API: constants as Constant nodes, as initializers, deduplicated and
    shared under misleading names, node names cleared, and opsets 18 and 21 (Reduce ops take axes as input).
  - plain_<net>_<opset>_<batch>_<fold>.onnx: the same networks with every SGE replaced by identity (same
    weights, same scoped node names), for checking strip(fuse(m)) against them.
  - <stem>/test_data_set_<k>/input_0.pb, output_0.pb: ONNX-zoo test data (TensorProto, float32, raw_data),
    the output computed by PyTorch from the module itself: batch 2 (and batch 1 as set 1 for dynamic models).
  - manifest.json: every model with its blocks (site, X and Y tensor names, C, G, spatial, weight, bias,
    expected verdict and reason), read by the fuse tests.

Run it with Debian's interpreter (torch 1.13, onnx 1.12, numpy), from anywhere:

    /usr/bin/python3 scripts/make_fuse_fixtures.py

Everything is seeded: running it twice writes byte-identical files. It asserts as it goes (and stops at the
first failure): every SGE block's output matches its float64 numpy formula within rtol 1e-4 / atol 1e-5 (for
real SGE, docs/sge-reference.md); every real implementation's network output matches the same network with
PytorchInsight's module, and every near-miss network's does not; the plain export keeps the SGE export's
scoped node names; onnx.checker accepts every model up to opset 17 (onnx 1.12 knows no later opset). Running
the models in onnxruntime is for the Node side (onnxruntime-node): Debian's Python has no onnxruntime.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'fixtures' / 'fuse'

EPS = 1e-5
RTOL, ATOL = 1e-4, 1e-5


# ---------------------------------------------------------------------------------------------------------
# SGE as each source writes it. Parameters are (1, G, 1, 1) as in every source; their init is overwritten
# with seeded random values below (the paper's weight 0 would hide a biased std).
# ---------------------------------------------------------------------------------------------------------


class PytorchInsightSGE(nn.Module):
    """implus/PytorchInsight classification/models/imagenet/resnet_sge.py, SpatialGroupEnhance."""

    def __init__(self, groups=64):
        super().__init__()
        self.groups = groups
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))
        self.sig = nn.Sigmoid()

    def forward(self, x):
        b, c, h, w = x.size()
        x = x.view(b * self.groups, -1, h, w)
        xn = x * self.avg_pool(x)
        xn = xn.sum(dim=1, keepdim=True)
        t = xn.view(b * self.groups, -1)
        t = t - t.mean(dim=1, keepdim=True)
        std = t.std(dim=1, keepdim=True) + 1e-5
        t = t / std
        t = t.view(b, self.groups, h, w)
        t = t * self.weight + self.bias
        t = t.view(b * self.groups, 1, h, w)
        x = x * self.sig(t)
        x = x.view(b, c, h, w)
        return x


class ExternalAttentionSGE(nn.Module):
    """xmu-xiaoma666/External-Attention-pytorch model/attention/SGE.py: same steps, `x.shape`, bias init 0."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.sig = nn.Sigmoid()

    def forward(self, x):
        b, c, h, w = x.shape
        x = x.view(b * self.groups, -1, h, w)  # bs*g,dim//g,h,w
        xn = x * self.avg_pool(x)  # bs*g,dim//g,h,w
        xn = xn.sum(dim=1, keepdim=True)  # bs*g,1,h,w
        t = xn.view(b * self.groups, -1)  # bs*g,h*w

        t = t - t.mean(dim=1, keepdim=True)  # bs*g,h*w
        std = t.std(dim=1, keepdim=True) + 1e-5
        t = t / std  # bs*g,h*w
        t = t.view(b, self.groups, h, w)  # bs,g,h*w

        t = t * self.weight + self.bias  # bs,g,h*w
        t = t.view(b * self.groups, 1, h, w)  # bs*g,1,h*w
        x = x * self.sig(t)
        x = x.view(b, c, h, w)
        return x


class FishViTSGE(ExternalAttentionSGE):
    """vision4robotics/FishViT ultralytics/nn/extra_modules/attention.py, SpatialGroupEnhance.

    Its forward() is External-Attention's token for token (only the default groups=8 differs), so it is not
    written twice; what differs is where it sits: its own layer after an ultralytics Conv (see NetY).
    """

    def __init__(self, groups=8):
        super().__init__(groups)


class MeanVarSGE(nn.Module):
    """A re-writing: ReduceMean for the channel means, sqrt(var) for the std, torch.sigmoid, reshape."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))

    def forward(self, x):
        b, c, h, w = x.size()
        x = x.reshape(b * self.groups, -1, h, w)
        xn = (x * x.mean((2, 3), keepdim=True)).sum(1, keepdim=True)
        t = xn.reshape(b * self.groups, -1)
        t = t - t.mean(1, keepdim=True)
        std = torch.sqrt(t.var(dim=1, keepdim=True, unbiased=True)) + 1e-5
        t = t / std
        t = t.reshape(b, self.groups, h, w) * self.weight + self.bias
        t = t.reshape(b * self.groups, 1, h, w)
        x = x * torch.sigmoid(t)
        return x.reshape(b, c, h, w)


class BmmFlattenSGE(nn.Module):
    """A re-writing on flattened maps: similarity by bmm, a 4-D gate multiply, parameters viewed (1, G, 1)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))

    def forward(self, x):
        b, c, h, w = x.shape
        g = self.groups
        xg = x.flatten(2).reshape(b * g, c // g, h * w)  # (b·G, K, S)
        m = xg.mean(dim=2, keepdim=True)  # (b·G, K, 1)
        t = torch.bmm(m.transpose(1, 2), xg).flatten(1)  # (b·G, S)
        t = t - t.mean(dim=1, keepdim=True)
        t = t / (t.std(dim=1, keepdim=True) + 1e-5)
        t = t.view(b, g, h * w) * self.weight.view(1, g, 1) + self.bias.view(1, g, 1)
        y = xg.view(b, g, c // g, h * w) * torch.sigmoid(t).unsqueeze(2)
        return y.view(b, c, h, w)


# Near misses: PytorchInsight's forward() with one change each. They look like SGE and are not SGE.
NEAR_MISSES = {
    'biased_std': 'biased std: divides by S, not S-1 (std unbiased=False)',
    'eps_inside': 'eps inside the square root: sqrt(var + 1e-5), not sqrt(var) + 1e-5',
    'no_eps': 'no eps: t / std',
    'tanh': 'tanh gate instead of sigmoid',
    'eps_1e-3': 'eps 1e-3 instead of 1e-5',
}


class NearMissSGE(nn.Module):
    """PytorchInsight's SpatialGroupEnhance with the one change named by `kind` (a key of NEAR_MISSES)."""

    def __init__(self, groups, kind):
        super().__init__()
        assert kind in NEAR_MISSES
        self.kind = kind
        self.groups = groups
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))
        self.sig = nn.Sigmoid()

    def forward(self, x):
        b, c, h, w = x.size()
        x = x.view(b * self.groups, -1, h, w)
        xn = x * self.avg_pool(x)
        xn = xn.sum(dim=1, keepdim=True)
        t = xn.view(b * self.groups, -1)
        t = t - t.mean(dim=1, keepdim=True)
        if self.kind == 'biased_std':
            t = t / (t.std(dim=1, keepdim=True, unbiased=False) + 1e-5)
        elif self.kind == 'eps_inside':
            t = t / torch.sqrt(t.var(dim=1, keepdim=True) + 1e-5)
        elif self.kind == 'no_eps':
            t = t / t.std(dim=1, keepdim=True)
        elif self.kind == 'eps_1e-3':
            t = t / (t.std(dim=1, keepdim=True) + 1e-3)
        else:
            t = t / (t.std(dim=1, keepdim=True) + 1e-5)
        t = t.view(b, self.groups, h, w)
        t = t * self.weight + self.bias
        t = t.view(b * self.groups, 1, h, w)
        gate = torch.tanh(t) if self.kind == 'tanh' else self.sig(t)
        x = x * gate
        x = x.view(b, c, h, w)
        return x


IMPLS = {
    'pytorchinsight': PytorchInsightSGE,
    'external_attention': ExternalAttentionSGE,
    'yolo_fishvit': FishViTSGE,
    'variant_mean_var': MeanVarSGE,
    'variant_bmm_flatten': BmmFlattenSGE,
}


def sge_reference64(x, weight, bias, groups, kind=None):
    """docs/sge-reference.md in float64 numpy; `kind` applies a near miss's change instead."""
    x = np.asarray(x, dtype=np.float64)
    n, c, h, w = x.shape
    s = h * w
    xg = x.reshape(n, groups, c // groups, s)
    t = (xg * xg.mean(axis=3, keepdims=True)).sum(axis=2)  # (n, G, S)
    t = t - t.mean(axis=2, keepdims=True)
    ss = (t * t).sum(axis=2, keepdims=True)
    if kind == 'biased_std':
        den = np.sqrt(ss / s) + EPS
    elif kind == 'eps_inside':
        den = np.sqrt(ss / (s - 1) + EPS)
    elif kind == 'no_eps':
        den = np.sqrt(ss / (s - 1))
    elif kind == 'eps_1e-3':
        den = np.sqrt(ss / (s - 1)) + 1e-3
    else:
        den = np.sqrt(ss / (s - 1)) + EPS
    a = t / den * np.asarray(weight, np.float64).reshape(1, groups, 1)
    a = a + np.asarray(bias, np.float64).reshape(1, groups, 1)
    gate = np.tanh(a) if kind == 'tanh' else 1.0 / (1.0 + np.exp(-a))
    return (xg * gate[:, :, None, :]).reshape(n, c, h, w)


def similarity_std64(x, groups):
    """The unbiased std of t per (sample, group), float64: how close a site is to eps."""
    x = np.asarray(x, dtype=np.float64)
    n, c, h, w = x.shape
    xg = x.reshape(n, groups, c // groups, h * w)
    t = (xg * xg.mean(axis=3, keepdims=True)).sum(axis=2)
    return t.std(axis=2, ddof=1)


# ---------------------------------------------------------------------------------------------------------
# Networks. A plain counterpart swaps each SGE module for nn.Identity under the same name, so every other
# module, and so every scoped node name of the export, stays the same.
# ---------------------------------------------------------------------------------------------------------


class NetA(nn.Module):
    """ResNet-like: 3 sites, C16/G4 at 12×10 (residual), C32/G8 at 6×5 (low amplitude), C64/G16 at 3×3.

    Input (N, 3, 24, 20); head: global pool, view(N, -1), Linear -> (N, 10).
    """

    input_hw = (24, 20)
    # Site 2 sees a low-amplitude input: bn2's scale and shift are multiplied by `scale` (so X is `scale` times
    # an ordinary activation, and the similarity t, quadratic in X, `scale`² times) and conv3 by 1 / `scale`.
    # The value puts t's std on both sides of eps = 1e-5 at the test input (about 3e-6 to 3e-5), where a biased
    # std, eps inside the root, no eps, tanh and eps 1e-3 all move the block's output beyond float32 tolerance.
    low_amp = {'bn': 'bn2', 'next_conv': 'conv3', 'scale': 2e-3}

    def __init__(self, make_sge, names=('sge1', 'sge2', 'sge3')):
        super().__init__()
        # The SGE modules' attribute names vary by source (they become the blocks' node-name scopes).
        self.sites = [(names[0], 16, 4), (names[1], 32, 8), (names[2], 64, 16)]
        self.stem = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 16, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        setattr(self, names[0], make_sge(16, 4))
        self.conv2 = nn.Conv2d(16, 32, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        setattr(self, names[1], make_sge(32, 8))
        self.conv3 = nn.Conv2d(32, 64, 1, 2, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        setattr(self, names[2], make_sge(64, 16))
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        sge1, sge2, sge3 = (getattr(self, name) for name, _, _ in self.sites)
        x = self.relu(self.stem_bn(self.stem(x)))
        x = self.relu(sge1(self.bn1(self.conv1(x))) + x)
        x = self.relu(sge2(self.bn2(self.conv2(x))))
        x = self.relu(sge3(self.bn3(self.conv3(x))))
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class YoloConv(nn.Module):
    """Ultralytics' Conv: Conv2d (no bias) + BatchNorm2d + SiLU."""

    def __init__(self, c1, c2, k=1, s=1, p=0):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class YoloClassify(nn.Module):
    """Ultralytics' Classify head without its 1×1 conv: pool, flatten(1), Linear."""

    def __init__(self, c1, c2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(c1, c2)

    def forward(self, x):
        return self.linear(self.pool(x).flatten(1))


class NetY(nn.Module):
    """YOLO-style: model.N layers, SGE as its own layer after a Conv-BN-SiLU (SiLU exports as Sigmoid + Mul).

    Sites: C16/G4 at 8×8, C32/G8 at 4×4 (low amplitude), C64/G16 at 4×3. Input (N, 3, 16, 16).
    """

    input_hw = (16, 16)
    # As NetA's site 2; SiLU halves small inputs and K differs, hence another scale for the same std range.
    low_amp = {'bn': 'model.2.bn', 'next_conv': 'model.4.conv', 'scale': 6e-3}

    def __init__(self, make_sge, names=None):
        super().__init__()
        self.sites = [('model.1', 16, 4), ('model.3', 32, 8), ('model.5', 64, 16)]
        self.model = nn.Sequential(
            YoloConv(3, 16, 3, 2, 1),
            make_sge(16, 4),
            YoloConv(16, 32, 3, 2, 1),
            make_sge(32, 8),
            YoloConv(32, 64, (1, 2), 1, 0),
            make_sge(64, 16),
            YoloClassify(64, 10),
        )

    def forward(self, x):
        # Layer by layer, as ultralytics' _predict_once does, so node names read /model.N/... as in its exports.
        for layer in self.model:
            x = layer(x)
        return x


NETS = {'netA': NetA, 'netY': NetY}


def generator(*key):
    """A torch.Generator seeded from a name, so every tensor is independent of generation order."""
    return torch.Generator().manual_seed(zlib.crc32('/'.join(map(str, key)).encode()))


def init_network(net, net_name):
    """Seeded weights for everything but the SGE parameters; then the low-amplitude scaling at site 2."""
    with torch.no_grad():
        for name, mod in sorted(net.named_modules()):
            g = generator(net_name, name)
            if isinstance(mod, nn.Conv2d):
                fan_in = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
            elif isinstance(mod, nn.BatchNorm2d):
                c = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(c, generator=g))
                mod.bias.copy_(0.2 * torch.randn(c, generator=g))
                mod.running_mean.copy_(0.2 * torch.randn(c, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(c, generator=g))
            elif isinstance(mod, nn.Linear):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) / mod.in_features**0.5)
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
        modules = dict(net.named_modules())
        low = type(net).low_amp
        bn = modules[low['bn']]
        bn.weight.mul_(low['scale'])
        bn.bias.mul_(low['scale'])
        modules[low['next_conv']].weight.div_(low['scale'])


def sge_params(net_name, index, groups):
    """Seeded weight and bias in [-3, 3] for site `index` (not the paper's init: weight 0 hides a biased std)."""
    g = generator(net_name, index, 'sge-params')
    weight = (torch.rand(groups, generator=g) * 6 - 3).to(torch.float32)
    bias = (torch.rand(groups, generator=g) * 6 - 3).to(torch.float32)
    return weight, bias


# Attribute names of the SGE modules where they differ from sge1..3 (External-Attention users name them freely).
SITE_NAMES = {'external_attention': ('attention1', 'attention2', 'attention3')}


def build(net_name, site_impl, names=None):
    """Network `net_name` with `site_impl(site_index)` -> impl key / ('nearmiss', kind) / None (plain)."""
    counter = iter(range(3))

    def make_sge(channels, groups):
        spec = site_impl(next(counter))
        if spec is None:
            return nn.Identity()
        if isinstance(spec, tuple):
            return NearMissSGE(groups, spec[1])
        return IMPLS[spec](groups)

    net = NETS[net_name](make_sge, names) if names else NETS[net_name](make_sge)
    init_network(net, net_name)
    modules = dict(net.named_modules())
    with torch.no_grad():
        for index, (site, _, groups) in enumerate(net.sites):
            mod = modules[site]
            if not isinstance(mod, nn.Identity):
                weight, bias = sge_params(net_name, index, groups)
                mod.weight.copy_(weight.view(1, groups, 1, 1))
                mod.bias.copy_(bias.view(1, groups, 1, 1))
    return net.eval()


def net_input(net_name, batch):
    """The test input: batch 2 seeded; batch 1 is its first sample."""
    h, w = NETS[net_name].input_hw
    x = torch.randn((2, 3, h, w), generator=generator(net_name, 'input'))
    return x[:batch].contiguous()


# ---------------------------------------------------------------------------------------------------------
# Export, and the ONNX-level facts the manifest needs.
# ---------------------------------------------------------------------------------------------------------


def export(net, net_name, opset, batch, fold):
    """torch.onnx.export to a ModelProto; batch 'dynamic' exports at batch 2 with a symbolic batch axis."""
    x = net_input(net_name, 2 if batch == 'dynamic' else batch)
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(
            net,
            x,
            f,
            opset_version=opset,
            input_names=['input'],
            output_names=['logits'],
            dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}} if batch == 'dynamic' else None,
            do_constant_folding=fold,
        )
    return onnx.load_from_string(f.getvalue())


def constant_value(model, name):
    """The value of an initializer or Constant-node output called `name`, or None."""
    for init in model.graph.initializer:
        if init.name == name:
            return onnx.numpy_helper.to_array(init)
    for node in model.graph.node:
        if node.op_type == 'Constant' and node.output[0] == name:
            return onnx.numpy_helper.to_array(node.attribute[0].t)
    return None


def block_facts(model, scope):
    """X, Y, the site name and the exclusive node count of the block whose nodes are named `scope`*."""
    nodes = list(model.graph.node)  # indices, not ids: protobuf hands out new wrappers on every access
    producer = {o: k for k, n in enumerate(nodes) for o in n.output}
    consumers = {}
    for k, n in enumerate(nodes):
        for i in n.input:
            consumers.setdefault(i, []).append(k)
    block = {k for k, n in enumerate(nodes) if n.name.startswith(scope) and n.op_type != 'Constant'}
    # Constant nodes, whatever their name (torch's unscoped Constant_N too), that only this block reads. Torch
    # itself shares some between blocks and the head when folding is off (one [0] for every Unsqueeze).
    for k, n in enumerate(nodes):
        users = consumers.get(n.output[0], [])
        if n.op_type == 'Constant' and users and all(u in block for u in users):
            block.add(k)
    inits = {i.name for i in model.graph.initializer}
    shared = sorted(
        {
            i
            for k in block
            for i in nodes[k].input
            if (i in inits or (i in producer and nodes[producer[i]].op_type == 'Constant'))
            and any(u not in block for u in consumers[i])
        }
    )
    xs = set()
    for k in block:
        for i in nodes[k].input:
            p = producer.get(i)
            if i and i not in inits and (p is None or (p not in block and nodes[p].op_type != 'Constant')):
                xs.add(i)
    outs = {o.name for o in model.graph.output}
    ys = {
        o for k in block for o in nodes[k].output if o in outs or any(u not in block for u in consumers.get(o, []))
    }
    assert len(xs) == 1 and len(ys) == 1, (scope, xs, ys)
    x, y = xs.pop(), ys.pop()
    site_node = nodes[producer[x]]
    return {
        'site': site_node.name or site_node.output[0],
        'siteOp': site_node.op_type,
        'x': x,
        'y': y,
        'blockNodes': len(block),
        'sharedConstants': shared,
    }


def nodes_outside_blocks(model, scopes):
    """Nodes that stay when every block named by `scopes` is gone: not a block's, nor a Constant only they read.

    A fuse of every block should leave this many nodes plus one per site (torch shares some Constants between
    blocks only, e.g. ReduceSum's axes, which no single block owns).
    """
    nodes = list(model.graph.node)
    inside = {k for k, n in enumerate(nodes) if n.op_type != 'Constant' and n.name.startswith(tuple(scopes))}
    consumers = {}
    for k, n in enumerate(nodes):
        for i in n.input:
            consumers.setdefault(i, []).append(k)
    for k, n in enumerate(nodes):
        users = consumers.get(n.output[0], [])
        if n.op_type == 'Constant' and users and all(u in inside for u in users):
            inside.add(k)
    return len(nodes) - len(inside)


def find_param(model, values):
    """Names of initializers / Constant outputs whose flattened value equals `values` (float32)."""
    target = np.asarray(values, np.float32)
    found = []
    for init in model.graph.initializer:
        a = onnx.numpy_helper.to_array(init)
        if a.dtype == np.float32 and a.size == target.size and np.array_equal(a.ravel(), target):
            found.append(init.name)
    for node in model.graph.node:
        if node.op_type == 'Constant' and node.attribute[0].name == 'value':
            a = onnx.numpy_helper.to_array(node.attribute[0].t)
            if a.dtype == np.float32 and a.size == target.size and np.array_equal(a.ravel(), target):
                found.append(node.output[0])
    return found


# ---------------------------------------------------------------------------------------------------------
# Edits with the onnx API: where constants live, and opsets 18+.
# ---------------------------------------------------------------------------------------------------------


def initializers_to_constants(model):
    """Every initializer becomes an unnamed Constant node at the head of the graph (same tensor name)."""
    m = copy.deepcopy(model)
    nodes = [onnx.helper.make_node('Constant', [], [i.name], value=i) for i in m.graph.initializer]
    for node in nodes:
        node.attribute[0].t.ClearField('name')
    del m.graph.initializer[:]
    old = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(nodes + old)
    return m


def constants_to_initializers(model):
    """Every Constant node with a tensor value becomes an initializer named after its output."""
    m = copy.deepcopy(model)
    keep = []
    for node in m.graph.node:
        if node.op_type == 'Constant' and len(node.attribute) == 1 and node.attribute[0].name == 'value':
            t = onnx.TensorProto()
            t.CopyFrom(node.attribute[0].t)
            t.name = node.output[0]
            m.graph.initializer.append(t)
        else:
            keep.append(node)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    return m


# Misleading names for shared constants, by value: what a reader of the graph would take them for.
MISLEADING = {
    ('float32', (), float(np.float32(1e-5))): 'stem_bn.eps',
    ('float32', (), 1.0): 'stem_bn.momentum_scale',
    ('int64', (1,), (-1,)): 'fc.flatten_shape',
    ('int64', (1,), (0,)): 'fc.batch_axis',
    ('int64', (1,), (1,)): 'pool.channel_axis',
    ('int64', (), 0): 'stem.batch_index',
    ('int64', (), 1): 'fc.in_features_dim',
    ('int64', (), 2): 'pool.output_h_dim',
    ('int64', (), 3): 'pool.output_w_dim',
}


def share_constants(model, as_nodes):
    """Deduplicates equal constants across the whole graph (blocks and the rest of the network).

    Every constant then read by more than one node is renamed misleadingly (MISLEADING, else
    'shared_const_<k>') and kept as one initializer or, with `as_nodes`, as one Constant node.
    """
    m = constants_to_initializers(model)
    g = m.graph
    first = {}  # value -> the name that stays
    merge = {}
    kept = []
    for init in g.initializer:
        key = (init.data_type, tuple(init.dims), onnx.numpy_helper.to_array(init).tobytes())
        if key in first:
            merge[init.name] = first[key]
        else:
            first[key] = init.name
            kept.append(init)
    users = {}
    for node in g.node:
        for i, name in enumerate(node.input):
            node.input[i] = merge.get(name, name)
            users[node.input[i]] = users.get(node.input[i], 0) + 1
    rename = {}
    k = 0
    for init in kept:
        if users.get(init.name, 0) < 2:
            continue
        a = onnx.numpy_helper.to_array(init)
        label = (str(a.dtype), a.shape, a.item() if a.shape == () else tuple(a.tolist()))
        new = MISLEADING.get(label)
        if new is None:
            new = f'shared_const_{k}'
            k += 1
        rename[init.name] = new
    assert len(set(rename.values())) == len(rename), 'misleading names must stay unique'
    for init in kept:
        init.name = rename.get(init.name, init.name)
    for node in g.node:
        for i, name in enumerate(node.input):
            node.input[i] = rename.get(name, name)
    consts = []
    if as_nodes:
        for init in [i for i in kept if i.name in rename.values()]:
            t = onnx.TensorProto()
            t.CopyFrom(init)
            t.ClearField('name')
            consts.append(onnx.helper.make_node('Constant', [], [init.name], name=init.name, value=t))
            kept.remove(init)
    del g.initializer[:]
    g.initializer.extend(kept)
    old = list(g.node)
    del g.node[:]
    g.node.extend(consts + old)
    return m, sorted(rename.values())


REDUCE_AXES_AS_INPUT_AT_18 = {
    'ReduceMean',
    'ReduceProd',
    'ReduceMax',
    'ReduceMin',
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceSumSquare',
}


def to_opset(model, opset):
    """An opset-17 export rewritten for opset `opset` (18+): every Reduce op's `axes` becomes an input.

    Nothing else the exports use changed meaning between 17 and 21 (Reshape, Shape, Cast, Constant, Flatten,
    Unsqueeze only gained types). IR version: 8 for opset 18, 10 for opsets 21+ (what onnx requires).
    """
    m = copy.deepcopy(model)
    assert [o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')] == [17]
    nodes = []
    for node in m.graph.node:
        if node.op_type in REDUCE_AXES_AS_INPUT_AT_18:
            axes = [a for a in node.attribute if a.name == 'axes']
            if axes:
                values = list(axes[0].ints)
                node.attribute.remove(axes[0])
                name = f'{node.name or node.output[0]}/axes'
                nodes.append(
                    onnx.helper.make_node(
                        'Constant',
                        [],
                        [name],
                        name=name,
                        value=onnx.helper.make_tensor('', onnx.TensorProto.INT64, [len(values)], values),
                    )
                )
                node.input.append(name)
        nodes.append(node)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    for o in m.opset_import:
        if o.domain in ('', 'ai.onnx'):
            o.version = opset
    m.ir_version = 8 if opset < 21 else 10
    return m


# ---------------------------------------------------------------------------------------------------------
# Test data, comparisons, the model catalogue.
# ---------------------------------------------------------------------------------------------------------


def write_tensor(path, array, name):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(t.SerializeToString())


def compare(actual, expected):
    """Polygraphy-style, as test/helpers/compare.ts: fails where |d| > atol AND |d| > rtol·|ref|."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    d = np.abs(a - e)
    fail = (d > ATOL) & (d > RTOL * np.abs(e))
    return {
        'maxAbs': float(d.max()),
        'failing': int(fail.sum()),
        'of': int(d.size),
        # How many times the tolerance the worst element is off (> 1 fails).
        'worstOverTol': float((d / np.maximum(ATOL, RTOL * np.abs(e))).max()),
    }


def sig(x, digits=4):
    return float(f'{x:.{digits}g}')


def run_with_sites(net, x):
    """Forward pass; returns the output and, per SGE site, (X, Y) as float32 numpy."""
    seen = {}
    handles = []
    modules = dict(net.named_modules())
    for site, _, _ in net.sites:

        def hook(mod, inp, out, site=site):
            seen[site] = (inp[0].detach().numpy().copy(), out.detach().numpy().copy())

        handles.append(modules[site].register_forward_hook(hook))
    with torch.no_grad():
        y = net(x).numpy()
    for h in handles:
        h.remove()
    return y, seen


OPSETS = (11, 13, 17)
BATCHES = ('dynamic', 1, 2)
BATCH_TAG = {'dynamic': 'dyn', 1: 'b1', 2: 'b2'}
# Implementations other than pytorchinsight: each opset with a dynamic export, both static batches, folding
# on and off. pytorchinsight gets the full product.
COVER = [
    (11, 'dynamic', True),
    (11, 2, False),
    (13, 'dynamic', True),
    (13, 1, False),
    (17, 'dynamic', False),
    (17, 2, True),
]
NEAR_MISS_COVER = [(13, 'dynamic', True), (13, 2, False), (17, 'dynamic', True), (17, 1, True)]
MIXED_COVER = [(17, 'dynamic', True)]


def stem_of(kind, opset, batch, fold):
    return f'{kind}_op{opset}_{BATCH_TAG[batch]}_{"fold" if fold else "nofold"}'


def catalogue():
    """(stem, impl label, net, site_impl, opset, batch, fold) for every direct export."""
    items = []
    for opset in OPSETS:
        for batch in BATCHES:
            for fold in (True, False):
                items.append(('pytorchinsight', 'netA', lambda i: 'pytorchinsight', opset, batch, fold))
    for impl, net in (
        ('external_attention', 'netA'),
        ('yolo_fishvit', 'netY'),
        ('variant_mean_var', 'netA'),
        ('variant_bmm_flatten', 'netA'),
    ):
        for opset, batch, fold in COVER:
            items.append((impl, net, lambda i, impl=impl: impl, opset, batch, fold))
    for kind in NEAR_MISSES:
        for opset, batch, fold in NEAR_MISS_COVER:
            items.append((f'nearmiss_{kind}', 'netA', lambda i, kind=kind: ('nearmiss', kind), opset, batch, fold))
    for kind in ('biased_std', 'eps_inside', 'no_eps', 'tanh'):
        for opset, batch, fold in MIXED_COVER:
            spec = lambda i, kind=kind: ('nearmiss', kind) if i == 1 else 'pytorchinsight'  # noqa: E731
            items.append((f'mixed_{kind}', 'netA', spec, opset, batch, fold))
    return [(stem_of(label, o, b, f), label, net, spec, o, b, f) for label, net, spec, o, b, f in items]


# Models made by editing a direct export: (new stem, source stem, edit, the manifest's "constants").
EDITS = [
    ('pytorchinsight_op11_dyn_fold_unnamed', 'pytorchinsight_op11_dyn_fold', 'unnamed', 'as exported'),
    ('pytorchinsight_op13_dyn_fold_constnodes', 'pytorchinsight_op13_dyn_fold', 'constnodes', 'constant nodes'),
    ('pytorchinsight_op13_dyn_fold_initializers', 'pytorchinsight_op13_dyn_fold', 'initializers', 'initializers'),
    ('pytorchinsight_op13_dyn_fold_shared', 'pytorchinsight_op13_dyn_fold', 'shared', 'shared initializers'),
    (
        'pytorchinsight_op13_dyn_nofold_sharednodes',
        'pytorchinsight_op13_dyn_nofold',
        'sharednodes',
        'shared constant nodes',
    ),
    ('pytorchinsight_op17_b2_fold_shared', 'pytorchinsight_op17_b2_fold', 'shared', 'shared initializers'),
    ('yolo_fishvit_op13_dyn_fold_shared', 'yolo_fishvit_op13_dyn_fold', 'shared', 'shared initializers'),
    ('variant_mean_var_op13_dyn_fold_constnodes', 'variant_mean_var_op13_dyn_fold', 'constnodes', 'constant nodes'),
    ('pytorchinsight_op18_dyn_fold', 'pytorchinsight_op17_dyn_fold', 'op18', 'as exported'),
    ('pytorchinsight_op18_b2_nofold', 'pytorchinsight_op17_b2_nofold', 'op18', 'as exported'),
    ('pytorchinsight_op21_dyn_nofold', 'pytorchinsight_op17_dyn_nofold', 'op21', 'as exported'),
    ('pytorchinsight_op18_dyn_fold_shared', 'pytorchinsight_op17_dyn_fold', 'op18+shared', 'shared initializers'),
    ('external_attention_op18_dyn_nofold', 'external_attention_op17_dyn_nofold', 'op18', 'as exported'),
    ('yolo_fishvit_op18_b2_fold', 'yolo_fishvit_op17_b2_fold', 'op18', 'as exported'),
    ('variant_mean_var_op18_dyn_nofold', 'variant_mean_var_op17_dyn_nofold', 'op18', 'as exported'),
    ('variant_bmm_flatten_op21_b2_fold', 'variant_bmm_flatten_op17_b2_fold', 'op21', 'as exported'),
    ('nearmiss_biased_std_op18_dyn_fold', 'nearmiss_biased_std_op17_dyn_fold', 'op18', 'as exported'),
    ('nearmiss_eps_inside_op18_dyn_fold', 'nearmiss_eps_inside_op17_dyn_fold', 'op18', 'as exported'),
    ('nearmiss_no_eps_op21_b1_fold', 'nearmiss_no_eps_op17_b1_fold', 'op21', 'as exported'),
    ('nearmiss_tanh_op18_dyn_fold', 'nearmiss_tanh_op17_dyn_fold', 'op18', 'as exported'),
]


def clear_node_names(model):
    """Every node unnamed (as some exporters write them): sites are then named after X's tensor."""
    m = copy.deepcopy(model)
    for node in m.graph.node:
        node.ClearField('name')
    return m


def apply_edit(model, edit):
    """The edited model and the names of shared constants (empty unless shared)."""
    if edit == 'unnamed':
        return clear_node_names(model), []
    if edit == 'constnodes':
        return initializers_to_constants(model), []
    if edit == 'initializers':
        return constants_to_initializers(model), []
    if edit == 'shared':
        return share_constants(model, as_nodes=False)
    if edit == 'sharednodes':
        return share_constants(model, as_nodes=True)
    if edit == 'op18+shared':
        shared, names = share_constants(model, as_nodes=False)
        return to_opset(shared, 18), names
    return to_opset(model, int(edit[2:])), []


def edited_opset(edit, opset):
    return int(edit[2:4]) if edit.startswith('op') else opset


def check_model(model, opset):
    if opset <= 17:
        onnx.checker.check_model(model)


def test_sets(net_name, batch):
    """The inputs of a model's test data sets: a dynamic model gets batch 2 (set 0) and batch 1 (set 1)."""
    return [net_input(net_name, 2), net_input(net_name, 1)] if batch == 'dynamic' else [net_input(net_name, batch)]


def save(stem, model, sets):
    """Writes <stem>.onnx and one ONNX-zoo test data set per (input, output) pair; returns their paths."""
    (OUT / f'{stem}.onnx').write_bytes(model.SerializeToString())
    paths = []
    for k, (x, y) in enumerate(sets):
        write_tensor(OUT / stem / f'test_data_set_{k}' / 'input_0.pb', x, 'input')
        write_tensor(OUT / stem / f'test_data_set_{k}' / 'output_0.pb', y, 'logits')
        paths.append(f'{stem}/test_data_set_{k}')
    return paths


def rounded(figures):
    return {k: sig(v) if isinstance(v, float) else v for k, v in figures.items()}


def assert_plain_names(plain_model, sge_model):
    """Every scoped node of the plain export but Constants is in the SGE export with the same name and op.

    Torch's unscoped names (Constant_N, onnx::Op_N) are numbered over the whole graph, and without folding
    torch merges equal Constant nodes (the head's [-1] may become a block's), so those differ.
    """
    ops = {n.name: n.op_type for n in sge_model.graph.node}
    for n in plain_model.graph.node:
        if n.name.startswith('/') and n.op_type != 'Constant':
            assert ops.get(n.name) == n.op_type, (n.name, n.op_type, ops.get(n.name))


def describe_block(model, net_name, index, site, channels, groups, spec, x, y):
    """A block's manifest entry, and its output against the reference; asserts it computes its own formula."""
    kind = spec[1] if isinstance(spec, tuple) else None
    weight, bias = (t.numpy() for t in sge_params(net_name, index, groups))
    # The module must compute its own formula (for a real SGE, the reference) within float32 tolerance.
    vs_own = compare(y, sge_reference64(x, weight, bias, groups, kind))
    assert vs_own['failing'] == 0, (site, kind, vs_own)
    vs_ref = compare(y, sge_reference64(x, weight, bias, groups))
    std = similarity_std64(x, groups)
    block = {
        'scope': f'/{site}/',
        **block_facts(model, f'/{site}/'),
        'channels': channels,
        'groups': groups,
        'spatial': list(x.shape[2:]),
        'weight': [float(v) for v in weight],
        'bias': [float(v) for v in bias],
        'weightTensor': find_param(model, weight),
        'biasTensor': find_param(model, bias),
        'impl': spec if kind is None else f'nearmiss_{kind}',
        'lowAmplitude': index == 1,
        'similarityStd': [sig(std.min()), sig(std.max())],
        'vsReference': rounded(vs_ref),
        'expect': 'fuse' if kind is None else 'near-miss',
    }
    if kind is not None:
        block['reason'] = NEAR_MISSES[kind]
    return block, (site, kind, index == 1, vs_ref, std)


class FixtureWriter:
    """Writes the models and their test data into OUT and collects their manifest entries."""

    def __init__(self):
        self.models = []  # manifest entries
        self.exported = {}  # stem -> (model, entry), the direct exports
        self.plains = {}  # (net, opset, batch, fold) -> (stem, model)
        self.checks = []  # (stem, site, kind, low, vs_ref, std) per block
        self.network_checks = []  # (stem, comparison with the real-SGE network) per near-miss model

    def plain(self, net_name, opset, batch, fold):
        """The plain counterpart (written once); opsets above 17 are edited from the opset-17 export."""
        key = (net_name, opset, batch, fold)
        if key not in self.plains:
            stem = stem_of(f'plain_{net_name}', opset, batch, fold)
            net = build(net_name, lambda i: None)
            if opset > 17:
                model = to_opset(export(net, net_name, 17, batch, fold), opset)
            else:
                model = export(net, net_name, opset, batch, fold)
                check_model(model, opset)
            with torch.no_grad():
                sets = [(x.numpy(), net(x).numpy()) for x in test_sets(net_name, batch)]
            self.models.append(
                {
                    'file': f'{stem}.onnx',
                    'impl': 'plain',
                    'net': net_name,
                    'opset': opset,
                    'batch': batch,
                    'folding': fold,
                    'constants': 'as exported',
                    'testData': save(stem, model, sets),
                    'nodes': len(model.graph.node),
                    'blocks': [],
                }
            )
            self.plains[key] = (stem, model)
        return self.plains[key]

    def export(self, stem, label, net_name, spec, opset, batch, fold):
        """One direct export with its test data, block facts and checks."""
        net = build(net_name, spec, SITE_NAMES.get(label))
        model = export(net, net_name, opset, batch, fold)
        check_model(model, opset)
        inputs = test_sets(net_name, batch)
        y, seen = run_with_sites(net, inputs[0])
        with torch.no_grad():
            sets = [(inputs[0].numpy(), y)] + [(x.numpy(), net(x).numpy()) for x in inputs[1:]]
        test_data = save(stem, model, sets)
        blocks = []
        for i, (site, channels, groups) in enumerate(net.sites):
            block, check = describe_block(model, net_name, i, site, channels, groups, spec(i), *seen[site])
            blocks.append(block)
            self.checks.append((stem, *check))
        plain_stem, plain_model = self.plain(net_name, opset, batch, fold)
        assert_plain_names(plain_model, model)
        entry = {
            'file': f'{stem}.onnx',
            'impl': label,
            'net': net_name,
            'opset': opset,
            'batch': batch,
            'folding': fold,
            'constants': 'as exported',
            'plain': f'{plain_stem}.onnx',
            'testData': test_data,
            'nodes': len(model.graph.node),
            'nodesOutsideBlocks': nodes_outside_blocks(model, [b['scope'] for b in blocks]),
            'blocks': blocks,
        }
        # What the network computes with real SGE at every site (same weights): every real implementation must
        # agree with it; a near miss must not, or a wrong fusion would pass the test data unnoticed.
        with torch.no_grad():
            vs_sge = compare(y, build(net_name, lambda i: 'pytorchinsight')(inputs[0]).numpy())
        if any(b['expect'] == 'near-miss' for b in blocks):
            assert vs_sge['failing'] > 0, stem
            entry['outputVsSge'] = rounded(vs_sge)
            self.network_checks.append((stem, vs_sge))
        else:
            assert vs_sge['failing'] == 0, (stem, vs_sge)
        self.models.append(entry)
        self.exported[stem] = (model, entry)

    def edit(self, stem, source, edit, constants):
        """One model edited from a direct export; its test data is the source's."""
        model, entry = self.exported[source]
        edited, shared = apply_edit(model, edit)
        opset = edited_opset(edit, entry['opset'])
        check_model(edited, opset)
        (OUT / f'{stem}.onnx').write_bytes(edited.SerializeToString())
        test_data = []
        for src in entry['testData']:
            dst = src.replace(source, stem, 1)
            shutil.copytree(OUT / src, OUT / dst)
            test_data.append(dst)
        blocks = []
        for block in entry['blocks']:
            b = dict(block)
            if edit == 'unnamed':
                # No scope to find the block by; tensor names are untouched, and the site is X's name.
                b['site'] = b['x']
            else:
                b.update(block_facts(edited, block['scope']))
            b['weightTensor'] = find_param(edited, block['weight'])
            b['biasTensor'] = find_param(edited, block['bias'])
            blocks.append(b)
        new_entry = {
            **entry,
            'file': f'{stem}.onnx',
            'opset': opset,
            'constants': constants,
            'derivedFrom': entry['file'],
            'edit': edit,
            'plain': f'{self.plain(entry["net"], opset, entry["batch"], entry["folding"])[0]}.onnx',
            'testData': test_data,
            'nodes': len(edited.graph.node),
            'nodesOutsideBlocks': (
                entry['nodesOutsideBlocks']
                if edit == 'unnamed'
                else nodes_outside_blocks(edited, [b['scope'] for b in blocks])
            ),
            'blocks': blocks,
        }
        if shared:
            new_entry['sharedConstants'] = shared
        self.models.append(new_entry)

    def manifest(self):
        return {
            'generator': 'scripts/make_fuse_fixtures.py',
            'torch': torch.__version__,
            'onnx': onnx.__version__,
            'tolerance': {'rtol': RTOL, 'atol': ATOL},
            'nets': {
                name: {
                    'input': ['N', 3, *cls.input_hw],
                    'output': ['N', 10],
                    'lowAmplitudeScale': cls.low_amp['scale'],
                }
                for name, cls in NETS.items()
            },
            'models': sorted(self.models, key=lambda m: m['file']),
        }


def main():
    if not torch.__version__.startswith('1.13'):
        sys.exit(f'needs torch 1.13 (Debian /usr/bin/python3); this is {torch.__version__}')
    torch.set_num_threads(1)
    # Everything here is generated but the hand-written README.
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != 'README.md':
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    writer = FixtureWriter()
    for item in catalogue():
        writer.export(*item)
    for item in EDITS:
        writer.edit(*item)
    manifest = writer.manifest()
    (OUT / 'manifest.json').write_text(json.dumps(manifest, indent=1) + '\n')
    report(writer.checks, writer.network_checks, manifest)


def figures(c):
    return f'maxAbs {c["maxAbs"]:.2e} worst/tol {c["worstOverTol"]:.1f} failing {c["failing"]}/{c["of"]}'


def report(checks, network_checks, manifest):
    """Prints what was written and the near-miss figures (for the README)."""
    files = sorted(f for f in OUT.rglob('*') if f.name != 'README.md')
    total = sum(f.stat().st_size for f in files if f.is_file())
    onnx_files = [f for f in files if f.suffix == '.onnx']
    where = OUT.relative_to(ROOT)
    print(f'{len(manifest["models"])} models, {len(onnx_files)} .onnx, {total / 1e6:.2f} MB in {where}')
    sizes = sorted(f.stat().st_size for f in onnx_files)
    print(f'model sizes: {sizes[0] / 1e3:.1f}..{sizes[-1] / 1e3:.1f} KB')
    print('near misses vs the float64 reference at each site (worst element over tolerance; failing elements):')
    for stem, site, kind, low, vs_ref, std in checks:
        if kind is not None and (stem.endswith('op13_dyn_fold') or stem.startswith('mixed')):
            print(
                f'  {stem:42s} {site:8s} low={low!s:5s} std_t {std.min():.2e}..{std.max():.2e} '
                f'{figures(vs_ref)}'
            )
    print('near-miss networks vs the same network with SGE (test input, test output):')
    for stem, vs in network_checks:
        print(f'  {stem:42s} {figures(vs)}')
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(OUT)).encode())
            h.update(f.read_bytes())
    print(f'sha256 of the folder: {h.hexdigest()}')


if __name__ == '__main__':
    main()
