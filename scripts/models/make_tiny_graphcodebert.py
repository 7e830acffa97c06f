#!/usr/bin/python3
"""Builds test/fixtures/models/graphcodebert-tiny: a randomly initialised, 2-layer
RoBERTa encoder with GraphCodeBERT's input signature (input_ids, a [B, L, L]
attention_mask, position_ids) and its node-embedding averaging step, exported
to ONNX, with a tiny WordPiece tokenizer and reference.json.

reference.json holds, for a few snippets, the inputs this script builds on its
own (code tokens from a small lexer, data-flow edges written out by hand below,
the published recipe's layout re-implemented with numpy) and the model's CLS
embeddings. The engine's tests build the same snippets' inputs from the syntax
tree and must reproduce both.

Run with Debian's Python (torch 1.13, onnx, numpy; no transformers):
    /usr/bin/python3 scripts/models/make_tiny_graphcodebert.py
"""

import json
import math
import os
import re
import string

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'models', 'graphcodebert-tiny')
SEED = 7
HIDDEN = 32
LAYERS = 2
HEADS = 2
INTERMEDIATE = 64
MAX_TOKENS = 96          # the whole window: code, separators and nodes
DATA_FLOW_LENGTH = 20    # positions reserved for nodes
PAD, CLS, SEP, UNK = 1, 0, 2, 3  # RoBERTa's ids: padding_idx 1, so code positions start at 2

# Code tokens are the grammar's leaves; for these snippets this lexer yields the same ones.
LEXER = re.compile(r'"[^"\n]*"|\d+\.\d+|\w+|\+\+|--|\+=|-=|\*=|==|!=|<=|>=|&&|\|\||:=|=>|\.\.\.|[^\s\w]')

# The snippets of test/engine/dataflow.test.ts, with their edges worked out by hand:
# target occurrence -> the occurrences it comes from or is computed from ("name#k": k-th token with that text).
SNIPPETS = [
    {
        'language': 'python',
        'code': '\n'.join([
            'def scale(values, factor=2):',
            '    a = b = factor',
            '    low, high = a, b',
            '    low += high',
            '    if low > 10:',
            '        result = low',
            '    else:',
            '        result = high',
            '    for v in values:',
            '        result = result * v',
            '    return result',
        ]),
        'flows': {
            'factor#2': 'factor#1', 'b#1': 'factor#2', 'a#1': 'b#1', 'a#2': 'a#1', 'b#2': 'b#1',
            'low#1': 'a#2', 'high#1': 'b#2', 'low#2': 'low#1 high#2', 'high#2': 'high#1', 'low#3': 'low#2',
            'result#1': 'low#4', 'low#4': 'low#2', 'result#2': 'high#3', 'high#3': 'high#1',
            'v#1': 'values#2', 'values#2': 'values#1', 'result#3': 'result#4 v#2', 'v#2': 'v#1',
            'result#4': 'result#1 result#2 result#3', 'result#5': 'result#1 result#2 result#3',
        },
    },
    {
        'language': 'javascript',
        'code': '\n'.join([
            'function total(items, tax = 0.2) {',
            '  let sum = 0, count;',
            '  for (let i = 0; i < items.length; i++) {',
            '    sum += items[i];',
            '  }',
            '  const [first, rest] = [sum, tax];',
            '  count = sum > 100 ? first : rest;',
            '  count++;',
            '  return count;',
            '}',
        ]),
        'flows': {
            'items#2': 'items#1', 'items#3': 'items#1', 'i#2': 'i#1 i#3', 'i#3': 'i#1 i#3', 'i#4': 'i#1 i#3',
            'sum#2': 'sum#1 sum#2 items#3 i#4', 'first#1': 'sum#3', 'rest#1': 'tax#2', 'sum#3': 'sum#1 sum#2',
            'tax#2': 'tax#1', 'count#2': 'sum#4 first#2 rest#2', 'sum#4': 'sum#1 sum#2', 'first#2': 'first#1',
            'rest#2': 'rest#1', 'count#3': 'count#2', 'count#4': 'count#3',
        },
    },
    {
        'language': 'java',
        'code': '\n'.join([
            'static int clamp(int value, int low, int high) {',
            '    int result = value;',
            '    if (value < low) {',
            '        result = low;',
            '    } else if (value > high) {',
            '        result = high;',
            '    }',
            '    int steps = 0;',
            '    while (result > high) {',
            '        result -= 1;',
            '        steps++;',
            '    }',
            '    return result + steps;',
            '}',
        ]),
        'flows': {
            'result#1': 'value#2', 'value#2': 'value#1', 'value#3': 'value#1', 'low#2': 'low#1',
            'result#2': 'low#3', 'low#3': 'low#1', 'value#4': 'value#1', 'high#2': 'high#1',
            'result#3': 'high#3', 'high#3': 'high#1', 'result#4': 'result#1 result#2 result#3 result#5',
            'high#4': 'high#1', 'result#5': 'result#1 result#2 result#3 result#5', 'steps#2': 'steps#1 steps#2',
            'result#6': 'result#1 result#2 result#3 result#5', 'steps#3': 'steps#1 steps#2',
        },
    },
    {
        'language': 'go',
        'code': '\n'.join([
            'func split(path string, sep byte) (head, tail string) {',
            '\ti := len(path) - 1',
            '\tfor i >= 0 && path[i] != sep {',
            '\t\ti--',
            '\t}',
            '\tif i < 0 {',
            '\t\treturn "", path',
            '\t}',
            '\thead, tail = path[:i], path[i+1:]',
            '\treturn',
            '}',
        ]),
        'flows': {
            'i#1': 'len#1 path#2', 'path#2': 'path#1', 'i#2': 'i#1 i#4', 'path#3': 'path#1', 'i#3': 'i#1 i#4',
            'sep#2': 'sep#1', 'i#4': 'i#1 i#4', 'i#5': 'i#1 i#4', 'path#4': 'path#1',
            'head#2': 'path#5 i#6', 'tail#2': 'path#6 i#7', 'path#5': 'path#1', 'path#6': 'path#1',
            'i#6': 'i#1 i#4', 'i#7': 'i#1 i#4',
        },
    },
]

QUERIES = ['clamp a value between low and high', 'split a path at the last separator']

WORDS = ['def', 'return', 'for', 'in', 'if', 'else', 'while', 'function', 'let', 'const', 'static', 'int', 'func',
         'string', 'byte', 'len', 'path', 'value', 'low', 'high', 'result', 'sum', 'count', 'items', 'total', 'scale',
         'clamp', 'split', 'head', 'tail', 'sep', 'steps', 'first', 'rest', 'tax', 'factor', 'values', 'a', 'between',
         'and', 'the', 'at', 'last', 'separator', 'length']
PIECES = ['##s', '##es', '##ue', '##al', '##er', '##ing', '##ath', '##ult']


def build_vocab():
    tokens = ['<s>', '<pad>', '</s>', '<unk>']
    chars = string.ascii_letters + string.digits + '_' + string.punctuation
    for word in WORDS + list(chars) + PIECES + ['##' + c for c in chars]:
        if word not in tokens:
            tokens.append(word)
    return {token: index for index, token in enumerate(tokens)}


def wordpiece(text, vocab):
    """Whitespace pre-tokenizer + greedy longest-match WordPiece, as tokenizer.json describes."""
    ids = []
    for word in re.findall(r'\w+|[^\w\s]+', text):
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else '##' + word[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [UNK]
                break
            pieces.append(vocab[piece])
            start = end
        ids.extend(pieces)
    return ids


def graphcodebert_inputs(code, flows, vocab):
    """The published recipe's layout for one snippet, re-implemented on code tokens and hand-written flows."""
    leaves = LEXER.findall(code)
    seen, labels = {}, []
    for leaf in leaves:
        seen[leaf] = seen.get(leaf, 0) + 1
        labels.append('%s#%d' % (leaf, seen[leaf]))
    leaf_of = {label: index for index, label in enumerate(labels)}
    sources = {leaf_of[target]: [leaf_of[s] for s in text.split()] for target, text in flows.items()}
    nodes = sorted(set(sources) | {s for group in sources.values() for s in group})

    # Sub-words per code token, and the range each code token covers.
    pieces, ranges = [], []
    for index, leaf in enumerate(leaves):
        ids = wordpiece(leaf if index == 0 else '@ ' + leaf, vocab)[0 if index == 0 else 1:]
        ranges.append((len(pieces), len(pieces) + len(ids)))
        pieces.extend(ids)

    window = MAX_TOKENS
    code_ids = pieces[:window - 2 - min(len(nodes), DATA_FLOW_LENGTH)]
    n = len(code_ids) + 2
    nodes = nodes[:window - n]
    length = n + len(nodes)
    input_ids = [CLS] + code_ids + [SEP] + [UNK] * len(nodes)
    position_ids = list(range(2, 2 + n)) + [0] * len(nodes)
    mask = np.zeros((length, length), dtype=np.int64)
    mask[:n, :n] = 1
    mask[0, :] = 1
    mask[n - 1, :] = 1
    node_index = {leaf: i for i, leaf in enumerate(nodes)}
    for i, leaf in enumerate(nodes):
        a, b = ranges[leaf]
        # +1 for [CLS]; tokens cut off by truncation keep no link.
        a, b = min(a + 1, n - 1), min(b + 1, n - 1)
        mask[n + i, a:b] = 1
        mask[a:b, n + i] = 1
        for source in sources.get(leaf, []):
            if source in node_index:
                mask[n + i, n + node_index[source]] = 1
        if mask[n + i].sum() == 0:
            mask[n + i, n + i] = 1  # nothing left to attend to: itself, not the padding
    return input_ids, position_ids, mask


def query_inputs(text, vocab):
    ids = wordpiece(text, vocab)[:MAX_TOKENS - 2]
    input_ids = [CLS] + ids + [SEP]
    n = len(input_ids)
    return input_ids, list(range(2, 2 + n)), np.ones((n, n), dtype=np.int64)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.attention_out = nn.Linear(HIDDEN, HIDDEN)
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.intermediate = nn.Linear(HIDDEN, INTERMEDIATE)
        self.output = nn.Linear(INTERMEDIATE, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=1e-5)

    def forward(self, x, bias):
        batch, length, _ = x.shape
        head = HIDDEN // HEADS

        def split(t):
            return t.view(batch, length, HEADS, head).transpose(1, 2)

        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(head) + bias
        context = (torch.softmax(scores, dim=-1) @ split(self.value(x))).transpose(1, 2).reshape(batch, length, HIDDEN)
        x = self.attention_norm(x + self.attention_out(context))
        return self.output_norm(x + self.output(nn.functional.gelu(self.intermediate(x))))


class TinyGraphCodeBert(nn.Module):
    """RoBERTa embeddings and encoder; a data-flow node's input embedding is the mean of its code tokens'."""

    def __init__(self, vocab_size):
        super().__init__()
        self.words = nn.Embedding(vocab_size, HIDDEN, padding_idx=PAD)
        self.positions = nn.Embedding(MAX_TOKENS + 2, HIDDEN, padding_idx=PAD)
        self.token_type = nn.Parameter(torch.randn(HIDDEN) * 0.02)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, input_ids, attention_mask, position_ids):
        mask = attention_mask.to(torch.float32)
        nodes = (position_ids == 0).to(torch.float32)
        code = (position_ids >= 2).to(torch.float32)
        node_to_code = nodes[:, :, None] * code[:, None, :] * mask
        node_to_code = node_to_code / (node_to_code.sum(-1, keepdim=True) + 1e-10)
        words = self.words(input_ids)
        averaged = torch.bmm(node_to_code, words)
        x = words * (1.0 - nodes)[:, :, None] + averaged * nodes[:, :, None]
        x = self.norm(x + self.positions(position_ids) + self.token_type)
        bias = (1.0 - mask)[:, None, :, :] * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x


def pad_batch(examples):
    width = max(len(ids) for ids, _, _ in examples)
    ids = torch.full((len(examples), width), PAD, dtype=torch.long)
    positions = torch.full((len(examples), width), 1, dtype=torch.long)
    masks = torch.zeros((len(examples), width, width), dtype=torch.long)
    for row, (i, p, m) in enumerate(examples):
        ids[row, :len(i)] = torch.tensor(i)
        positions[row, :len(p)] = torch.tensor(p)
        masks[row, :len(i), :len(i)] = torch.from_numpy(m)
    return ids, masks, positions


def main():
    torch.manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    vocab = build_vocab()
    model = TinyGraphCodeBert(len(vocab)).eval()

    documents = [graphcodebert_inputs(s['code'], s['flows'], vocab) for s in SNIPPETS]
    queries = [query_inputs(q, vocab) for q in QUERIES]
    with torch.no_grad():
        alone = [model(*pad_batch([e]))[0, 0].numpy() for e in documents + queries]
        batched = model(*pad_batch(documents + queries))[:, 0].numpy()
    drift = float(np.abs(np.stack(alone) - batched).max())
    assert drift < 1e-5, 'CLS embeddings must not depend on padding (max difference %g)' % drift

    example = pad_batch(documents[:2])
    torch.onnx.export(
        model, example, os.path.join(OUT, 'model.onnx'), opset_version=14,
        input_names=['input_ids', 'attention_mask', 'position_ids'], output_names=['last_hidden_state'],
        dynamic_axes={'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence', 2: 'sequence'},
                      'position_ids': {0: 'batch', 1: 'sequence'}, 'last_hidden_state': {0: 'batch', 1: 'sequence'}})

    added = [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
             for t, i in vocab.items() if i < 4]
    tokenizer = {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added, 'normalizer': None,
        'pre_tokenizer': {'type': 'Whitespace'}, 'post_processor': None, 'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '<unk>', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }
    config = {
        'model_type': 'roberta', 'architectures': ['RobertaModel'], 'vocab_size': len(vocab), 'hidden_size': HIDDEN,
        'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS, 'intermediate_size': INTERMEDIATE, 'hidden_act': 'gelu',
        'max_position_embeddings': MAX_TOKENS + 2, 'type_vocab_size': 1, 'layer_norm_eps': 1e-5,
        'pad_token_id': PAD, 'bos_token_id': CLS, 'eos_token_id': SEP,
    }
    manifest = {
        'id': 'graphcodebert-tiny-test', 'onnx': 'model.onnx', 'tokenizer': 'tokenizer.json', 'dimension': HIDDEN,
        'maxTokens': MAX_TOKENS, 'pooling': 'cls', 'normalize': True, 'outputName': 'last_hidden_state', 'charsPerToken': 3,
        'input': 'graphcodebert-dfg', 'dataFlowLength': DATA_FLOW_LENGTH,
        'training': {'kind': 'random initialisation (not trained): a test fixture', 'seed': SEED,
                     'script': 'scripts/models/make_tiny_graphcodebert.py'},
    }

    def record(inputs, vector):
        ids, positions, mask = inputs
        return {'inputIds': ids, 'positionIds': positions, 'attentionMask': [''.join(str(v) for v in row) for row in mask],
                'cls': [round(float(v), 7) for v in vector]}

    reference = {
        'maxTokens': MAX_TOKENS, 'dataFlowLength': DATA_FLOW_LENGTH,
        'documents': [dict({'language': s['language'], 'code': s['code']}, **record(e, v)) for s, e, v in zip(SNIPPETS, documents, alone)],
        'queries': [dict({'text': q}, **record(e, v)) for q, e, v in zip(QUERIES, queries, alone[len(documents):])],
    }
    for name, value in [('tokenizer.json', tokenizer), ('config.json', config), ('codegraph-model.json', manifest), ('reference.json', reference)]:
        with open(os.path.join(OUT, name), 'w') as handle:
            json.dump(value, handle, indent=1 if name == 'reference.json' else 2)
            handle.write('\n')
    print('wrote %s (vocab %d, documents %s tokens)' % (os.path.normpath(OUT), len(vocab), [len(d[0]) for d in documents]))


if __name__ == '__main__':
    main()
