#!/usr/bin/python3
"""Tiny random-weight text encoders in the real Hugging Face architectures, as ONNX test fixtures.

Each family (BERT, RoBERTa, XLM-R, MPNet, NomicBERT and a GPT-2-style decoder)
is written out in plain PyTorch following the reference implementation's
forward pass (embeddings, position handling, attention bias, normalisation
placement, activation), at a tiny size, with seeded random weights. For each we
write what a Hugging Face / sentence-transformers export directory holds:
`model.onnx`, `config.json` (real `model_type` and field names),
`tokenizer.json` (a small WordPiece, byte-level BPE or Unigram tokenizer in
the `tokenizers` JSON format), and sentence-transformers pooling files where
the family's models usually have them. `reference.json` holds input texts,
their token ids (from the Python tokenizers below, which implement the same
algorithms) and the pooled, L2-normalised embeddings that the PyTorch modules
compute, one text at a time, without padding. The engine's tests load these
directories through the normal model path and compare.

Run with Debian's Python (torch 1.13, no `transformers`):
    /usr/bin/python3 scripts/models/make_tiny_encoders.py
Deterministic: seeded weights and sorted JSON; re-running with the same
torch version writes byte-identical files.
"""

import json
import math
import os
import random
import re
import shutil
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "models", "families")

HIDDEN = 32
HEADS = 4
LAYERS = 2
INTERMEDIATE = 64
MIN = torch.finfo(torch.float32).min

TEXTS = [
    "def parse_config(path): return load(path)",
    "retry the request with exponential backoff",
    "class LruCache: evict the oldest entry",
    "sort users by name",
]
# Longer than every fixture's window: exercises truncation.
LONG_TEXT = " ".join(["retry the request with exponential backoff"] * 5)

# ---------------------------------------------------------------------------
# Tokenizers: the algorithms of the `tokenizers` library, enough for ASCII text.
# ---------------------------------------------------------------------------


def is_punctuation(char):
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def bert_pre_tokenize(text):
    words = []
    for chunk in text.split():
        current = ""
        for char in chunk:
            if is_punctuation(char):
                if current:
                    words.append(current)
                words.append(char)
                current = ""
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPieceTokenizer:
    """BertNormalizer (lowercase) + BertPreTokenizer + WordPiece + a [CLS] $A [SEP]-style template."""

    def __init__(self, specials, words, cls, sep, pad, unk):
        vocab = list(specials)
        chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789_():.,"))
        for piece in chars + ["##" + char for char in chars] + ["##ing", "##s", "##er", "##ion", "##ent"] + sorted(words):
            if piece not in vocab:
                vocab.append(piece)
        self.vocab = {piece: index for index, piece in enumerate(vocab)}
        self.cls, self.sep, self.pad, self.unk = cls, sep, pad, unk

    def body(self, text):
        ids = []
        for word in bert_pre_tokenize(text.lower()):
            start, pieces = 0, []
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = ("##" if start > 0 else "") + word[start:end]
                    if piece in self.vocab:
                        found = self.vocab[piece]
                        break
                    end -= 1
                if found is None:
                    pieces = [self.vocab[self.unk]]
                    break
                pieces.append(found)
                start = end
            ids.extend(pieces)
        return ids

    def encode(self, text, max_length):
        body = self.body(text)[: max_length - 2]
        return [self.vocab[self.cls]] + body + [self.vocab[self.sep]]

    def to_json(self):
        specials = [self.pad, self.unk, self.cls, self.sep] + [token for token in ("[MASK]", "<mask>") if token in self.vocab]
        template = lambda sequence: [{"SpecialToken": {"id": self.cls, "type_id": 0}}, sequence, {"SpecialToken": {"id": self.sep, "type_id": 0}}]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added_tokens(self.vocab, specials),
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": template({"Sequence": {"id": "A", "type_id": 0}}),
                "pair": template({"Sequence": {"id": "A", "type_id": 0}}) + [{"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": self.sep, "type_id": 1}}],
                "special_tokens": {token: {"id": token, "ids": [self.vocab[token]], "tokens": [token]} for token in (self.cls, self.sep)},
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": self.unk, "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": self.vocab},
        }


def added_tokens(vocab, specials):
    return [{"id": vocab[token], "content": token, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for token in specials]


def bytes_to_unicode():
    """GPT-2's reversible byte → printable character map."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars)}


BYTE_CHARS = bytes_to_unicode()
# GPT-2's pre-tokenizer regex, with ASCII classes standing in for \p{L} and \p{N} (the texts are ASCII).
GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


class ByteLevelBPETokenizer:
    """ByteLevel pre-tokenizer + BPE; RoBERTa's `<s> $A </s>` or a GPT-2-style `$A <|endoftext|>` template."""

    def __init__(self, specials, words, prefix, suffix):
        vocab = list(specials)
        vocab += [BYTE_CHARS[byte] for byte in range(256)]
        merges = []
        for word in words:
            for form in (word, " " + word):
                symbols = "".join(BYTE_CHARS[byte] for byte in form.encode("utf-8"))
                for end in range(2, len(symbols) + 1):
                    merge = (symbols[: end - 1], symbols[end - 1])
                    if merge not in merges:
                        merges.append(merge)
                        if symbols[:end] not in vocab:
                            vocab.append(symbols[:end])
        self.vocab = {piece: index for index, piece in enumerate(vocab)}
        self.ranks = {merge: rank for rank, merge in enumerate(merges)}
        self.merges = merges
        self.specials = list(specials)
        self.prefix, self.suffix = prefix, suffix

    def bpe(self, symbols):
        word = list(symbols)
        while len(word) > 1:
            rank, index = min((self.ranks.get((word[i], word[i + 1]), math.inf), i) for i in range(len(word) - 1))
            if rank == math.inf:
                break
            pair = (word[index], word[index + 1])
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def body(self, text):
        ids = []
        for piece in GPT2_SPLIT.findall(text):
            symbols = "".join(BYTE_CHARS[byte] for byte in piece.encode("utf-8"))
            ids.extend(self.vocab[token] for token in self.bpe(symbols))
        return ids

    def encode(self, text, max_length):
        body = self.body(text)[: max_length - len(self.prefix) - len(self.suffix)]
        return [self.vocab[token] for token in self.prefix] + body + [self.vocab[token] for token in self.suffix]

    def to_json(self):
        if self.prefix:  # RoBERTa
            post_processor = {"type": "RobertaProcessing", "sep": [self.suffix[0], self.vocab[self.suffix[0]]], "cls": [self.prefix[0], self.vocab[self.prefix[0]]], "trim_offsets": True, "add_prefix_space": False}
        else:
            eos = self.suffix[0]
            post_processor = {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": eos, "type_id": 1}}],
                "special_tokens": {eos: {"id": eos, "ids": [self.vocab[eos]], "tokens": [eos]}},
            }
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added_tokens(self.vocab, self.specials),
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": post_processor,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }


class UnigramTokenizer:
    """XLM-R style: Metaspace pre-tokenizer (prepend ▁, split) + Unigram (Viterbi) + `<s> $A </s>`."""

    def __init__(self, words, rng):
        specials = ["<s>", "<pad>", "</s>", "<unk>"]
        pieces = []
        chars = sorted(set("".join(TEXTS + [LONG_TEXT]).replace(" ", "")))
        for char in ["▁"] + chars:
            pieces.append((char, -8.0 - rng.random()))
        for word in words:
            pieces.append(("▁" + word, -3.0 - rng.random()))
            if len(word) > 4:
                pieces.append((word[: len(word) // 2], -5.0 - rng.random()))
                pieces.append((word[len(word) // 2 :], -5.0 - rng.random()))
        seen, unique = set(), []
        for piece, score in pieces:
            if piece not in seen:
                seen.add(piece)
                unique.append((piece, round(score, 4)))
        self.pieces = [(token, 0.0) for token in specials] + unique
        self.vocab = {piece: index for index, (piece, _) in enumerate(self.pieces)}
        self.scores = dict(self.pieces)

    def body(self, text):
        ids = []
        spaced = "▁" + text.replace(" ", "▁")
        for word in re.findall("▁[^▁]*", spaced):
            best = [(0.0, -1)] + [(-math.inf, -1)] * len(word)
            for end in range(1, len(word) + 1):
                for start in range(end):
                    piece = word[start:end]
                    if piece in self.vocab and best[start][0] > -math.inf:
                        score = best[start][0] + self.scores[piece]
                        if score > best[end][0]:
                            best[end] = (score, start)
            tokens, end = [], len(word)
            while end > 0:
                start = best[end][1]
                tokens.append(word[start:end])
                end = start
            ids.extend(self.vocab[token] for token in reversed(tokens))
        return ids

    def encode(self, text, max_length):
        return [self.vocab["<s>"]] + self.body(text)[: max_length - 2] + [self.vocab["</s>"]]

    def to_json(self):
        template = lambda sequence: [{"SpecialToken": {"id": "<s>", "type_id": 0}}, sequence, {"SpecialToken": {"id": "</s>", "type_id": 0}}]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added_tokens(self.vocab, ["<s>", "<pad>", "</s>", "<unk>"]),
            "normalizer": None,
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": template({"Sequence": {"id": "A", "type_id": 0}}),
                "pair": template({"Sequence": {"id": "A", "type_id": 0}}) + [{"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {token: {"id": token, "ids": [self.vocab[token]], "tokens": [token]} for token in ("<s>", "</s>")},
            },
            "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            "model": {"type": "Unigram", "unk_id": self.vocab["<unk>"], "vocab": [[piece, score] for piece, score in self.pieces], "byte_fallback": False},
        }


# ---------------------------------------------------------------------------
# Architectures.
# ---------------------------------------------------------------------------


def padding_bias(attention_mask):
    """[batch, 1, 1, keys] additive mask, as HF's get_extended_attention_mask."""
    return (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * MIN


def split_heads(x):
    batch, length, _ = x.shape
    return x.view(batch, length, HEADS, HIDDEN // HEADS).transpose(1, 2)


def attend(q, k, v, bias):
    """Scaled dot-product attention on [batch, heads, length, head_dim] with an additive bias."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias
    context = torch.softmax(scores, dim=-1) @ v
    batch, _, length, _ = context.shape
    return context.transpose(1, 2).reshape(batch, length, HIDDEN)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class PostLNLayer(nn.Module):
    """BERT / RoBERTa / XLM-R / MPNet encoder layer: attention, add & norm, GELU FFN, add & norm."""

    def __init__(self, eps):
        super().__init__()
        self.query, self.key, self.value, self.attention_output = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=eps)
        self.intermediate = nn.Linear(HIDDEN, INTERMEDIATE)
        self.output = nn.Linear(INTERMEDIATE, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=eps)

    def forward(self, x, bias):
        context = attend(split_heads(self.query(x)), split_heads(self.key(x)), split_heads(self.value(x)), bias)
        x = self.attention_norm(self.attention_output(context) + x)
        return self.output_norm(self.output(F.gelu(self.intermediate(x))) + x)


def roberta_position_ids(input_ids, padding_idx):
    """HF's create_position_ids_from_input_ids: positions count real tokens from padding_idx + 1; padding keeps padding_idx."""
    mask = input_ids.ne(padding_idx).to(torch.int64)
    return torch.cumsum(mask, dim=1) * mask + padding_idx


class BertLike(nn.Module):
    """BertModel (absolute positions + token types) and RobertaModel / XLMRobertaModel (positions offset by padding_idx + 1)."""

    def __init__(self, vocab_size, max_positions, type_vocab_size, padding_idx=None, eps=1e-12):
        super().__init__()
        self.padding_idx = padding_idx
        self.word_embeddings = nn.Embedding(vocab_size, HIDDEN)
        self.position_embeddings = nn.Embedding(max_positions, HIDDEN)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, HIDDEN)
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=eps)
        self.layers = nn.ModuleList(PostLNLayer(eps) for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.padding_idx is None:
            positions = torch.arange(input_ids.shape[1], dtype=torch.int64).unsqueeze(0)
        else:
            positions = roberta_position_ids(input_ids, self.padding_idx)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_type_ids)
        x = self.embedding_norm(x)
        bias = padding_bias(attention_mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


def relative_position_bucket(relative_position, num_buckets=32, max_distance=128):
    """MPNet's (T5's bidirectional) relative position buckets."""
    ret = 0
    n = -relative_position
    num_buckets //= 2
    ret += (n < 0).to(torch.int64) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    val_if_large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.int64)
    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    return ret + torch.where(is_small, n, val_if_large)


class MPNet(nn.Module):
    """MPNetModel: RoBERTa-style positions, post-LN layers, one relative position bias shared by all layers."""

    def __init__(self, vocab_size, max_positions, padding_idx, buckets=32, eps=1e-5):
        super().__init__()
        self.padding_idx = padding_idx
        self.buckets = buckets
        self.word_embeddings = nn.Embedding(vocab_size, HIDDEN)
        self.position_embeddings = nn.Embedding(max_positions, HIDDEN)
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=eps)
        self.relative_attention_bias = nn.Embedding(buckets, HEADS)
        self.layers = nn.ModuleList(PostLNLayer(eps) for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        x = self.word_embeddings(input_ids) + self.position_embeddings(roberta_position_ids(input_ids, self.padding_idx))
        x = self.embedding_norm(x)
        length = input_ids.shape[1]
        positions = torch.arange(length, dtype=torch.int64)
        buckets = relative_position_bucket(positions[None, :] - positions[:, None], num_buckets=self.buckets)
        position_bias = self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)
        bias = position_bias + padding_bias(attention_mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class NomicBertBlock(nn.Module):
    """NomicBertBlock (prenorm false): fused QKV without bias, rotary q/k, post-norm, SwiGLU MLP without biases."""

    def __init__(self, eps, rotary_base):
        super().__init__()
        self.rotary_base = rotary_base
        self.Wqkv = nn.Linear(HIDDEN, 3 * HIDDEN, bias=False)
        self.out_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.norm1 = nn.LayerNorm(HIDDEN, eps=eps)
        self.fc11 = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.fc12 = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.fc2 = nn.Linear(INTERMEDIATE, HIDDEN, bias=False)
        self.norm2 = nn.LayerNorm(HIDDEN, eps=eps)

    def rotary(self, x):
        head_dim = x.shape[-1]
        inv_freq = 1.0 / (self.rotary_base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        angles = torch.arange(x.shape[2], dtype=torch.float32)[:, None] * inv_freq[None, :]
        cos = torch.cat((angles.cos(), angles.cos()), dim=-1)
        sin = torch.cat((angles.sin(), angles.sin()), dim=-1)
        return x * cos + rotate_half(x) * sin

    def forward(self, x, bias):
        q, k, v = self.Wqkv(x).chunk(3, dim=-1)
        context = attend(self.rotary(split_heads(q)), self.rotary(split_heads(k)), split_heads(v), bias)
        x = self.norm1(self.out_proj(context) + x)
        mlp = self.fc2(self.fc11(x) * F.silu(self.fc12(x)))
        return self.norm2(mlp + x)


class NomicBert(nn.Module):
    """NomicBertModel: word + token-type embeddings (no position embeddings; rotary instead), embedding LayerNorm, blocks."""

    def __init__(self, vocab_size, type_vocab_size=2, eps=1e-12, rotary_base=1000):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, HIDDEN)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, HIDDEN)
        self.emb_ln = nn.LayerNorm(HIDDEN, eps=eps)
        self.layers = nn.ModuleList(NomicBertBlock(eps, rotary_base) for _ in range(LAYERS))

    def forward(self, input_ids, token_type_ids, attention_mask):
        x = self.emb_ln(self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids))
        bias = padding_bias(attention_mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


class GPT2Block(nn.Module):
    """GPT-2 block: pre-LN, causal attention, tanh-GELU MLP."""

    def __init__(self, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(HIDDEN, eps=eps)
        self.c_attn = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.c_proj = nn.Linear(HIDDEN, HIDDEN)
        self.ln_2 = nn.LayerNorm(HIDDEN, eps=eps)
        self.c_fc = nn.Linear(HIDDEN, 4 * HIDDEN // 2)
        self.mlp_proj = nn.Linear(4 * HIDDEN // 2, HIDDEN)

    def forward(self, x, bias):
        q, k, v = self.c_attn(self.ln_1(x)).split(HIDDEN, dim=-1)
        x = x + self.c_proj(attend(split_heads(q), split_heads(k), split_heads(v), bias))
        return x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))


class GPT2(nn.Module):
    """GPT2Model: token + learned absolute position embeddings (from position_ids), causal + padding mask, final LayerNorm."""

    def __init__(self, vocab_size, positions, eps=1e-5):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, HIDDEN)
        self.wpe = nn.Embedding(positions, HIDDEN)
        self.blocks = nn.ModuleList(GPT2Block(eps) for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(HIDDEN, eps=eps)

    def forward(self, input_ids, attention_mask, position_ids):
        x = self.wte(input_ids) + self.wpe(position_ids)
        length = input_ids.shape[1]
        causal = torch.tril(torch.ones(length, length, dtype=torch.bool))
        allowed = causal[None, None, :, :] & attention_mask[:, None, None, :].to(torch.bool)
        # One `MIN` per masked score: a row with no allowed key stays finite (uniform), as HF's clamped mask does.
        bias = (1.0 - allowed.to(torch.float32)) * MIN
        for block in self.blocks:
            x = block(x, bias)
        return self.ln_f(x)


class WithSentenceEmbedding(nn.Module):
    """What an ONNX export of a sentence-transformers model carries: token embeddings plus the pooled sentence embedding."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        tokens = self.encoder(input_ids, attention_mask)
        return tokens, mean_pool(tokens, attention_mask)


# ---------------------------------------------------------------------------
# Pooling, as sentence-transformers does it.
# ---------------------------------------------------------------------------


def mean_pool(tokens, mask):
    weights = mask.to(torch.float32).unsqueeze(-1)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def pool(tokens, mask, mode):
    if mode == "mean":
        return mean_pool(tokens, mask)
    if mode == "cls":
        return tokens[:, 0]
    if mode == "last":
        last = mask.sum(dim=1) - 1
        return tokens[torch.arange(tokens.shape[0]), last]
    raise ValueError(mode)


def randomize(module, seed):
    """Weights drawn from a seeded normal, larger than the default init so that every part of the network shows in the output."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if "norm" in name or name.startswith("ln") or ".ln" in name or "emb_ln" in name:
                parameter.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * noise)
            else:
                parameter.copy_(0.3 * noise)
    module.eval()
    return module


# ---------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------


def words_of(texts, drop=()):
    words = set()
    for text in texts:
        for word in re.findall(r"[A-Za-z]+", text):
            words.add(word.lower())
    return sorted(words - set(drop))


def family_specs():
    rng = random.Random(7)
    all_texts = TEXTS + [LONG_TEXT]
    # "exponential" and "backoff" stay out of the vocabularies: they exercise sub-word splitting.
    common_words = words_of(all_texts, drop=("exponential", "backoff"))
    cased_words = sorted(set(re.findall(r"[A-Za-z]+", " ".join(all_texts))) - {"exponential", "backoff"})

    bert_tok = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], common_words, "[CLS]", "[SEP]", "[PAD]", "[UNK]")
    mpnet_tok = WordPieceTokenizer(["<s>", "<pad>", "</s>", "<unk>", "<mask>"], common_words, "<s>", "</s>", "<pad>", "<unk>")
    nomic_tok = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], common_words + ["search", "query", "document"], "[CLS]", "[SEP]", "[PAD]", "[UNK]")
    roberta_tok = ByteLevelBPETokenizer(["<s>", "<pad>", "</s>", "<unk>"], cased_words, ["<s>"], ["</s>"])
    gpt2_tok = ByteLevelBPETokenizer(["<|endoftext|>"], cased_words, [], ["<|endoftext|>"])
    xlmr_tok = UnigramTokenizer(cased_words, rng)

    return [
        {
            "name": "bert",
            "tokenizer": bert_tok,
            "model": lambda: BertLike(len(bert_tok.vocab), 40, 2),
            "inputs": ["input_ids", "attention_mask", "token_type_ids"],
            "config": {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(bert_tok.vocab), "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "max_position_embeddings": 40, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute"},
            "pooling": "cls",
            "max_length": 24,
            "sentence_bert_config": {"max_seq_length": 24, "do_lower_case": False},
            "modules": True,
        },
        {
            "name": "roberta",
            "tokenizer": roberta_tok,
            "model": lambda: BertLike(len(roberta_tok.vocab), 34, 1, padding_idx=1, eps=1e-5),
            "inputs": ["input_ids", "attention_mask"],
            "config": {"model_type": "roberta", "architectures": ["RobertaModel"], "vocab_size": len(roberta_tok.vocab), "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "max_position_embeddings": 34, "type_vocab_size": 1, "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2},
            "pooling": "mean",
            "max_length": 32,
        },
        {
            "name": "xlm-roberta",
            "tokenizer": xlmr_tok,
            "model": lambda: BertLike(len(xlmr_tok.vocab), 42, 1, padding_idx=1, eps=1e-5),
            "inputs": ["input_ids", "attention_mask"],
            "config": {"model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"], "vocab_size": len(xlmr_tok.vocab), "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "max_position_embeddings": 42, "type_vocab_size": 1, "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2},
            # No sentence-transformers files: the family's default (mean) applies.
            "pooling": "mean",
            "max_length": 40,
            "st_pooling": False,
        },
        {
            "name": "mpnet",
            "tokenizer": mpnet_tok,
            "model": lambda: WithSentenceEmbedding(MPNet(len(mpnet_tok.vocab), 34, padding_idx=1)),
            "inputs": ["input_ids", "attention_mask"],
            "outputs": ["token_embeddings", "sentence_embedding"],
            "config": {"model_type": "mpnet", "architectures": ["MPNetModel"], "vocab_size": len(mpnet_tok.vocab), "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "max_position_embeddings": 34, "relative_attention_num_buckets": 32, "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2},
            "pooling": "mean",
            "max_length": 32,
            "modules": True,
        },
        {
            "name": "nomic-bert",
            "tokenizer": nomic_tok,
            "model": lambda: NomicBert(len(nomic_tok.vocab)),
            "inputs": ["input_ids", "token_type_ids", "attention_mask"],
            "config": {"model_type": "nomic_bert", "architectures": ["NomicBertModel"], "vocab_size": len(nomic_tok.vocab), "n_embd": HIDDEN, "n_layer": LAYERS, "n_head": HEADS, "n_inner": INTERMEDIATE, "activation_function": "swiglu", "rotary_emb_fraction": 1.0, "rotary_emb_base": 1000, "rotary_emb_interleaved": False, "prenorm": False, "qkv_proj_bias": False, "mlp_fc1_bias": False, "mlp_fc2_bias": False, "layer_norm_epsilon": 1e-12, "type_vocab_size": 2, "max_trained_positions": 36, "n_positions": 72, "pad_token_id": 0, "causal": False},
            "pooling": "mean",
            "max_length": 36,
            "prefixes": {"query": "search_query: ", "document": "search_document: "},
        },
        {
            "name": "gpt2",
            "tokenizer": gpt2_tok,
            "model": lambda: GPT2(len(gpt2_tok.vocab), 48),
            "inputs": ["input_ids", "attention_mask", "position_ids"],
            "config": {"model_type": "gpt2", "architectures": ["GPT2Model"], "vocab_size": len(gpt2_tok.vocab), "n_embd": HIDDEN, "n_layer": LAYERS, "n_head": HEADS, "n_inner": 4 * HIDDEN // 2, "n_positions": 48, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "bos_token_id": gpt2_tok.vocab["<|endoftext|>"], "eos_token_id": gpt2_tok.vocab["<|endoftext|>"]},
            "pooling": "last",
            "max_length": 48,
        },
    ]


def model_inputs(spec, ids, mask):
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids), "position_ids": torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids).contiguous()}
    return tuple(feeds[name] for name in spec["inputs"])


def token_states(spec, module, ids, mask):
    output = module(*model_inputs(spec, ids, mask))
    return output[0] if isinstance(output, tuple) else output


def embed_one(spec, module, ids):
    """Reference embedding: the text alone (no padding), pooled as sentence-transformers would, L2-normalised."""
    tensor = torch.tensor([ids], dtype=torch.int64)
    mask = torch.ones_like(tensor)
    with torch.no_grad():
        pooled = pool(token_states(spec, module, tensor, mask), mask, spec["pooling"])
    return F.normalize(pooled, dim=-1)[0]


def check_padding_invariance(spec, module, rows, expected):
    """The same texts right-padded in one batch give the same embeddings: the masking is real."""
    width = max(len(row) for row in rows)
    pad = spec["config"].get("pad_token_id") or 0
    ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows], dtype=torch.int64)
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows], dtype=torch.int64)
    with torch.no_grad():
        pooled = F.normalize(pool(token_states(spec, module, ids, mask), mask, spec["pooling"]), dim=-1)
    for row, vector in enumerate(expected):
        assert torch.allclose(pooled[row], vector, atol=1e-5), (spec["name"], row)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, sort_keys=True, ensure_ascii=False)
        handle.write("\n")


def export(spec, index):
    directory = os.path.join(OUT, spec["name"])
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    torch.manual_seed(index)
    module = randomize(spec["model"](), seed=1000 + index)
    tokenizer = spec["tokenizer"]
    max_length = spec["max_length"]

    cases = [{"text": text, "role": "document"} for text in TEXTS] + [{"text": LONG_TEXT, "role": "document", "truncated": True}]
    prefixes = spec.get("prefixes")
    if prefixes:
        cases += [{"text": TEXTS[1], "role": "query"}]
    for case in cases:
        prefix = prefixes[case["role"]] if prefixes else ""
        case["ids"] = tokenizer.encode(prefix + case["text"], max_length)
        assert len(case["ids"]) <= max_length
        if case.get("truncated"):
            assert len(case["ids"]) == max_length, (spec["name"], len(case["ids"]))
    vectors = [embed_one(spec, module, case["ids"]) for case in cases]
    check_padding_invariance(spec, module, [case["ids"] for case in cases], vectors)
    for case, vector in zip(cases, vectors):
        case["embedding"] = [round(float(value), 6) for value in vector]

    width = 7
    dummy_ids = torch.tensor([cases[1]["ids"][:width], cases[4]["ids"][:width]], dtype=torch.int64)
    dummy_mask = torch.ones_like(dummy_ids)
    outputs = spec.get("outputs", ["last_hidden_state"])
    dynamic = {name: {0: "batch_size", 1: "sequence_length"} for name in spec["inputs"]}
    dynamic.update({name: ({0: "batch_size", 1: "sequence_length"} if name != "sentence_embedding" else {0: "batch_size"}) for name in outputs})
    torch.onnx.export(
        module,
        model_inputs(spec, dummy_ids, dummy_mask),
        os.path.join(directory, "model.onnx"),
        input_names=spec["inputs"],
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=14,
        do_constant_folding=True,
    )

    write_json(os.path.join(directory, "config.json"), spec["config"])
    write_json(os.path.join(directory, "tokenizer.json"), tokenizer.to_json())
    if spec.get("st_pooling", True):
        mode = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token", "last": "pooling_mode_lasttoken"}[spec["pooling"]]
        flags = ["pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"]
        write_json(os.path.join(directory, "1_Pooling", "config.json"), {"word_embedding_dimension": HIDDEN, **{flag: flag == mode for flag in flags}, "include_prompt": True})
    if spec.get("modules"):
        write_json(os.path.join(directory, "modules.json"), [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ])
    if spec.get("sentence_bert_config"):
        write_json(os.path.join(directory, "sentence_bert_config.json"), spec["sentence_bert_config"])
    if prefixes:
        # Nomic's models need task prefixes; the optional override file says so.
        write_json(os.path.join(directory, "codegraph-model.json"), {"queryPrefix": prefixes["query"], "documentPrefix": prefixes["document"]})
    write_json(os.path.join(directory, "reference.json"), {
        "family": spec["config"]["model_type"],
        "pooling": spec["pooling"],
        "maxTokens": max_length,
        "dimension": HIDDEN,
        "cases": cases,
    })
    print(f"{spec['name']}: vocab {len(tokenizer.vocab)}, {sum(p.numel() for p in module.parameters())} parameters, {len(cases)} reference texts")


def main():
    os.makedirs(OUT, exist_ok=True)
    for index, spec in enumerate(family_specs()):
        export(spec, index)


if __name__ == "__main__":
    main()
