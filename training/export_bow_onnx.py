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


def position_bucket(positions, buckets: int) -> np.ndarray:
    """The bucket of each position; must match train.py's position_bucket."""
    positions = np.asarray(positions, dtype=np.float64)
    logarithmic = 16 + np.floor(np.log2(np.maximum(positions, 16) / 16) * 8)
    return np.minimum(np.where(positions < 16, positions, logarithmic), buckets - 1).astype(np.int64)


def position_table(bucket_weights, length: int, trained_length: int) -> np.ndarray:
    """Weight of every position 0..length-1 from per-bucket weights. Training saw
    positions below `trained_length` only; later buckets kept their initial weight,
    so later positions take the weight of the last trained one instead."""
    weights = np.asarray(bucket_weights, dtype=np.float32)
    index = position_bucket(np.arange(length), len(weights))
    last_trained = position_bucket([trained_length - 1], len(weights))[0]
    return weights[np.minimum(index, last_trained)]


def build_graph(embeddings: np.ndarray, token_weights: np.ndarray, position_weights: np.ndarray = None) -> onnx.ModelProto:
    """With `position_weights` ([max_length]), each token's weight is also scaled by its position's weight;
    inputs longer than max_length are not allowed (the engine truncates to the manifest's maxTokens)."""
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
    ]
    if position_weights is not None:
        # weights *= position_weights[:length], broadcast over the batch.
        initializers += [
            numpy_helper.from_array(position_weights.astype(np.float32), "position_weights"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "two"),
        ]
        nodes += [
            helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
            helper.make_node("Slice", ["ids_shape", "one", "two"], ["length"]),
            helper.make_node("Slice", ["position_weights", "zero", "length", "zero"], ["positions_used"]),
            helper.make_node("Mul", ["masked_weights", "positions_used"], ["positioned_weights"]),
        ]
        weights_name = "positioned_weights"
    else:
        weights_name = "masked_weights"
    nodes += [
        helper.make_node("Unsqueeze", [weights_name, "axis_last"], ["weights3"]),
        helper.make_node("Mul", ["embedded", "weights3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis_length"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", [weights_name, "axis_length"], ["total"], keepdims=1),
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
    parser.add_argument("--position-weights", help="JSON {buckets, weights} from train.py --position-buckets")
    parser.add_argument("--max-length", type=int, default=512, help="longest input the graph accepts when position weights are used")
    parser.add_argument("--trained-length", type=int, default=256, help="longest input seen in training (train.py --max-code-tokens)")
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
    positions = None
    if args.position_weights:
        with open(args.position_weights) as handle:
            positions = position_table(json.load(handle)["weights"], args.max_length, args.trained_length)
    onnx.save(build_graph(embeddings, weights, positions), args.out)
    print(f"wrote {args.out}: vocab {embeddings.shape[0]}, dim {embeddings.shape[1]}")


if __name__ == "__main__":
    main()
