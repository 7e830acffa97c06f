#!/usr/bin/env python3
"""The engine's text pipeline in pure Python: manifest pre-processing
(split-identifiers, lowercase) and the WordPiece tokenizer of a tokenizer.json
with a Whitespace pre-tokenizer. Mirrors engine/text/identifiers.ts,
engine/embedding/preprocess.ts and @huggingface/tokenizers (JavaScript regex
semantics: ASCII word characters, JavaScript's whitespace set).

    python3 training/tokenization.py --tokenizer tokenizer.json --input texts.jsonl

prints one JSON list of token ids per input line ({"text": ...}); the parity
test compares them with the Node engine's ids.
"""
import argparse
import json
import re
import sys

JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
PRE_TOKENIZE = re.compile(r"[A-Za-z0-9_]+|[^A-Za-z0-9_" + JS_SPACE + r"]+")
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
CAMEL_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_identifier(identifier):
    parts = []
    for piece in re.split(r"[_$]+", identifier):
        if piece:
            parts.extend(match.lower() for match in CAMEL_PARTS.findall(piece))
    return parts


def split_identifiers_in_text(text):
    def replace(match):
        parts = split_identifier(match.group(0))
        return " ".join(parts) if parts else match.group(0)

    return IDENTIFIER.sub(replace, text)


def preprocess(text, steps):
    for step in steps:
        if step == "split-identifiers":
            text = split_identifiers_in_text(text)
        elif step == "lowercase":
            text = text.lower()
        elif step == "collapse-whitespace":
            text = re.sub("[" + JS_SPACE + "]+", " ", text).strip()
    return text


class WordPiece:
    def __init__(self, tokenizer_json):
        model = tokenizer_json["model"]
        assert model["type"] == "WordPiece" and tokenizer_json["pre_tokenizer"]["type"] == "Whitespace"
        self.vocab = model["vocab"]
        self.unk = self.vocab[model["unk_token"]]
        self.prefix = model.get("continuing_subword_prefix", "##")
        self.max_chars = model.get("max_input_chars_per_word", 100)

    def encode(self, text):
        ids = []
        for word in PRE_TOKENIZE.findall(text):
            if word in self.vocab:
                ids.append(self.vocab[word])
                continue
            if len(word) > self.max_chars:
                ids.append(self.unk)
                continue
            pieces, start = [], 0
            while start < len(word):
                end, found = len(word), None
                while start < end:
                    piece = (self.prefix if start > 0 else "") + word[start:end]
                    if piece in self.vocab:
                        found = self.vocab[piece]
                        break
                    end -= 1
                if found is None:
                    pieces = [self.unk]
                    break
                pieces.append(found)
                start = end
            ids.extend(pieces)
        return ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--preprocess", default="split-identifiers,lowercase")
    parser.add_argument("--max-tokens", type=int, default=0)
    args = parser.parse_args()
    with open(args.tokenizer, encoding="utf-8") as handle:
        tokenizer = WordPiece(json.load(handle))
    steps = [step for step in args.preprocess.split(",") if step]
    with open(args.input, encoding="utf-8") as handle:
        for line in handle:
            ids = tokenizer.encode(preprocess(json.loads(line)["text"], steps))
            if args.max_tokens and len(ids) > args.max_tokens:
                ids = ids[: args.max_tokens - 1] + ids[-1:]
            sys.stdout.write(json.dumps(ids) + "\n")


if __name__ == "__main__":
    main()
