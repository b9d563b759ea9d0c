"""The language-model experiment (paper section "Model collapse in language models").

A causal language model is fine-tuned on real text (generation 0); each
generation then writes the next generation's training set by 5-way beam search
from real prompts, and the next model, again starting from the pretrained
weights, is fine-tuned on it (Fig. 1b, 1c, Example 1, the repetition ablation).

Two worlds run through the same code:

- the paper's: ``facebook/opt-125m`` and WikiText-2 (``datasets`` or a local
  directory of ``wiki.*.raw`` / ``wiki.*.tokens`` files);
- an offline one that runs on a laptop CPU: a synthetic language with a known
  ground-truth distribution (:mod:`collapse.llm.synthetic`, a hidden Markov model over a
  Zipf-distributed vocabulary) and a small OPT pretrained from scratch on a
  separate, slightly shifted sample of it. Because the truth is known, each
  generation can be scored exactly (:mod:`collapse.llm.groundtruth`).

Modules
-------
config      frozen run configuration and the paper's settings
limits      the largest value of every size and rate (the command line enforces them when it parses)
synthetic   the ground-truth language, its corpus and tokenizer
data        corpora -> per-line tokenization -> fixed-length blocks; real-data mixing
model       loading (hub id, local directory or the synthetic stand-in), checkpoints
train       fine-tuning with best-validation checkpoint selection
generate    batched deterministic beam search with exactly ``n`` new tokens
evaluate    per-sequence and corpus perplexity
groundtruth exact scores under the true language; the discrete-chain prediction
world       what the chains share: real blocks, the pretrained stand-in, the truth; the run folder
chain       one setting and seed, generation by generation (:class:`chain.Chain`, its one context)
summary     the summary files, one row per setting / seed / generation
experiment  the resumable generational loop (:func:`run`, :func:`run_quick`)
bench       training / generation throughput and batched-generation speed-up

Use
---
Command line::

    collapse llm run --quick            # offline: both settings + ablation, 2 seeds, 6 generations
    collapse llm run                    # offline preset: 5 seeds, 10 generations, 512 blocks
    collapse llm run --preset paper     # facebook/opt-125m on WikiText-2 (hub; a GPU: --device cuda)
    collapse llm run --model DIR --data WIKITEXT_DIR   # local model and local WikiText-2 files
    collapse figures llm --out results/llm
    collapse bench llm

Rerunning the same command resumes; other options on the same ``--out`` are
refused (``--force`` starts over). From Python: :func:`llm.experiment.run` (any
:class:`llm.config.ExperimentConfig`) and :func:`llm.experiment.run_quick`.

Nothing heavy is imported here: torch and transformers load inside functions.
"""

from __future__ import annotations

__all__: list[str] = []
