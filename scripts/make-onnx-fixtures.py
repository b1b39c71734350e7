#!/usr/bin/env python3
# Makes the ONNX import fixtures in tests/fixtures/onnx/ with real PyTorch (torch.onnx.export, the
# TorchScript exporter): small MNIST models trained briefly in PyTorch, and models simdnet must refuse.
# Needs torch and onnx (Debian: apt-get install python3-torch python3-onnx) and the MNIST IDX files:
#   python3 scripts/make-onnx-fixtures.py MNIST_DIR
# The fixtures are committed; the tests only read them (no Python in CI).
import gzip, os, sys
import numpy as np
import torch
import torch.nn as nn
import onnx

torch.manual_seed(0)
out_dir = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx")
os.makedirs(out_dir, exist_ok=True)

def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)

def find(d, name):
    for n in (name, name + ".gz"):
        if os.path.exists(os.path.join(d, n)):
            return os.path.join(d, n)
    raise SystemExit(f"missing {name} in {d}")

mnist = sys.argv[1]
xtr = torch.tensor(idx(find(mnist, "train-images-idx3-ubyte"))[:12000], dtype=torch.float32).div(255).unsqueeze(1)
ytr = torch.tensor(idx(find(mnist, "train-labels-idx1-ubyte"))[:12000], dtype=torch.long)

def train(model, epochs=2):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            out = model(xtr[b])
            loss = nn.functional.nll_loss(torch.log(out + 1e-12), ytr[b]) if isinstance(model[-1], nn.Softmax) else nn.functional.cross_entropy(out, ytr[b])
            loss.backward()
            opt.step()
    model.eval()
    return model

def export(model, name, opset, flat=False):
    x = torch.zeros(2, 784) if flat else torch.zeros(2, 1, 28, 28)
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(name, "opset", opset, [n.op_type for n in m.graph.node], os.path.getsize(path), "bytes")

class View(nn.Module):  # x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape
    def forward(self, x):
        return x.view(x.size(0), -1)

class Reshape(nn.Module):  # a flat input made an NCHW image: Reshape to [-1, 1, 28, 28]
    def forward(self, x):
        return x.reshape(-1, 1, 28, 28)

# 1. a CNN: same-padded conv, batch norm, max pool, valid conv, average pool, Flatten, transB Gemm, GELU (tanh), softmax
cnn = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 12, 3), nn.ReLU(), nn.AvgPool2d(2),
    nn.Flatten(), nn.Linear(12 * 6 * 6, 32), nn.GELU(approximate="tanh"), nn.Dropout(0.25), nn.Linear(32, 10), nn.Softmax(dim=1))
export(train(cnn), "torch-cnn", 13)

# 2. an MLP on NCHW input via x.view(x.size(0), -1), BatchNorm1d, leaky relu 0.01, tanh, sigmoid; logits out; opset 11
mlp = nn.Sequential(View(), nn.Linear(784, 48), nn.LeakyReLU(0.01), nn.BatchNorm1d(48), nn.Tanh(), nn.Linear(48, 24), nn.Sigmoid(), nn.Linear(24, 10))
export(train(mlp), "torch-mlp", 11)

# 3. the classic PyTorch MNIST order relu(max_pool(conv)), a stride-2 valid conv, batch norm (eps 1e-3), global average pool; opset 17
# (a batch norm straight after a conv is folded into it by the exporter: this one follows the relu)
gap = nn.Sequential(Reshape(), nn.Conv2d(1, 8, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU(), nn.BatchNorm2d(16, eps=1e-3),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
export(train(gap), "torch-gap", 17, flat=True)

# refused: each differs from what simdnet has in one named operator or attribute
export(nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.LeakyReLU(0.2), nn.Linear(16, 10)).eval(), "refuse-leaky-alpha", 13)
export(nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.GELU(), nn.Linear(16, 10)).eval(), "refuse-erf-gelu", 13)
export(nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 14 * 14, 10)).eval(), "refuse-conv-pads", 13)
export(nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2, padding=1), nn.Flatten(), nn.Linear(4 * 14 * 14, 10)).eval(), "refuse-pool-pads", 13)
export(nn.Sequential(nn.Conv2d(1, 4, 3, groups=1, dilation=2), nn.Flatten(), nn.Linear(4 * 24 * 24, 10)).eval(), "refuse-dilation", 13)
export(nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ELU(), nn.Linear(16, 10)).eval(), "refuse-elu", 13)
class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(784, 16)
        self.b = nn.Linear(16, 16)
        self.c = nn.Linear(16, 10)
    def forward(self, x):
        x = self.a(x.flatten(1))
        return self.c(torch.relu(self.b(x)) + x)
export(Residual().eval(), "refuse-residual", 13)
