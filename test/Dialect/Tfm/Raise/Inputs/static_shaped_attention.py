"""Writes shaped attention as the dynamo exporter emits it at a static
sequence length: the exporter folds alpha_h*I, gamma_h*C and the causal mask
into constants ([1, H, T, T], [1, H, T, T], [T, T]).

    python3 static_shaped_attention.py OUT_PREFIX

writes OUT_PREFIX.f32.onnx, OUT_PREFIX.bf16.onnx (the same graph on bf16
values, its constants bf16 initializers) and OUT_PREFIX.perturbed.onnx (one
off-diagonal entry of alpha*I is not zero: not shaped attention).
Q, K, V: float [2, T, 8], two heads of width 4, T = 8; A = alpha*I +
beta*softmax(Q K^T / 2 + causal) - gamma*C, C[i, j] = 1/(i+1) for j <= i.
"""
import sys

import onnx
from onnx import TensorProto, helper

T, H, D = 8, 2, 4
ALPHA, BETA, GAMMA = [0.9, 1.1], [1.25, 0.75], [0.5, 0.25]


def matrices(perturb):
    eye = [a if i == j else 0.0 for a in ALPHA for i in range(T) for j in range(T)]
    if perturb:
        eye[1] = 1e-3
    mean = [g / (i + 1) if j <= i else 0.0
            for g in GAMMA for i in range(T) for j in range(T)]
    return eye, mean


def model(dtype, perturb=False):
    eye, mean = matrices(perturb)
    f = TensorProto.FLOAT if dtype == "f32" else TensorProto.BFLOAT16
    inits = [
        helper.make_tensor("alphaI", f, [1, H, T, T], eye),
        helper.make_tensor("gammaC", f, [1, H, T, T], mean),
        helper.make_tensor("beta", f, [1, H, 1, 1], BETA),
        helper.make_tensor("two", f, [], [2.0]),
        helper.make_tensor("ninf", f, [], [-1e30]),
        helper.make_tensor("upper", TensorProto.BOOL, [T, T],
                           [j > i for i in range(T) for j in range(T)]),
        helper.make_tensor("split", TensorProto.INT64, [4], [2, T, H, D]),
        helper.make_tensor("merge", TensorProto.INT64, [3], [2, T, H * D]),
    ]
    n = helper.make_node
    nodes = []
    q, k, v = "Q", "K", "V"
    if dtype != "f32":
        nodes += [n("Cast", [x], [x + "h"], to=f) for x in "QKV"]
        q, k, v = "Qh", "Kh", "Vh"
    nodes += [
        n("Reshape", [q, "split"], ["qr"]),
        n("Transpose", ["qr"], ["qh"], perm=[0, 2, 1, 3]),
        n("Reshape", [k, "split"], ["kr"]),
        n("Transpose", ["kr"], ["kt"], perm=[0, 2, 3, 1]),
        n("Reshape", [v, "split"], ["vr"]),
        n("Transpose", ["vr"], ["vh"], perm=[0, 2, 1, 3]),
        n("MatMul", ["qh", "kt"], ["s"]),
        n("Div", ["s", "two"], ["sd"]),
        n("Where", ["upper", "ninf", "sd"], ["masked"]),
        n("Softmax", ["masked"], ["p"], axis=-1),
        n("Mul", ["beta", "p"], ["bp"]),
        n("Add", ["alphaI", "bp"], ["a"]),
        n("Sub", ["a", "gammaC"], ["c"]),
        n("MatMul", ["c", "vh"], ["o"]),
        n("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
        n("Reshape", ["ot", "merge"], ["O" if dtype == "f32" else "Oh"]),
    ]
    if dtype != "f32":
        nodes.append(n("Cast", ["Oh"], ["O"], to=TensorProto.FLOAT))
    io = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, T, H * D])
    graph = helper.make_graph(nodes, "static_shaped_attention", [io("Q"), io("K"), io("V")],
                              [io("O")], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


prefix = sys.argv[1]
onnx.save(model("f32"), prefix + ".f32.onnx")
onnx.save(model("bf16"), prefix + ".bf16.onnx")
onnx.save(model("f32", perturb=True), prefix + ".perturbed.onnx")
