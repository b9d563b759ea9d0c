"""Corpora, per-line tokenization, fixed-length blocks, and the real-data mixing of setting 2.

Protocol (official-protocol.md, "Data"): each line is tokenized separately with
the model's tokenizer (OPT's prepends ``</s>`` to every line, empty ones too),
all ids are concatenated and cut into blocks of ``block_size`` tokens; the
remainder is dropped; ``labels = input_ids``, no padding.

Lines are those of the hub's ``wikitext-2-raw-v1``: a local file is read as the hub's
wikitext script reads its files (universal newlines, split at ``\\n`` only), each line keeps
its newline, and a blank line is the empty string (:func:`read_lines`). A byte-level BPE
gives the newline a token of its own, so dropping it would change the ids.

What the tokenizer does to a line is probed, not assumed (:func:`line_convention`): the
special tokens it adds before and after every line, what an empty line becomes, whether
the newline survives. It is recorded in the run's notes (:func:`data_note`) with the data's
variant: the raw text (``wiki.*.raw``, the paper's) or the tokenized ``wiki.*.tokens``
(``wikitext-2-v1``: rare words replaced by ``<unk>``), which is a different corpus.
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
    "Corpus", "SPLITS", "DATA_EXPECTED", "WIKITEXT2_LINES", "check_data_path", "load_corpus", "load_wikitext_dir",
    "load_text_file", "read_lines", "split_articles", "tokenize_lines", "build_blocks", "mix_real",
    "LineConvention", "line_convention", "data_note",
]

SPLITS = ("train", "valid", "test")
#: the largest text file read (WikiText-103's train split is about 540 MB)
MAX_TEXT_BYTES = 2 ** 30
#: the hub's wikitext-2-raw-v1 (and wikitext-2-v1): rows per split, one per line of the original files
WIKITEXT2_LINES = {"train": 36718, "valid": 3760, "test": 4358}
RAW_VARIANT = "wikitext-2-raw-v1"
TOKENS_VARIANT = "wikitext-2-v1 (the tokenized variant: rare words replaced by <unk>; not the paper's raw text)"
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
        if len({f.suffix for f in found.values()}) > 1:
            raise InvalidArgument("data", "a folder whose splits are all .raw or all .tokens (one variant)",
                                  f"{text} ({', '.join(sorted(f.name for f in found.values()))})")
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
    #: which text it is: ``wikitext-2-raw-v1`` (the paper's), the tokenized variant, or a text file
    variant: str = ""

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
                  test=list(ds["test"]["text"]), note="wikitext-2-raw-v1 from the Hugging Face hub",
                  variant=RAW_VARIANT)


def load_wikitext_dir(path: Path) -> Corpus:
    """Read ``wiki.{train,valid,test}.raw`` (preferred, as the paper) or ``.tokens``.

    Lines as the hub gives them (:func:`read_lines`). Where only one split file exists
    (``../shared`` ships just ``wiki.valid.tokens``), it is cut into train / valid / test at
    article boundaries by :func:`split_articles`. The variant (raw or tokenized, and whether
    the line counts are WikiText-2's) is in the corpus's ``variant`` and ``note``.
    """
    check_data_path(str(path))
    found = _split_files(Path(path))
    read = {s: read_lines(f) for s, f in found.items()}
    variant = _variant(found, read)
    if len(found) == 3:
        return Corpus(**read, note=f"WikiText from {path}: {variant}", files={s: str(f) for s, f in found.items()},
                      variant=variant)
    (only_split, lines), = read.items()
    return _cut(lines, found[only_split], f"{found[only_split].name} from {path}", variant)


def _variant(found: dict[str, Path], read: dict[str, list[str]]) -> str:
    """Raw or tokenized (by name, checked against the text), and whether the line counts are WikiText-2's."""
    tokens = next(iter(found.values())).suffix == ".tokens"
    unk = any(" <unk> " in line for lines in read.values() for line in lines[:20000])
    variant = TOKENS_VARIANT if tokens else RAW_VARIANT
    if not tokens and unk:
        variant = "wiki.*.raw files whose text holds <unk>: the tokenized variant's text, not the paper's raw text"
    same = all(len(read[s]) == WIKITEXT2_LINES[s] for s in read)
    ours = ", ".join(f"{s} {len(v)}" for s, v in read.items())
    theirs = ", ".join(f"{s} {WIKITEXT2_LINES[s]}" for s in read)
    return f"{variant}; lines {ours} ({'as' if same else 'unlike'} WikiText-2's {theirs})"


def load_text_file(path: Path) -> Corpus:
    """One UTF-8 text file, cut into train / valid / test (80/10/10) at article boundaries."""
    path = Path(path)
    _check_text_file(path)
    lines = read_lines(path)
    parts = path.name.split(".")
    if len(parts) == 3 and parts[0] == "wiki" and parts[1] in SPLITS and parts[2] in ("raw", "tokens"):
        variant = _variant({parts[1]: path}, {parts[1]: lines})  # a WikiText split file given by its path
    else:
        variant = "a text file" + (" (its text holds <unk>: tokenized)" if any(" <unk> " in x for x in lines) else "")
    return _cut(lines, path, str(path), variant)


def _cut(lines: list[str], f: Path, what: str, variant: str) -> Corpus:
    if sum(1 for line in lines if line.strip()) < len(SPLITS):
        raise InvalidArgument("data", "a text of at least 3 non-empty lines, to cut into train, valid and test",
                              f"{f} ({sum(1 for line in lines if line.strip())} non-empty lines)")
    parts = split_articles(lines, (0.8, 0.1, 0.1))
    return Corpus(*parts, note=f"{what} ({variant}) cut 80/10/10 at article boundaries",
                  files={s: str(f) for s in SPLITS}, variant=variant)


def read_lines(f: Path) -> list[str]:
    """The lines of a UTF-8 text file as the hub's ``wikitext`` rows (a file in another encoding is bad input).

    As the hub's wikitext script reads its files (Python's text mode: ``\\r\\n`` and ``\\r`` become
    ``\\n``; lines end at ``\\n`` only, not at the other characters :meth:`str.splitlines` breaks at),
    each line keeps its newline, and a line of only whitespace is the empty string.
    """
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
    return hub_lines(text)


def hub_lines(text: str) -> list[str]:
    """``text`` cut as :func:`read_lines` does (newlines kept, blank lines empty)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]  # the text after the last newline has none
    if lines[-1] == "":
        lines.pop()
    return [line if line.strip() else "" for line in lines]


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


@dataclasses.dataclass(frozen=True)
class LineConvention:
    """What a tokenizer does to each line on its own (:func:`line_convention`), ids and their token strings.

    before, after  special tokens added before / after every line's text
    empty          the ids of an empty line (a blank line of WikiText-2)
    newline        the ids a line's trailing ``\\n`` adds (empty: the newline is dropped)
    round_trip     whether decoding a line's ids without specials gives the line back, newline included
    """

    tokenizer: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    empty: tuple[int, ...]
    newline: tuple[int, ...]
    round_trip: bool
    tokens: dict[int, str]
    bos: str | None = None
    eos: str | None = None

    def _show(self, ids: tuple[int, ...]) -> str:
        return "[" + ", ".join(f"{self.tokens.get(i, '?')!r} ({i})" for i in ids) + "]"

    @property
    def opt_release(self) -> bool:
        """OPT's convention in the release: ``</s>`` before every line, empty ones too, nothing after."""
        return (self.bos == "</s>" and len(self.before) == 1 and self.tokens.get(self.before[0]) == "</s>"
                and not self.after and self.empty == self.before)

    @property
    def separated(self) -> bool:
        """Whether consecutive lines stay apart in the concatenated stream (a special token or the newline)."""
        return bool(self.before or self.after or self.newline)

    def describe(self) -> str:
        parts = [f"tokenizer {self.tokenizer}: every line tokenized on its own",
                 f"per line it adds {self._show(self.before)} before and {self._show(self.after)} after",
                 f"an empty line gives {self._show(self.empty)}",
                 (f"a line's newline is kept as {self._show(self.newline)}" if self.newline
                  else "a line's newline is dropped"),
                 "decoding gives the text back" if self.round_trip else "decoding does not give the text back",
                 f"OPT's per-line </s> (the release's convention): {'yes' if self.opt_release else 'no'}"]
        if not self.separated:
            parts.append("lines run together with nothing between them")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return dict(tokenizer=self.tokenizer, before=list(self.before), after=list(self.after),
                    empty=list(self.empty), newline=list(self.newline), round_trip=self.round_trip,
                    opt_release=self.opt_release, bos=self.bos, eos=self.eos)


#: the text probed (words a byte-level BPE of any corpus can spell)
_PROBE = "the cat"


def _ids(tokenizer, text: str, special: bool) -> tuple[int, ...]:
    return tuple(int(i) for i in tokenizer(text, add_special_tokens=special)["input_ids"])


def line_convention(tokenizer) -> LineConvention:
    """Probe what ``tokenizer`` does to one line (as :func:`tokenize_lines` calls it), without assuming.

    The special tokens around a line are where the line's own ids (without specials) sit
    inside its ids with specials; the newline's ids are what ``text + "\\n"`` adds to ``text``.
    """
    plain, full = _ids(tokenizer, _PROBE, False), _ids(tokenizer, _PROBE, True)
    before: tuple[int, ...] = ()
    after: tuple[int, ...] = ()
    for i in range(len(full) - len(plain) + 1):
        if full[i:i + len(plain)] == plain:
            before, after = full[:i], full[i + len(plain):]
            break
    else:  # the specials change the line's own ids (a prefix space, say): call what the empty line gets the specials
        before = _ids(tokenizer, "", True)
    with_nl = _ids(tokenizer, _PROBE + "\n", False)
    newline = with_nl[len(plain):] if with_nl[:len(plain)] == plain else tuple(
        i for i in with_nl if i not in plain)
    empty = _ids(tokenizer, "", True)
    decoded = tokenizer.decode(list(with_nl), skip_special_tokens=False, clean_up_tokenization_spaces=False)
    ids = set(before + after + empty + newline)
    tokens = {i: str(t) for i, t in zip(sorted(ids), tokenizer.convert_ids_to_tokens(sorted(ids)))}
    return LineConvention(tokenizer=type(tokenizer).__name__, before=before, after=after, empty=empty,
                          newline=newline, round_trip=decoded == _PROBE + "\n", tokens=tokens,
                          bos=getattr(tokenizer, "bos_token", None), eos=getattr(tokenizer, "eos_token", None))


def data_note(corpus: Corpus, tokenizer) -> str:
    """The run's note on its data: where the text came from, its variant, and the tokenizer's line convention."""
    return f"{corpus.note}; lines keep their newline, blank lines are empty (as the hub's rows); " \
           f"{line_convention(tokenizer).describe()}"


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
