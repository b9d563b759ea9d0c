"""The language-model experiment (paper section "Model collapse in language models").

A causal language model is fine-tuned on real text (generation 0); each
generation then writes the next generation's training set by 5-way beam search
from real prompts, and the next model, again starting from the pretrained
weights, is fine-tuned on it (Fig. 1b, 1c, Example 1, the repetition ablation).

Two worlds run through the same code:

- the paper's: ``facebook/opt-125m`` and WikiText-2 (``datasets`` or a local
  directory of ``wiki.*.raw`` / ``wiki.*.tokens`` files), or any Hugging Face causal LM
  (GPT-2, GPT-NeoX / Pythia, Llama-style such as SmolLM2, Qwen2...: ``AutoModelForCausalLM``
  and its own tokenizer), or a tiny model pretrained here on the user's text
  (:mod:`collapse.llm.pretrain`) when the hub cannot be reached;
- an offline one that runs on a laptop CPU: a synthetic language with a known
  ground-truth distribution (:mod:`collapse.llm.synthetic`, a hidden Markov model of
  sentences over a Zipf-weighted vocabulary, on which beam search writes varied text, not
  loops) and a small OPT pretrained from scratch on a
  separate, slightly shifted sample of it. Because the truth is known, each
  generation can be scored exactly (:mod:`collapse.llm.groundtruth`).

Modules
-------
config      frozen run configuration and the paper's settings
limits      the largest value of every size and rate (the command line enforces them when it parses)
synthetic   the ground-truth language, its corpus and tokenizer
data        corpora (the hub's lines from local files, the variant) -> per-line tokenization (its convention
            probed and recorded) -> fixed-length blocks; real-data mixing
model       loading any causal LM (hub id or local directory, fp32 weights), checkpoints, precision (--dtype)
pretrain    a byte-level BPE tokenizer and a tiny OPT / GPT-2 trained on local text (``llm pretrain``)
train       fine-tuning with best-validation checkpoint selection
generate    decoding with exactly ``n`` new tokens: beam search (the paper's), greedy, sampling (temperature,
            top-k, top-p): the decoding axis
evaluate    per-sequence and corpus perplexity; the diversity of text (distinct tokens, loops)
groundtruth exact scores under the true language; the discrete-chain prediction
world       what the chains share: real blocks, the pretrained stand-in, the truth; the run folder
chain       one setting and seed, generation by generation (:class:`chain.Chain`, its one context)
summary     the summary files, one row per setting / seed / generation
experiment  the resumable generational loop (:func:`run`, :func:`run_quick`)
parallel    chains side by side in worker processes (``--workers``; the CPU's cores)
claims      the five claims of Fig. 1 and of the repetition ablation, decided on a run's own data
bench       where the time goes: training, scoring, decoding and the ground truth; batched-decoding speed-up

Use
---
Command line::

    collapse llm run --quick            # offline: both settings + ablation, 2 seeds, 6 generations
    collapse llm run --quick --settings no-data-kept --decoding beam5,greedy,sample,temp0.7,topk20,topp0.9 \
        --out results/llm-decoding      # the decoding axis
    collapse llm run                    # offline preset: 5 seeds, 10 generations, 512 blocks
    collapse llm run --preset paper     # facebook/opt-125m on WikiText-2 (hub; a GPU: --device cuda)
    collapse llm run --model DIR --data WIKITEXT_DIR   # local model and local WikiText-2 files
    collapse llm pretrain --data WIKITEXT_DIR --out MODEL_DIR   # no hub: a tiny model of this text
    collapse llm run --model MODEL_DIR --data WIKITEXT_DIR
    collapse figures llm --out results/llm
    collapse bench llm

``--model DIR --data DIR`` without ``--preset`` runs the paper's protocol with the paper's
hyperparameters (the ``paper`` preset: AdamW lr 2e-5 annealed per epoch to 1e-6, batch 128,
fp32, 5 seeds, 10 generations; 5 / 10 / 5 epochs for the three settings); every option
overrides its value, e.g. ``--generations 2 --seeds 1 --max-blocks 512`` for a short run,
``--dtype bf16`` for mixed precision on a GPU. The data's variant (raw ``wikitext-2-raw-v1``
or the tokenized ``.tokens`` files, a different corpus) and the tokenizer's line convention
(``</s>`` before every line for OPT, nothing for GPT-2...) are recorded in the run's notes
(``data/blocks.npz``); the precision in its config (``run.json``).

Rerunning the same command resumes; other options on the same ``--out`` are
refused (``--force`` starts over). From Python: :func:`llm.experiment.run` (any
:class:`llm.config.ExperimentConfig`) and :func:`llm.experiment.run_quick`.

Nothing heavy is imported here: torch and transformers load inside functions.
"""

from __future__ import annotations

__all__: list[str] = []
