"""Building ONNX graphs by hand (onnx.helper + NumPy), for the scripts that
write test models without torch.

Nodes are named like the TorchScript exporter's: /scope/Op_k, with output
/scope/Op_k_output_0, so the models read like real exports.
"""

import numpy as np


class GraphBuilder:
    def __init__(self, opset=None):
        from onnx import helper, numpy_helper
        self.helper, self.numpy_helper = helper, numpy_helper
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.counts = {}

    def weight(self, name, array, dtype=None):
        """Adds an initializer; returns its name."""
        array = np.ascontiguousarray(array, dtype=dtype)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def op(self, scope, op_type, inputs, output=None, **attrs):
        """Adds a node; returns its (first) output name."""
        key = (scope, op_type)
        k = self.counts.get(key, 0)
        self.counts[key] = k + 1
        name = f"{scope}/{op_type}" + (f"_{k}" if k else "")
        out = output or f"{name}_output_0"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=name, **attrs))
        return out

    def const(self, scope, value, dtype=np.int64):
        """A Constant node holding `value`."""
        return self.op(scope, "Constant", [],
                       value=self.numpy_helper.from_array(np.array(value, dtype=dtype)))

    def batch_and_length(self, ids):
        """Batch and sequence length of `ids` [B, S] as the exporters compute
        them: scalars B, S, [1]-tensors B1, S1, and the constant [0] they
        were unsqueezed with (for reuse)."""
        shape = self.op("", "Shape", [ids])
        batch = self.op("", "Gather", [shape, self.const("", 0)], axis=0)
        seq = self.op("", "Gather", [shape, self.const("", 1)], axis=0)
        axis0 = self.const("", [0])
        return (batch, seq, self.op("", "Unsqueeze", [batch, axis0]),
                self.op("", "Unsqueeze", [seq, axis0]), axis0)
