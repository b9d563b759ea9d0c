"""Corpora, per-line tokenization, fixed-length blocks, and the real-data mixing of setting 2.

Protocol (official-protocol.md, "Data"): each line is tokenized separately with
the model's tokenizer (OPT's prepends ``</s>`` to every line, empty ones too),
all ids are concatenated and cut into blocks of ``block_size`` tokens; the
remainder is dropped; ``labels = input_ids``, no padding.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from collapse.core.validation import InvalidArgument, check_int

__all__ = [
    "Corpus", "SPLITS", "DATA_EXPECTED", "check_data_path", "load_corpus", "load_wikitext_dir", "load_text_file",
    "split_articles", "tokenize_lines", "build_blocks", "mix_real",
]

SPLITS = ("train", "valid", "test")
#: the largest text file read (WikiText-103's train split is about 540 MB)
MAX_TEXT_BYTES = 2 ** 30
DATA_EXPECTED = ("'synthetic', 'wikitext' (the Hugging Face hub), a local WikiText-2 folder holding "
                 "wiki.{train,valid,test}.{raw,tokens}, or one UTF-8 text file (cut 80/10/10)")


def _split_files(path: Path) -> dict[str, Path]:
    """The split files of a WikiText folder, ``.raw`` preferred; refuses one that is not a readable file."""
    found: dict[str, Path] = {}
    for split in SPLITS:
        for ext in ("raw", "tokens"):
            f = path / f"wiki.{split}.{ext}"
            if f.exists() or f.is_symlink():
                _check_text_file(f)
                found[split] = f
                break
    return found


def _check_text_file(f: Path) -> None:
    """A text file that can be read: exists, a regular file (not a folder), readable, not empty, not too large."""
    why = None
    try:
        if not f.exists():
            why = "no such file"
        elif f.is_dir():
            why = "a folder, not a file"
        elif not f.is_file():
            why = "not a regular file"
        elif not os.access(f, os.R_OK):
            why = "not readable by this user"
        elif f.stat().st_size == 0:
            why = "empty"
        elif f.stat().st_size > MAX_TEXT_BYTES:
            why = f"{f.stat().st_size} bytes, more than {MAX_TEXT_BYTES}"
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
    if why:
        raise InvalidArgument("data", "a non-empty UTF-8 text file this user can read", f"{f} ({why})")


def check_data_path(data: str) -> str:
    """``data`` if it can be read as a corpus (the files' existence and kind; their text is read later).

    'synthetic' and 'wikitext' are names; anything else is a path: an existing folder holding at
    least one ``wiki.{split}.{raw,tokens}`` regular file (all three, or one to split), or an existing
    non-empty regular file.
    """
    text = str(data)
    if text in ("synthetic", "wikitext"):
        return text
    if not text.strip() or "\0" in text:
        raise InvalidArgument("data", DATA_EXPECTED, text)
    path = Path(text).expanduser()
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:
        raise InvalidArgument("data", DATA_EXPECTED, f"{text} ({exc.strerror or type(exc).__name__})") from None
    if not exists:
        raise InvalidArgument("data", DATA_EXPECTED, f"{text} (no such file or folder)")
    if is_dir:
        found = _split_files(path)
        if not found:
            raise InvalidArgument("data", "a folder holding wiki.{train,valid,test}.{raw,tokens}",
                                  f"{text} (no wiki.{{train,valid,test}}.{{raw,tokens}} in it)")
        if len(found) == 2:
            raise InvalidArgument("data", "all three of wiki.{train,valid,test} or just one to split",
                                  f"{text} (only {' and '.join(sorted(f.name for f in found.values()))})")
        return text
    _check_text_file(path)
    return text


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Lines of text per split; ``note`` says how the splits were made."""

    train: list[str]
    valid: list[str]
    test: list[str]
    note: str = ""
    #: the file each split was read from (named in messages about it)
    files: dict[str, str] = dataclasses.field(default_factory=dict)

    def split(self, name: str) -> list[str]:
        return getattr(self, name)


def load_corpus(data: str) -> Corpus:
    """Load ``data``: ``"wikitext"`` (Hugging Face hub) or a local WikiText-2 directory.

    The synthetic corpus is made by :mod:`collapse.llm.world`, which
    knows its seed and sizes.
    """
    if data == "wikitext":
        return _load_hub_wikitext()
    if data == "synthetic":
        raise InvalidArgument("data", "'wikitext', a local WikiText-2 folder or a text file (the synthetic corpus "
                              "is made with its language by collapse.llm.world)", data)
    check_data_path(data)
    path = Path(data).expanduser()
    return load_wikitext_dir(path) if path.is_dir() else load_text_file(path)


def _load_hub_wikitext() -> Corpus:
    from collapse.llm.model import hub_reachable

    if not hub_reachable():
        raise InvalidArgument(
            "data", "a local WikiText-2 folder or a text file: the Hugging Face hub cannot be reached from here "
            "(HF_HUB_OFFLINE is set, or no network)", "wikitext")
    try:
        import datasets
    except ImportError:
        raise InvalidArgument("data", "the 'datasets' package for 'wikitext' (pip install '.[llm]')",
                              "wikitext") from None
    ds = datasets.load_dataset("wikitext", "wikitext-2-raw-v1")
    return Corpus(train=list(ds["train"]["text"]), valid=list(ds["validation"]["text"]),
                  test=list(ds["test"]["text"]), note="wikitext-2-raw-v1 from the Hugging Face hub")


def load_wikitext_dir(path: Path) -> Corpus:
    """Read ``wiki.{train,valid,test}.raw`` (preferred, as the paper) or ``.tokens``.

    Lines are kept as in the file, without their newline; the hub's ``text``
    field is the same line with its ``\\n``, which the tokenizer treats as
    whitespace. Where only one split file exists (``../shared`` ships just
    ``wiki.valid.tokens``), it is cut into train / valid / test at article
    boundaries by :func:`split_articles`.
    """
    check_data_path(str(path))
    found = _split_files(Path(path))
    read = {s: _read_lines(f) for s, f in found.items()}
    if len(found) == 3:
        return Corpus(**read, note=f"WikiText-2 from {path}", files={s: str(f) for s, f in found.items()})
    (only_split, lines), = read.items()
    return _cut(lines, found[only_split], f"{found[only_split].name} from {path}")


def load_text_file(path: Path) -> Corpus:
    """One UTF-8 text file, cut into train / valid / test (80/10/10) at article boundaries."""
    _check_text_file(Path(path))
    return _cut(_read_lines(Path(path)), Path(path), str(path))


def _cut(lines: list[str], f: Path, what: str) -> Corpus:
    if sum(1 for line in lines if line.strip()) < len(SPLITS):
        raise InvalidArgument("data", "a text of at least 3 non-empty lines, to cut into train, valid and test",
                              f"{f} ({sum(1 for line in lines if line.strip())} non-empty lines)")
    parts = split_articles(lines, (0.8, 0.1, 0.1))
    return Corpus(*parts, note=f"{what} cut 80/10/10 at article boundaries", files={s: str(f) for s in SPLITS})


def _read_lines(f: Path) -> list[str]:
    """The lines of a UTF-8 text file (a file in another encoding, or one without text, is bad input)."""
    try:
        raw = f.read_bytes()
    except OSError as exc:
        raise InvalidArgument("data", "a readable text file", f"{f} ({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument("data", "a text file in UTF-8 (convert it, e.g. with iconv -t UTF-8)",
                              f"{f} (not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if "\0" in text:
        raise InvalidArgument("data", "a text file (this one holds NUL bytes)", str(f))
    if not text.strip():
        raise InvalidArgument("data", "a text file holding text", f"{f} (only whitespace)")
    return text.splitlines()


_HEADING = re.compile(r"^ = [^=].* = $")


def split_articles(lines: Sequence[str], fractions: Sequence[float]) -> list[list[str]]:
    """Cut ``lines`` into consecutive parts of about ``fractions`` of the lines, at article headings.

    An article starts at a top-level heading line `` = Title = ``; each cut is
    the article start nearest its share of lines, so no article is split and no
    part is empty.
    """
    starts = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    if len(starts) < len(fractions):  # too few articles: cut between lines
        starts = list(range(len(lines)))
    bounds, acc = [0], 0.0
    for j, frac in enumerate(fractions[:-1]):
        acc += frac
        # the article start nearest the target that leaves one start for each later part
        later = len(fractions) - 2 - j
        options = [s for s in starts if s > bounds[-1]]
        options = options[:-later] if later else options
        bounds.append(min(options, key=lambda s: abs(s - acc * len(lines))))
    bounds.append(len(lines))
    return [list(lines[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def tokenize_lines(tokenizer, lines: Sequence[str], batch: int = 2048) -> npt.NDArray[np.int64]:
    """Token ids of every line tokenized on its own (special tokens added), concatenated, shape (n,)."""
    ids: list[int] = []
    for i in range(0, len(lines), batch):
        for row in tokenizer(list(lines[i:i + batch]), add_special_tokens=True)["input_ids"]:
            ids.extend(row)
    return np.asarray(ids, dtype=np.int64)


def build_blocks(ids: npt.ArrayLike, block_size: int) -> npt.NDArray[np.int64]:
    """Cut a 1-D id stream into consecutive blocks, dropping the remainder.

    Parameters
    ----------
    ids : array of shape (n,)
    block_size : tokens per block

    Returns
    -------
    ndarray of shape (n // block_size, block_size)
    """
    block_size = check_int("block_size", block_size, minimum=2)
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise InvalidArgument("ids", "a 1-D array of token ids", f"shape {ids.shape}")
    n = len(ids) // block_size
    if n == 0:
        raise InvalidArgument("ids", f"at least block_size={block_size} tokens", len(ids))
    return ids[: n * block_size].reshape(n, block_size)


def mix_real(
    generated: npt.NDArray[np.int64], real: npt.NDArray[np.int64], fraction: float, rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Replace a random ``fraction`` of the generated blocks by the real blocks at the same positions.

    Setting 2: the training set keeps its size, ``round(fraction * n)`` of its
    blocks are real (chosen afresh each generation), the rest generated.

    Parameters
    ----------
    generated, real : arrays of shape (n, block_size)
    fraction : in [0, 1]
    rng : the generation's stream

    Returns
    -------
    mixed : ndarray of shape (n, block_size)
    is_real : bool ndarray of shape (n,)
    """
    if generated.shape != real.shape:
        raise InvalidArgument("generated", f"the real blocks' shape {real.shape}", generated.shape)
    if not 0.0 <= fraction <= 1.0:
        raise InvalidArgument("fraction", "a number in [0, 1]", fraction)
    n = len(real)
    is_real = np.zeros(n, dtype=bool)
    is_real[rng.choice(n, size=int(round(fraction * n)), replace=False)] = True
    return np.where(is_real[:, None], real, generated), is_real
