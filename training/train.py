#!/usr/bin/env python3
"""Trains CodeGraph's bag-of-subword-embeddings encoder contrastively.

    /usr/bin/python3 training/train.py --data <prepared dir> --out <run dir> [--minutes 100]

Model: each token has a vector and a learned positive weight; a text is the
weighted mean of its token vectors, L2-normalised. Queries and code share the
encoder, so one ONNX graph serves both. Loss: symmetric InfoNCE with in-batch
negatives over large batches, averaged over Matryoshka prefixes (e.g. 256/128/64
dimensions) so that truncated vectors stay useful. Sparse gradients and
SparseAdam keep a step cheap: only the rows a batch touches are updated.

Resumable: a checkpoint is written every --checkpoint-minutes and at the end;
re-running with the same --out continues from it. Needs Debian's python3-torch
and python3-numpy (run with /usr/bin/python3).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_ragged(prefix):
    ids = np.fromfile(prefix + ".ids.i32", dtype=np.int32)
    offsets = np.fromfile(prefix + ".offsets.i64", dtype=np.int64)
    return ids, offsets


def bag_batch(ids, offsets, rows, limit):
    """Rows of a ragged array as one flat id tensor plus bag offsets (EmbeddingBag's input), each row truncated to `limit`."""
    starts = offsets[rows]
    lengths = np.maximum(np.minimum(offsets[rows + 1] - starts, limit), 1)
    bag_offsets = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(lengths[:-1], out=bag_offsets[1:])
    total = int(lengths.sum())
    # Position of every output element inside its row, then gather.
    within = np.arange(total) - np.repeat(bag_offsets, lengths)
    flat = ids[np.minimum(np.repeat(starts, lengths) + within, len(ids) - 1)].astype(np.int64)
    bag_index = np.repeat(np.arange(len(rows)), lengths)
    return torch.from_numpy(flat), torch.from_numpy(bag_offsets), torch.from_numpy(bag_index), torch.from_numpy(within.astype(np.int64))


def position_bucket(positions, buckets):
    """Bucket of each token position: exact for the first 16, then logarithmic
    (8 per doubling), the last bucket open-ended. Must match export_bow_onnx.py."""
    positions = np.asarray(positions, dtype=np.float64)
    logarithmic = 16 + np.floor(np.log2(np.maximum(positions, 16) / 16) * 8)
    return np.minimum(np.where(positions < 16, positions, logarithmic), buckets - 1).astype(np.int64)


class BagEncoder(torch.nn.Module):
    """Weighted mean of token vectors. Trained with EmbeddingBag (no [batch, length, dim] tensor);
    exported with Gather + masked weighted mean, which computes the same function."""

    def __init__(self, vocab, dim, initial_weights, position_buckets=0):
        super().__init__()
        # Optional learned weight per position bucket: where a token sits matters
        # (a definition's name and signature come first), which a plain bag ignores.
        self.position_buckets = position_buckets
        if position_buckets:
            self.position_logits = torch.nn.Parameter(torch.zeros(position_buckets))
        self.vectors = torch.nn.EmbeddingBag(vocab, dim, mode="sum", sparse=True)
        self.raw_weights = torch.nn.Embedding(vocab, 1, sparse=True)
        with torch.no_grad():
            torch.nn.init.normal_(self.vectors.weight, std=1.0 / math.sqrt(dim))
            self.vectors.weight[0].zero_()
            # softplus(raw) = initial weight, i.e. raw = log(exp(w) - 1).
            w = torch.as_tensor(initial_weights, dtype=torch.float32).clamp(min=1e-3)
            self.raw_weights.weight.copy_(torch.log(torch.expm1(w)).unsqueeze(1))

    def forward(self, batch):
        flat, bag_offsets, bag_index, within = batch
        weights = F.softplus(self.raw_weights(flat).squeeze(-1)) * (flat != 0).float()
        if self.position_buckets:
            buckets = torch.from_numpy(position_bucket(within.numpy(), self.position_buckets))
            weights = weights * torch.exp(self.position_logits)[buckets]
        summed = self.vectors(flat, bag_offsets, per_sample_weights=weights)
        totals = torch.zeros(len(bag_offsets)).index_add_(0, bag_index, weights)
        return summed / (totals.unsqueeze(1) + 1e-6)


def info_nce(queries, codes, temperature):
    q = F.normalize(queries, dim=-1)
    c = F.normalize(codes, dim=-1)
    logits = q @ c.t() / temperature
    labels = torch.arange(len(q))
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


@torch.no_grad()
def validation_mrr(model, data, limit_q, limit_c, pool=1000, seed=0):
    """MRR of each validation query's code among `pool` validation codes (999 distractors)."""
    q_ids, q_off, c_ids, c_off = data
    count = len(q_off) - 1
    rng = np.random.default_rng(seed)
    order = rng.permutation(count)
    scores = []
    for start in range(0, count - pool + 1 if count >= pool else 1, pool):
        rows = order[start:start + pool]
        q = F.normalize(model(bag_batch(q_ids, q_off, rows, limit_q)), dim=-1)
        c = F.normalize(model(bag_batch(c_ids, c_off, rows, limit_c)), dim=-1)
        sims = q @ c.t()
        correct = sims.diag().unsqueeze(1)
        ranks = (sims > correct).sum(1) + 1
        scores.extend((1.0 / ranks.float()).tolist())
    return float(np.mean(scores)) if scores else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--matryoshka", default="256,128,64")
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--minutes", type=float, default=100.0, help="training time budget; stops early when reached")
    parser.add_argument("--max-code-tokens", type=int, default=256)
    parser.add_argument("--max-query-tokens", type=int, default=48)
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--position-buckets", type=int, default=56, help="learned per-position-bucket token weights (0: off, as in codegraph-code-v1)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.data, "prepared.json")) as handle:
        prepared = json.load(handle)
    vocab = prepared["vocabulary"]
    train_q = load_ragged(os.path.join(args.data, "train.queries"))
    train_c = load_ragged(os.path.join(args.data, "train.codes"))
    valid = (*load_ragged(os.path.join(args.data, "valid.queries")), *load_ragged(os.path.join(args.data, "valid.codes")))
    pairs = len(train_q[1]) - 1
    with open(os.path.join(args.data, "document_frequency.json")) as handle:
        df = np.array(json.load(handle), dtype=np.float64)
    idf = np.log((pairs + 1) / (df + 1)) + 1.0

    model = BagEncoder(vocab, args.dim, idf, args.position_buckets)
    # Sparse rows (token vectors and weights) take SparseAdam; the few dense parameters take Adam.
    optimizer = torch.optim.SparseAdam([model.vectors.weight, model.raw_weights.weight], lr=args.lr)
    dense_parameters = [model.position_logits] if args.position_buckets else []
    dense_optimizer = torch.optim.Adam(dense_parameters, lr=args.lr) if dense_parameters else None
    dims = [int(d) for d in args.matryoshka.split(",") if int(d) <= args.dim]
    total_steps = int(args.epochs * pairs / args.batch)
    state = {"step": 0, "elapsed": 0.0, "history": []}
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    if os.path.exists(checkpoint):
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        if dense_optimizer and "dense_optimizer" in saved:
            dense_optimizer.load_state_dict(saved["dense_optimizer"])
        state = saved["state"]
        print(f"resumed at step {state['step']} ({state['elapsed'] / 60:.1f} min)", flush=True)

    def save():
        saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state, "args": vars(args)}
        if dense_optimizer:
            saved["dense_optimizer"] = dense_optimizer.state_dict()
        torch.save(saved, checkpoint + ".tmp")
        os.replace(checkpoint + ".tmp", checkpoint)

    rng = np.random.default_rng(args.seed + state["step"])
    started = time.time() - state["elapsed"]
    last_checkpoint = time.time()
    print(f"{pairs} train pairs, vocab {vocab}, dim {args.dim}, batch {args.batch}, {total_steps} steps planned", flush=True)
    while state["step"] < total_steps and (time.time() - started) < args.minutes * 60:
        rows = rng.choice(pairs, size=min(args.batch, pairs), replace=False)
        q = model(bag_batch(train_q[0], train_q[1], rows, args.max_query_tokens))
        c = model(bag_batch(train_c[0], train_c[1], rows, args.max_code_tokens))
        loss = sum(info_nce(q[:, :d], c[:, :d], args.temperature) for d in dims) / len(dims)
        optimizer.zero_grad()
        if dense_optimizer:
            dense_optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if dense_optimizer:
            dense_optimizer.step()
        state["step"] += 1
        state["elapsed"] = time.time() - started
        if state["step"] % 50 == 0 or state["step"] == total_steps:
            model.eval()
            mrr = validation_mrr(model, valid, args.max_query_tokens, args.max_code_tokens)
            model.train()
            state["history"].append({"step": state["step"], "minutes": round(state["elapsed"] / 60, 2), "loss": round(float(loss), 4), "valid_mrr": round(mrr, 4)})
            print(json.dumps(state["history"][-1]), flush=True)
        if time.time() - last_checkpoint > args.checkpoint_minutes * 60:
            save()
            last_checkpoint = time.time()
    save()
    with torch.no_grad():
        np.save(os.path.join(args.out, "embeddings.npy"), model.vectors.weight.detach().numpy().astype(np.float32))
        weights = F.softplus(model.raw_weights.weight.squeeze(1)).detach().numpy()
        weights[0] = 0.0
        with open(os.path.join(args.out, "token_weights.json"), "w") as handle:
            json.dump([round(float(w), 5) for w in weights], handle)
        if args.position_buckets:
            with open(os.path.join(args.out, "position_weights.json"), "w") as handle:
                json.dump({"buckets": args.position_buckets, "weights": [round(float(w), 5) for w in torch.exp(model.position_logits)]}, handle)
    model.eval()
    final = {"steps": state["step"], "minutes": round(state["elapsed"] / 60, 2), "valid_mrr": validation_mrr(model, valid, args.max_query_tokens, args.max_code_tokens), "pairs_seen": state["step"] * args.batch}
    with open(os.path.join(args.out, "training.json"), "w") as handle:
        json.dump({"args": vars(args), "final": final, "history": state["history"]}, handle, indent=2)
    print(json.dumps(final), flush=True)


if __name__ == "__main__":
    main()
