"""The run configuration: one frozen object, saved beside the results and compared on resume.

Presets
-------
``paper``   facebook/opt-125m on WikiText-2 (hub), the release's hyperparameters (lr 2e-5
            annealed per epoch to 1e-6, batch 128, fp32), 5 seeds, 10 generations, 64-token
            blocks and continuations; also what a real ``--model`` without ``--preset`` gets.
``offline`` the synthetic language and a tiny OPT pretrained on it, the paper's
            protocol (5 seeds, 10 generations) on 512 training blocks: well under an
            hour on a laptop CPU.
``quick``   ``offline`` shrunk to minutes on 2 CPU cores: 2 seeds, 6 generations,
            256 training blocks, a stand-in pretrained on 150,000 tokens for 3 epochs
            (4 min 40 s wall on this project's shared 2-core machine, load about 4).

The decoding axis (``--decoding``, :func:`decoding_settings`) adds setting 1 written with
other decodings than the protocol's beam search.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_positive_real

from collapse.llm.limits import LIMITS
from collapse.llm.model import TinyOPT
from collapse.llm.train import TrainConfig

__all__ = ["Setting", "SyntheticConfig", "ExperimentConfig", "PAPER_SETTINGS", "SETTING_NAMES", "LIMITS", "preset",
           "config_from_dict", "parse_settings", "decoding_settings"]



@dataclasses.dataclass(frozen=True)
class Setting:
    """One arm of the experiment.

    name               directory name and legend label
    epochs             fine-tuning epochs per generation
    keep_real          fraction of each generation's training blocks that are real
    repetition_penalty beam-search repetition penalty (1.0 = none)
    decoding           how the generations write their data (:func:`collapse.llm.generate.parse_decoding`:
                       ``greedy``, ``sample``, ``topp0.9``...); "" is the protocol's ``num_beams``-way beam search
    """

    name: str
    epochs: int
    keep_real: float = 0.0
    repetition_penalty: float = 1.0
    decoding: str = ""

    def __post_init__(self):
        check_int(f"settings[{self.name}].epochs", self.epochs, minimum=1)
        if not 0.0 <= self.keep_real <= 1.0:
            raise InvalidArgument(f"settings[{self.name}].keep_real", "a fraction in [0, 1]", self.keep_real)
        check_positive_real(f"settings[{self.name}].repetition_penalty", self.repetition_penalty)
        if self.decoding:
            from collapse.llm.generate import parse_decoding  # light: numpy and the validation helpers

            parse_decoding(self.decoding)

    def decoder(self, num_beams: int):
        """The :class:`collapse.llm.generate.Decoding` of this setting (``num_beams``: the protocol's width)."""
        from collapse.llm.generate import Decoding, parse_decoding

        return parse_decoding(self.decoding) if self.decoding else Decoding("beam", num_beams)


#: the paper's two settings and its repetition ablation (section "Ablation: Repetitions")
PAPER_SETTINGS = (
    Setting("no-data-kept", epochs=5),
    Setting("10pct-kept", epochs=10, keep_real=0.1),
    Setting("repetition-penalty", epochs=5, repetition_penalty=2.0),
)
SETTING_NAMES = tuple(s.name for s in PAPER_SETTINGS)


def decoding_settings(names, num_beams: int = 5) -> tuple[Setting, ...]:
    """Setting 1 (no data kept, 5 epochs) written with each decoding of ``names`` (``--decoding``), named
    ``decoding-NAME``; the protocol's ``beamB`` (``B = num_beams``) is setting 1 itself and adds none."""
    from collapse.llm.generate import parse_decoding

    out = []
    for n in names:
        d = parse_decoding(n)
        if d.kind == "beam" and d.num_beams == num_beams:
            continue
        out.append(Setting(f"decoding-{d.name}", epochs=PAPER_SETTINGS[0].epochs, decoding=d.name))
    return tuple(out)


def parse_settings(text: str) -> tuple[str, ...]:
    """The setting names of a comma-separated list (``--settings``), each known and given once.

    >>> parse_settings("10pct-kept, no-data-kept")
    ('10pct-kept', 'no-data-kept')
    """
    names = [t.strip() for t in str(text).split(",")]
    valid = "comma-separated names from " + ", ".join(SETTING_NAMES)
    if "" in names:
        raise InvalidArgument("settings", valid, f"{text} (an empty name)")
    unknown = [n for n in names if n not in SETTING_NAMES]
    if unknown:
        raise InvalidArgument("settings", valid, f"{text} (unknown: {', '.join(unknown)})")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidArgument("settings", valid + ", each once", f"{text} (twice: {', '.join(twice)})")
    return tuple(names)


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """The offline world: the true language (:func:`llm.synthetic.make_language`), corpus sizes in tokens,
    and the stand-in's pretraining (on text with the same words but other dynamics)."""

    n_words: int = 400
    n_topics: int = 6
    n_sentence_types: int = 8
    mean_sentence_words: float = 10.0
    topic_tilt: float = 2.0
    zipf_exponent: float = 1.1
    skip: float = 0.15
    topic_switch: float = 0.1
    type_order: float = 0.8
    line_break: float = 0.35
    train_tokens: int = 32768
    valid_tokens: int = 8192
    test_tokens: int = 8192
    pretrain_tokens: int = 300_000
    pretrain_epochs: int = 4
    pretrain_mix: float = 0.5
    pretrain_lr: float = 3e-3
    arch: TinyOPT = TinyOPT()


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    """Everything that decides the results (execution details such as the device are not in it)."""

    model: str = "synthetic"
    data: str = "synthetic"
    block_size: int = 64
    new_tokens: int = 64
    num_beams: int = 5
    generations: int = 10
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    settings: tuple[Setting, ...] = PAPER_SETTINGS
    lr: float = 2e-5
    min_lr: float = 1e-6
    weight_decay: float = 0.01
    batch_size: int = 128
    schedule: str = "epoch"
    max_blocks: int = 0
    data_seed: int = 20240724
    n_examples: int = 3
    synthetic: SyntheticConfig = SyntheticConfig()
    #: training, beam search and scoring: fp32 (the release), or bf16 / fp16 mixed precision
    dtype: str = "fp32"

    def __post_init__(self):
        check_int("block_size", self.block_size, minimum=2, maximum=LIMITS["block_size"])
        check_int("new_tokens", self.new_tokens, minimum=1, maximum=LIMITS["new_tokens"])
        check_int("num_beams", self.num_beams, minimum=1, maximum=LIMITS["num_beams"])
        check_int("generations", self.generations, minimum=1, maximum=LIMITS["generations"])
        check_int("max_blocks", self.max_blocks, minimum=0, maximum=LIMITS["max_blocks"])
        check_choice("dtype", self.dtype, ("fp32", "bf16", "fp16"))
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or len(self.seeds) > LIMITS["seeds"]:
            raise InvalidArgument("seeds", f"a non-empty list of at most {LIMITS['seeds']} distinct seeds",
                                  self.seeds)
        for s in self.seeds:
            check_int("seeds[]", s, minimum=0, maximum=2 ** 32 - 1)
        for s in self.settings:
            self.train_config(s)  # validates the optimiser settings now, not at the first generation
        names = [s.name for s in self.settings]
        if not names or len(set(names)) != len(names):
            raise InvalidArgument("settings", "a non-empty list of settings with distinct names", names)
        if self.model == "synthetic" and self.data != "synthetic":
            raise InvalidArgument("data", "'synthetic' with the synthetic stand-in model (other data needs a real "
                                  "model: a local model folder or a hub id)", self.data)
        if self.model != "synthetic" and self.data == "synthetic":
            raise InvalidArgument("data", "'wikitext', a local WikiText-2 folder or a text file with a real model "
                                  "(the synthetic language has its own tokenizer and stand-in)", self.data)
        if self.model == "synthetic":  # known before the stand-in is pretrained; real models: llm.model.check_context
            ctx = self.synthetic.arch.max_position_embeddings
            if self.block_size + self.new_tokens > ctx:
                raise InvalidArgument("block_size", f"block_size + new_tokens <= the model's context of {ctx} tokens",
                                      f"{self.block_size} + {self.new_tokens} = {self.block_size + self.new_tokens}")
        if self.generations > 1 and self.new_tokens != self.block_size:
            raise InvalidArgument("new_tokens", f"block_size ({self.block_size}) with more than one generation (a "
                                  "generation's continuations are the next one's training blocks, and setting "
                                  "10pct-kept puts real blocks among them)", self.new_tokens)

    def train_config(self, setting: Setting) -> TrainConfig:
        return TrainConfig(epochs=setting.epochs, lr=self.lr, min_lr=self.min_lr, weight_decay=self.weight_decay,
                           batch_size=self.batch_size, schedule=self.schedule, dtype=self.dtype)

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise InvalidArgument("setting", "one of " + ", ".join(s.name for s in self.settings), name)


def preset(name: str, **overrides: Any) -> ExperimentConfig:
    """The named preset with ``overrides`` (``None`` values are ignored)."""
    check_choice("preset", name, ("paper", "offline", "quick"))
    base: dict[str, Any] = {}
    if name == "paper":
        base = dict(model="facebook/opt-125m", data="wikitext")
    elif name == "offline":
        # a from-scratch tiny model needs a larger step than OPT-125m's 2e-5
        base = dict(lr=1e-3, min_lr=1e-5, batch_size=32)
    elif name == "quick":
        base = dict(lr=1e-3, min_lr=1e-5, batch_size=32, generations=6, seeds=(0, 1), max_blocks=256,
                    synthetic=SyntheticConfig(train_tokens=256 * 64 + 512, pretrain_tokens=150_000, pretrain_epochs=3))
    base.update({k: v for k, v in overrides.items() if v is not None})
    return ExperimentConfig(**base)


def config_from_dict(d: dict[str, Any]) -> ExperimentConfig:
    """Rebuild a config saved as JSON by :func:`collapse.core.runio.save_json`."""
    d = dict(d)
    d["seeds"] = tuple(d["seeds"])
    d["settings"] = tuple(Setting(**s) for s in d["settings"])
    syn = dict(d["synthetic"])
    syn["arch"] = TinyOPT(**syn["arch"])
    d["synthetic"] = SyntheticConfig(**syn)
    return ExperimentConfig(**d)
