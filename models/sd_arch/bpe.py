"""A CLIP-format byte-level BPE tokenizer (vocab.json + merges.txt) with a made-up merge list.

The real CLIP vocabulary cannot be downloaded here, so the merges are generated: first the merges that
spell a list of prompt words, then enumerated letter pairs until the vocabulary has the requested size
(49408 for the full-size builds, as CLIP's). The vocabulary is laid out as CLIP's: 256 byte symbols, the
same with "</w>", one token per merge, then <|startoftext|> and <|endoftext|> (the highest id).
`encode` is CLIP's BPE algorithm, used to write the fixtures' token ids.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

BOS, EOS = "<|startoftext|>", "<|endoftext|>"

WORDS = ("a photo of an astronaut riding horse on mars red green blue yellow circle square triangle "
         "background small large two cat dog painting portrait landscape mountain city night sky").split()


def bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def make_merges(vocab_size: int) -> list[tuple[str, str]]:
    """Merges giving a vocabulary of exactly `vocab_size` tokens (512 byte symbols + merges + 2 specials)."""
    count = vocab_size - 512 - 2
    merges: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(a: str, b: str) -> None:
        if len(merges) < count and a + b not in seen:
            seen.add(a + b)
            merges.append((a, b))

    for word in WORDS:  # left to right: ((p h) o) t (o</w>)
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        token = symbols[0]
        for s in symbols[1:]:
            add(token, s)
            token += s
    letters = string.ascii_lowercase
    level = list(letters)
    while len(merges) < count:
        nxt = []
        for a in level:
            for b in letters:
                add(a, b)
                add(a, b + "</w>")
                nxt.append(a + b)
                if len(merges) >= count:
                    break
            if len(merges) >= count:
                break
        level = nxt
    if len(merges) != count:
        raise ValueError(f"could not generate {count} merges")
    return merges


def make_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [BOS, EOS]
    return {t: i for i, t in enumerate(tokens)}


def write(folder: Path, vocab_size: int, pad_token: str, max_length: int) -> dict[str, int]:
    """Writes tokenizer/vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json (CLIPTokenizer)."""
    merges = make_merges(vocab_size)
    vocab = make_vocab(merges)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": pad_token, "unk_token": EOS}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    config = {"add_prefix_space": False, "do_lower_case": True, "errors": "replace", "model_max_length": max_length,
              "name_or_path": "openai/clip-vit-large-patch14", "tokenizer_class": "CLIPTokenizer", **special}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return vocab


class ClipBpe:
    """CLIPTokenizer's encoding (lowercased, ASCII pattern approximation) padded to `length`."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], pad_token: str):
        self.vocab = vocab
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.pad_id = vocab[pad_token]

    def bpe(self, token: str) -> list[str]:
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text: str, length: int) -> list[int]:
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = [self.vocab[BOS]]
        for piece in re.findall(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+", text):
            encoded = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.vocab[t] for t in self.bpe(encoded))
        ids = ids[: length - 1] + [self.vocab[EOS]]
        return ids + [self.pad_id] * (length - len(ids))
