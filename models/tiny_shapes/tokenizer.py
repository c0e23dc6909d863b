"""Word-level tokenizer with CLIP's conventions (bos, eos, pad = eos, fixed length), written as a
Hugging Face tokenizer.json. encode() reimplements exactly what that JSON describes (lowercase,
Whitespace pre-tokenizer, WordLevel lookup, bos/eos template, truncation, fixed padding)."""

from __future__ import annotations

import json
import re

from .data import vocabulary

MAX_LENGTH = 16
BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
UNK = "<|unk|>"
PAD = EOS  # as in Stable Diffusion 1.x's CLIP tokenizer

SPECIALS = [BOS, EOS, UNK]
VOCAB: dict[str, int] = {tok: i for i, tok in enumerate(SPECIALS + vocabulary())}
BOS_ID, EOS_ID, UNK_ID, PAD_ID = VOCAB[BOS], VOCAB[EOS], VOCAB[UNK], VOCAB[PAD]
# The Whitespace pre-tokenizer of HF tokenizers: \w+|[^\w\s]+
_SPLIT = re.compile(r"\w+|[^\w\s]+")


def encode(text: str) -> list[int]:
    words = _SPLIT.findall(text.lower())
    ids = [VOCAB.get(w, UNK_ID) for w in words][: MAX_LENGTH - 2]
    ids = [BOS_ID, *ids, EOS_ID]
    return ids + [PAD_ID] * (MAX_LENGTH - len(ids))


def _added(tok: str) -> dict:
    return {
        "id": VOCAB[tok],
        "content": tok,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def tokenizer_json() -> dict:
    special = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}  # noqa: E731
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": MAX_LENGTH, "strategy": "LongestFirst", "stride": 0},
        "padding": {
            "strategy": {"Fixed": MAX_LENGTH},
            "direction": "Right",
            "pad_to_multiple_of": None,
            "pad_id": PAD_ID,
            "pad_type_id": 0,
            "pad_token": PAD,
        },
        "added_tokens": [_added(t) for t in SPECIALS],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(BOS), {"Sequence": {"id": "A", "type_id": 0}}, special(EOS)],
            "pair": [
                special(BOS),
                {"Sequence": {"id": "A", "type_id": 0}},
                special(EOS),
                {"Sequence": {"id": "B", "type_id": 1}},
                special(EOS),
            ],
            "special_tokens": {t: {"id": t, "ids": [VOCAB[t]], "tokens": [t]} for t in (BOS, EOS)},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": VOCAB, "unk_token": UNK},
    }


def tokenizer_config() -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_LENGTH,
        "padding_side": "right",
        "truncation_side": "right",
        "bos_token": BOS,
        "eos_token": EOS,
        "unk_token": UNK,
        "pad_token": PAD,
        "do_lower_case": True,
        "clean_up_tokenization_spaces": True,
    }


def special_tokens_map() -> dict:
    return {"bos_token": BOS, "eos_token": EOS, "unk_token": UNK, "pad_token": PAD}


def write(folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(), indent=2) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(special_tokens_map(), indent=2) + "\n")
