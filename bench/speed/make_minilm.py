#!/usr/bin/env python3
"""Generates a MiniLM-L6-shaped BERT encoder with random weights, as an ONNX
model directory the engine loads: 6 layers, hidden 384, 12 heads, feed-forward
1536, vocab 30522, max 512 positions. This is the shape of the model Continue
ships in its VS Code extension; no weights can be downloaded here, and for
speed and memory the values of the weights do not matter.

    /usr/bin/python3 bench/speed/make_minilm.py --out ~/.cache/codegraph/minilm-l6-random
"""
import argparse
import json
import math
import os

import torch
import torch.nn.functional as F

VOCAB, HIDDEN, LAYERS, HEADS, FFN, POSITIONS = 30522, 384, 6, 12, 1536, 512


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(HIDDEN, 3 * HIDDEN)
        self.out = torch.nn.Linear(HIDDEN, HIDDEN)
        self.norm1 = torch.nn.LayerNorm(HIDDEN, eps=1e-12)
        self.up = torch.nn.Linear(HIDDEN, FFN)
        self.down = torch.nn.Linear(FFN, HIDDEN)
        self.norm2 = torch.nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, bias):
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, HEADS, HIDDEN // HEADS).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, HIDDEN)
        x = self.norm1(x + self.out(context))
        return self.norm2(x + self.down(F.gelu(self.up(x))))


class MiniLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.words = torch.nn.Embedding(VOCAB, HIDDEN)
        self.positions = torch.nn.Embedding(POSITIONS, HIDDEN)
        self.types = torch.nn.Embedding(2, HIDDEN)
        self.norm = torch.nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.norm(self.words(input_ids) + self.positions(positions) + self.types(torch.zeros_like(input_ids)))
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x


def tokenizer_json():
    """A BERT-style WordPiece tokenizer of exactly VOCAB entries (lower-case words, then ## pieces, then fillers)."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)] + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    vocab = specials + letters + ["##" + c for c in letters]
    words = []
    for a in letters[:26]:
        for b in letters[:26]:
            words.append(a + b)
            for c in letters[:26]:
                words.append(a + b + c)
    vocab += words
    vocab += ["##" + w for w in words]
    vocab = vocab[:VOCAB] + [f"[unused{i}]" for i in range(max(0, VOCAB - len(vocab)))]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for i, t in enumerate(specials)],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(vocab)}},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = MiniLM().eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(
        model, (ids, mask), os.path.join(args.out, "model.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"}, "last_hidden_state": {0: "batch", 1: "length"}},
        opset_version=14,
    )
    with open(os.path.join(args.out, "tokenizer.json"), "w") as handle:
        json.dump(tokenizer_json(), handle)
    manifest = {
        "id": "minilm-l6-shape-random", "onnx": "model.onnx", "tokenizer": "tokenizer.json", "dimension": HIDDEN, "maxTokens": 256,
        "pooling": "mean", "normalize": True, "queryPrefix": "", "documentPrefix": "", "preprocess": [], "outputName": "last_hidden_state", "charsPerToken": 4,
    }
    with open(os.path.join(args.out, "codegraph-model.json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
