#!/usr/bin/env python3
"""Exports a bag-of-subword-embeddings encoder to ONNX.

Graph: inputs input_ids, attention_mask [batch, length] int64; output
sentence_embedding [batch, dim] float32. Token vectors and per-token weights
are looked up with Gather (not EmbeddingBag, whose export is unreliable), the
weighted mean is taken over unmasked positions, and the result is L2-normalised.
Embeddings are stored as float16 to halve the file; arithmetic runs in float32.

Used for the interim random-projection model and for trained models alike:
pass --embeddings (a .npy [vocab, dim]) to export trained weights.
"""
import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build_graph(embeddings: np.ndarray, token_weights: np.ndarray) -> onnx.ModelProto:
    vocab, dim = embeddings.shape
    assert token_weights.shape == (vocab,)
    initializers = [
        numpy_helper.from_array(embeddings.astype(np.float16), "token_embeddings"),
        numpy_helper.from_array(token_weights.astype(np.float32), "token_weights"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_length"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array(1e-6, dtype=np.float32), "epsilon"),
    ]
    nodes = [
        helper.make_node("Gather", ["token_embeddings", "input_ids"], ["embedded16"], axis=0),
        helper.make_node("Cast", ["embedded16"], ["embedded"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["token_weights", "input_ids"], ["weights"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["weights", "mask"], ["masked_weights"]),
        helper.make_node("Unsqueeze", ["masked_weights", "axis_last"], ["weights3"]),
        helper.make_node("Mul", ["embedded", "weights3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis_length"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["masked_weights", "axis_length"], ["total"], keepdims=1),
        helper.make_node("Add", ["total", "epsilon"], ["total_safe"]),
        helper.make_node("Div", ["summed", "total_safe"], ["mean"]),
        helper.make_node("Mul", ["mean", "mean"], ["squared"]),
        helper.make_node("ReduceSum", ["squared", "axis_last"], ["norm_squared"], keepdims=1),
        helper.make_node("Sqrt", ["norm_squared"], ["norm"]),
        helper.make_node("Add", ["norm", "epsilon"], ["norm_safe"]),
        helper.make_node("Div", ["mean", "norm_safe"], ["sentence_embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "bag_of_subwords",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dim])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="codegraph")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", required=True, help="JSON file: list of per-token weights (its length is the vocabulary size)")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings", help=".npy [vocab, dim] trained embeddings; default: random projection")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.weights) as handle:
        weights = np.array(json.load(handle), dtype=np.float32)
    if args.embeddings:
        embeddings = np.load(args.embeddings).astype(np.float32)
    else:
        # Random projection: with unit-norm Gaussian rows, dot products of pooled
        # vectors approximate the cosine of weighted bag-of-words (Johnson-Lindenstrauss).
        rng = np.random.default_rng(args.seed)
        embeddings = rng.standard_normal((len(weights), args.dim)).astype(np.float32)
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    embeddings[0] = 0.0  # [PAD]
    weights[0] = 0.0
    onnx.save(build_graph(embeddings, weights), args.out)
    print(f"wrote {args.out}: vocab {embeddings.shape[0]}, dim {embeddings.shape[1]}")


if __name__ == "__main__":
    main()
