"""Models: loading by hub id or local directory, the tiny OPT stand-in, checkpoints, seeding, devices, precision.

Any Hugging Face causal LM loads (:func:`load_pretrained`: ``AutoModelForCausalLM`` and
``AutoTokenizer``): OPT, GPT-2, GPT-NeoX / Pythia, Llama-style (SmolLM2), Qwen2...; what
its tokenizer does to each line is probed and recorded (:func:`collapse.llm.data.line_convention`).

Precision: fp32 unless asked (the release trains in fp32). :func:`precision` sets, for the
code run inside it, the autocast dtype that training, beam search and scoring use
(:func:`autocast_dtype`); ``bf16`` and ``fp16`` are mixed precision (torch autocast; fp16
training with a gradient scaler), ``fp32`` none.

Torch seeding lives here (:func:`seed_torch`) and nowhere else.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import os
import re
import socket
from pathlib import Path
from typing import Any

from collapse.core.runio import atomic_write_bytes
from collapse.core.validation import InvalidArgument, check_choice, check_memory

__all__ = [
    "TinyOPT", "hub_reachable", "load_pretrained", "resolve_device", "seed_torch", "save_checkpoint",
    "load_checkpoint", "state_to_cpu", "check_context", "check_model_name", "check_fits", "checkpoint_bytes",
    "DTYPES", "precision", "autocast_dtype", "check_dtype", "describe_model",
]

#: the precisions a run may use (``--dtype``); fp32 is the release's
DTYPES = ("fp32", "bf16", "fp16")
_PRECISION: contextvars.ContextVar[str] = contextvars.ContextVar("collapse_llm_precision", default="fp32")

MODEL_EXPECTED = ("'synthetic', a local model folder (holding config.json, as save_pretrained writes it) or a "
                  "Hugging Face hub id (facebook/opt-125m)")
#: a hub id: ``name`` or ``owner/name``, letters, digits, ``-``, ``_``, ``.`` (not first), at most 96 each
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def _looks_local(text: str) -> bool:
    """Whether ``text`` is written as a file-system path (not a hub id)."""
    return (text.startswith(("/", "./", "../", "~", ".\\")) or text in (".", "..") or "\\" in text
            or text.count("/") > 1 or text.endswith("/") or os.sep != "/" and os.sep in text)


def check_model_name(model: str) -> str:
    """``model`` if it can name a model: 'synthetic', a local model folder, or a hub id (nothing is loaded).

    An existing path must be a folder holding ``config.json``; a path that does not exist is refused
    when it is written as one (``./m``, ``/data/opt``, ``~/m``, ``a/b/c``); anything else must have
    the form of a hub id, whose reachability :func:`load_pretrained` checks.
    """
    text = str(model)
    if text == "synthetic":
        return text
    if not text.strip() or text != text.strip() or "\0" in text:
        raise InvalidArgument("model", MODEL_EXPECTED, text)
    path = Path(text).expanduser()
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:
        raise InvalidArgument("model", MODEL_EXPECTED, f"{text} ({exc.strerror or type(exc).__name__})") from None
    if is_dir:
        if not (path / "config.json").is_file():
            raise InvalidArgument("model", "a model folder holding config.json (as save_pretrained writes it)",
                                  f"{text} (a folder without config.json)")
        return text
    if exists:
        raise InvalidArgument("model", "a model folder holding config.json", f"{text} (a file, not a folder)")
    if _looks_local(text):
        raise InvalidArgument("model", "an existing local model folder", f"{text} (no such folder)")
    if ".." in text or "--" in text or not _HUB_ID.match(text):
        raise InvalidArgument("model", MODEL_EXPECTED, f"{text} (neither an existing folder nor a hub id)")
    return text


@dataclasses.dataclass(frozen=True)
class TinyOPT:
    """A small OPT configuration (transformers' own OPT classes) for the offline stand-in."""

    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    ffn_dim: int = 256
    max_position_embeddings: int = 256
    dropout: float = 0.1

    def build(self, vocab_size: int, seed: int):
        from transformers import OPTConfig, OPTForCausalLM

        from collapse.llm.synthetic import EOS_ID, PAD_ID

        seed_torch(seed)
        cfg = OPTConfig(
            vocab_size=vocab_size, hidden_size=self.hidden_size, num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads, ffn_dim=self.ffn_dim,
            max_position_embeddings=self.max_position_embeddings, word_embed_proj_dim=self.hidden_size,
            dropout=self.dropout, attention_dropout=0.0, pad_token_id=PAD_ID, bos_token_id=EOS_ID,
            eos_token_id=EOS_ID,
        )
        return OPTForCausalLM(cfg)


def seed_torch(seed: int) -> None:
    """Seed torch's CPU and CUDA generators (the only place the project does so)."""
    import torch

    torch.manual_seed(int(seed) % (2**63))


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda`` without a GPU is refused."""
    import torch

    check_choice("device", device, ("auto", "cpu", "cuda"))
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument("device", "'cpu' or 'auto' (no CUDA device is visible)", device)
    return device


@contextlib.contextmanager
def precision(dtype: str):
    """Run the code inside with precision ``dtype`` (one of :data:`DTYPES`): what :func:`autocast_dtype` returns."""
    check_choice("dtype", dtype, DTYPES)
    token = _PRECISION.set(dtype)
    try:
        yield
    finally:
        _PRECISION.reset(token)


def current_precision() -> str:
    """The precision in force (``fp32`` outside any :func:`precision`)."""
    return _PRECISION.get()


def check_dtype(dtype: str, device: str) -> str:
    """``dtype`` if ``device`` (``cpu`` or ``cuda``, resolved) can run it: fp16 needs a GPU, bf16 one that has it."""
    import torch

    check_choice("dtype", dtype, DTYPES)
    if dtype == "fp16" and device != "cuda":
        raise InvalidArgument("dtype", "fp32 or bf16 on the CPU (fp16 mixed precision needs a CUDA GPU)", dtype)
    if dtype == "bf16" and device == "cuda" and not torch.cuda.is_bf16_supported():
        raise InvalidArgument("dtype", "fp32 or fp16 (this GPU does not support bf16)", dtype)
    return dtype


def autocast_dtype(device: str):
    """The autocast dtype of the precision in force (:func:`precision`): ``None`` for fp32 (the default)."""
    import torch

    dtype = _PRECISION.get()
    if dtype == "fp32":
        return None
    check_dtype(dtype, device)
    return torch.bfloat16 if dtype == "bf16" else torch.float16


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (``HF_ENDPOINT`` if set) can be reached, and offline mode is not requested."""
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or (80 if url.scheme == "http" else 443)),
                                 timeout=timeout).close()
        return True
    except OSError:
        return False


def load_pretrained(model: str) -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a local directory or a Hugging Face hub id, the weights in fp32.

    Any causal LM that ``AutoModelForCausalLM`` knows (OPT, GPT-2, GPT-NeoX / Pythia, Llama,
    Qwen2, ...) with the tokenizer ``AutoTokenizer`` finds beside it. The weights are loaded
    in float32 whatever dtype they were saved in (``facebook/opt-125m`` is stored in fp16, and
    transformers 5 would otherwise keep that): lower precision is autocast (:func:`precision`),
    the master weights stay fp32, as the release's.

    A local directory is read with ``local_files_only``; a hub id is tried in the
    local cache first and downloaded only if the hub is reachable, so that an
    unknown id offline fails at once with a clear message instead of retrying.
    The pair is checked to fit together (:func:`_check_pair`).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    check_model_name(model)
    quiet_transformers()
    kw = _fp32()
    path = Path(model).expanduser()
    if path.is_dir():
        try:
            pair = (AutoModelForCausalLM.from_pretrained(path, local_files_only=True, **kw),
                    AutoTokenizer.from_pretrained(path, local_files_only=True))
        except Exception as exc:  # noqa: BLE001 -- any unreadable folder (bad JSON, weights, tokenizer) is bad input
            raise InvalidArgument("model", "a folder holding a causal LM and its tokenizer saved by save_pretrained",
                                  f"{model} ({type(exc).__name__}: {_first_line(exc)[:200]})") from None
        return _check_pair(model, *pair)
    try:
        return _check_pair(model, AutoModelForCausalLM.from_pretrained(model, local_files_only=True, **kw),
                           AutoTokenizer.from_pretrained(model, local_files_only=True))
    except (OSError, ValueError):
        pass
    if not hub_reachable():
        raise InvalidArgument(
            "model", "a local model folder (holding config.json) or a hub id already in the local cache: the "
            "Hugging Face hub cannot be reached from here (HF_HUB_OFFLINE is set, or no network)",
            f"{model} (not in the local cache)")
    try:
        pair = AutoModelForCausalLM.from_pretrained(model, **kw), AutoTokenizer.from_pretrained(model)
    except Exception as exc:  # noqa: BLE001 -- an unknown id, a gated one, a non-causal model: bad input
        raise InvalidArgument("model", "a causal LM id on the Hugging Face hub",
                              f"{model} ({type(exc).__name__}: {_first_line(exc)[:200]})") from None
    return _check_pair(model, *pair)


def _fp32() -> dict[str, Any]:
    """``from_pretrained``'s keyword for float32 weights (``dtype`` from transformers 5, ``torch_dtype`` before)."""
    import torch
    import transformers

    major = int(transformers.__version__.split(".")[0])
    return {"dtype" if major >= 5 else "torch_dtype": torch.float32}


def _check_pair(name: str, model, tokenizer) -> tuple[Any, Any]:
    """Refuse a model and tokenizer that do not fit: ids beyond the embedding, an end token it cannot write."""
    rows = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > rows:
        raise InvalidArgument("model", "a tokenizer whose ids the model can embed",
                              f"{name} ({len(tokenizer)} tokens in the tokenizer, {rows} embedding rows)")
    eos = model.config.eos_token_id
    for e in (eos if isinstance(eos, (list, tuple)) else [eos]):
        if e is not None and not 0 <= int(e) < rows:
            raise InvalidArgument("model", "a config whose eos_token_id is a token of the model",
                                  f"{name} (eos_token_id {e}, vocabulary of {rows})")
    return model, tokenizer


def describe_model(model) -> str:
    """One line: architecture, size, context, as recorded in a run's notes."""
    c = model.config
    n = sum(p.numel() for p in model.parameters())
    ctx = getattr(c, "max_position_embeddings", None)
    return (f"{type(model).__name__} (model_type {getattr(c, 'model_type', '?')}), {n:,} parameters, vocabulary "
            f"{model.get_input_embeddings().num_embeddings}" + (f", context {ctx}" if ctx else ""))


def quiet_transformers() -> None:
    """Silence transformers' own per-file progress bars (the experiment shows its own)."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def check_context(model, block_size: int, new_tokens: int) -> None:
    """Prompt plus continuation must fit the model's positional context."""
    ctx = getattr(model.config, "max_position_embeddings", None)
    if ctx is not None and block_size + new_tokens > ctx:
        raise InvalidArgument(
            "block_size", f"block_size + new_tokens <= the model's context of {ctx} tokens",
            f"{block_size} + {new_tokens} = {block_size + new_tokens}")


def check_fits(name: str, needed: float, what: str, device: str) -> None:
    """Refuse, before any work, a step whose memory estimate ``needed`` (bytes) does not fit ``device``.

    CPU: :func:`collapse.core.validation.check_memory`; CUDA: 90% of the GPU's free memory.
    """
    if device != "cuda":
        check_memory(name, needed, what)
        return
    import torch

    free, _ = torch.cuda.mem_get_info()
    if not math.isfinite(needed) or needed > 0.9 * free:
        raise InvalidArgument(name, f"a run that fits in the {0.9 * free / 2 ** 30:.3g} GiB of free GPU memory",
                              _Shown(f"about {needed / 2 ** 30:.3g} GiB for {what}"))


class _Shown(str):
    """A value shown as it is in an InvalidArgument message (no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def state_to_cpu(model) -> dict[str, Any]:
    """A detached CPU copy of the model's parameters and buffers."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _tied_keys(model) -> set[str]:
    out = model.get_output_embeddings()
    inp = model.get_input_embeddings()
    if out is not None and inp is not None and out.weight.data_ptr() == inp.weight.data_ptr():
        return {k for k, v in model.state_dict().items() if v.data_ptr() == out.weight.data_ptr()} - {
            k for k, v in model.named_parameters() if v is inp.weight}
    return set()


def checkpoint_bytes(model, metadata: dict[str, str] | None = None) -> bytes:
    """The model's weights as the bytes of one safetensors file (tied copies stored once)."""
    from safetensors.torch import save

    skip = _tied_keys(model)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items() if k not in skip}
    return save(state, metadata=metadata)


def save_checkpoint(model, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write the model's weights as one safetensors file, atomically (a run writes them through its Run)."""
    return atomic_write_bytes(path, checkpoint_bytes(model, metadata))


def load_checkpoint(model, path: Path) -> None:
    """Load weights written by :func:`save_checkpoint`; a damaged file is a clear error, never deleted."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        state = load(Path(path).read_bytes())
    except (SafetensorError, OSError, ValueError) as exc:
        raise InvalidArgument(
            "checkpoint", "a complete safetensors file written by this toolkit (move it away to recompute "
            "that generation)", f"{path} ({_first_line(exc)})") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = set(missing) - _tied_keys(model)
    if missing or unexpected:
        raise InvalidArgument("checkpoint", "weights matching the model", f"{path} (missing {sorted(missing)[:3]}, "
                              f"unexpected {sorted(unexpected)[:3]})")
