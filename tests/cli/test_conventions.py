"""Command-line conventions, checked on every parser (a subcommand added later is walked too).

The common options (``--seed``, ``--out``, ``--json``, ``--quiet``, ``--chains``,
``--generations``, ``--samples``...) are defined once, in
:data:`collapse.commands._options.OPTIONS`; here every subcommand's options are compared
with that table. Also: every option has help, a short flag means one thing everywhere,
and every command has ``--json``. Then: a command whose optional extra is not installed
says so in one line with the pip command (exit status 2).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections import defaultdict

import pytest

from collapse.cli import build_parser
from collapse.commands._options import OLD_SPELLINGS, OPTIONS, PER_COMMAND

#: leaf commands allowed to lack --json, with the reason (none today)
NO_JSON: dict[str, str] = {}


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every (command path, parser) under ``parser``, itself first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, path + (name,))


def subparser_actions(parser):
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def options(parser):
    """The parser's own options and positionals (not -h, not the subcommand choices)."""
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))]


PARSERS = list(walk(build_parser()))
LEAVES = [(path, p) for path, p in PARSERS if not subparser_actions(p)]
ALL_OPTIONS = [(path, a) for path, p in PARSERS for a in options(p)]


def _name(path) -> str:
    return "collapse " + " ".join(path)


def test_the_walk_finds_every_command():
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"verify", "reproduce", "sweep", "llm run", "theory gaussian", "theory regression", "simulate gaussian",
            "simulate vae", "figures gaussian", "figures llm", "figures sweep", "bench gaussian",
            "bench llm"} <= names
    assert len(ALL_OPTIONS) > 150


def test_every_option_and_subcommand_has_help():
    missing = [f"{_name(path)} {'/'.join(a.option_strings) or a.dest}" for path, a in ALL_OPTIONS
               if not (a.help and a.help.strip()) or a.help == argparse.SUPPRESS]
    assert not missing, "options without help: " + ", ".join(missing)
    for path, parser in PARSERS:
        for action in subparser_actions(parser):
            listed = {c.dest for c in action._choices_actions if c.help}
            assert listed == set(action.choices), f"{_name(path)}: subcommands without help: " \
                                                  f"{sorted(set(action.choices) - listed)}"


def test_no_old_spelling_of_a_common_option():
    found = [f"{_name(path)} {flag} (use {'/'.join(OPTIONS[OLD_SPELLINGS[flag]].flags)})"
             for path, a in ALL_OPTIONS for flag in a.option_strings if flag in OLD_SPELLINGS]
    assert not found, "old spellings: " + ", ".join(found)


def _table_entry(action):
    """The table's name of the common option ``action`` is or claims to be (by flag or destination)."""
    names = {name for name, opt in OPTIONS.items() if set(opt.flags) & set(action.option_strings)}
    names |= {name for name, opt in OPTIONS.items() if action.dest == opt.dest and action.option_strings}
    return names


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_common_option_is_the_tables_everywhere(name):
    opt = OPTIONS[name]
    seen = 0
    for path, action in ALL_OPTIONS:
        if name not in _table_entry(action):
            continue
        seen += 1
        where = f"{_name(path)} {'/'.join(action.option_strings)}"
        assert getattr(action, "common_option", None) == name, f"{where}: add it with _options.add(p, {name!r})"
        assert tuple(action.option_strings) == opt.flags, f"{where}: flags differ from {opt.flags}"
        assert action.help.startswith(opt.help), f"{where}: help {action.help!r} does not start with {opt.help!r}"
        if opt.default is not PER_COMMAND:
            assert action.default == opt.default, f"{where}: default {action.default!r}, table {opt.default!r}"
        if opt.flag:
            assert action.nargs == 0 and action.help == opt.help, f"{where}: an on/off flag with the table's help"
        elif action.default is not None:
            shown = " ".join(map(str, action.default)) if isinstance(action.default, list) else str(action.default)
            assert action.help.endswith(f"(default {shown})"), f"{where}: help does not give the default {shown}"
        if opt.minimum is not None:
            low, high = action.type.low, action.type.high  # collapse.commands._args.IntRange
            assert low >= opt.minimum, f"{where}: accepts {low}, below the table's {opt.minimum}"
            assert high <= opt.maximum, f"{where}: accepts {high}, above the table's {opt.maximum}"
    assert seen, f"no command uses --{name}"


def test_a_short_flag_means_one_thing_everywhere():
    meaning = defaultdict(set)  # short flag -> long flags it goes with
    shorts = defaultdict(set)  # long flag -> sets of short flags it has
    for path, a in ALL_OPTIONS:
        long = tuple(f for f in a.option_strings if f.startswith("--"))
        short = frozenset(f for f in a.option_strings if not f.startswith("--"))
        for s in short:
            meaning[s] |= set(long) or {a.dest}
        for f in long:
            shorts[f].add(short)
    clashes = {s: sorted(longs) for s, longs in meaning.items() if len(longs) > 1}
    assert not clashes, f"a short flag with several meanings: {clashes}"
    uneven = {f: sorted(sorted(s) for s in sets) for f, sets in shorts.items() if len(sets) > 1}
    assert not uneven, f"an option with a short flag in some commands only: {uneven}"


def test_every_command_has_json():
    lacking = [_name(path) for path, p in LEAVES
               if " ".join(path) not in NO_JSON
               and not any(a.option_strings == ["--json"] for a in options(p))]
    assert not lacking, "commands without --json: " + ", ".join(lacking)


def test_commands_that_show_progress_can_hide_it():
    for path, p in LEAVES:
        flags = {f for a in options(p) for f in a.option_strings}
        if path[0] in ("simulate", "sweep") or path[:2] in (("llm", "run"),) or path[0] == "verify":
            assert "--quiet" in flags, f"{_name(path)} has no --quiet"


def test_seed_default_everywhere():
    for path, a in ALL_OPTIONS:
        if "--seed" in a.option_strings:
            assert a.default == 20240724, _name(path)


def test_every_figure_command_parses(tmp_path, monkeypatch):
    """``collapse figures --list`` shows commands: each must be one the parser accepts.

    In a chain ``A && B``, the folders A writes (its ``--out``) exist when B is parsed, as
    they would when the chain runs (B's ``--out`` is a folder it reads, checked when parsed).
    """
    import shlex

    from collapse.figures.registry import all_figures

    monkeypatch.chdir(tmp_path)
    bad = []
    for spec in all_figures().values():
        for command in spec.command.split("&&"):
            words = shlex.split(command)
            assert words[0] == "collapse", spec.command
            try:
                args = build_parser().parse_args(words[1:])
            except SystemExit:
                bad.append(command.strip())
                continue
            out = getattr(args, "out", None)
            if out is not None:
                (tmp_path / out).mkdir(parents=True, exist_ok=True)
    assert not bad, f"figure commands the parser refuses: {bad}"


# ---- an optional extra that is not installed ---------------------------------------------------

#: a meta-path finder that makes ``MODULES`` (and their submodules) look not installed
BLOCK = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MODULES:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
"""


def _without(modules: tuple[str, ...], argv: list[str], cwd) -> subprocess.CompletedProcess:
    """``collapse ARGV`` in a fresh interpreter where importing ``modules`` fails as if not installed."""
    code = (f"MODULES = {modules!r}\n{BLOCK}\n"
            f"from collapse.cli import main\nsys.exit(main({argv!r}))\n")
    env = os.environ | {"PYTHONWARNINGS": "error", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


@pytest.mark.parametrize("modules, argv, command, extra", [
    (("torch",), ["llm", "run", "--quick", "--quiet", "--out", "OUT"], "llm run", "llm"),
    (("torch",), ["simulate", "vae", "--generations", "1", "--epochs", "1", "--limit", "32", "--quiet",
                  "--out", "OUT"], "simulate vae", "llm"),
    (("torch",), ["bench", "llm", "--prompts", "1"], "bench llm", "llm"),
    (("dask", "distributed"), ["sweep", "GRID", "--executor", "dask", "--out", "OUT"], "sweep", "sweep"),
], ids=["llm-run", "simulate-vae", "bench-llm", "sweep-dask"])
def test_missing_extra_is_one_line_with_the_pip_command(tmp_path, modules, argv, command, extra):
    grid = tmp_path / "g.toml"
    grid.write_text('family = "discrete"\n[grid]\nsamples = 5\nstates = 3\ngenerations = 2\nchains = 4\n')
    argv = [str(tmp_path / "out") if a == "OUT" else str(grid) if a == "GRID" else a for a in argv]
    out = _without(modules, argv, tmp_path)
    assert out.returncode == 2, out.stderr[-2000:]
    err = out.stderr.strip()
    assert err == (f"collapse: error: {command} needs the '{extra}' extra: pip install 'collapse-toolkit[{extra}]' "
                   f"(missing module {modules[0]})"), err[-2000:]
    assert not (tmp_path / "out").exists()  # said before any work


def test_another_missing_module_keeps_its_traceback(tmp_path):
    """Only the extras' modules get the pip advice: a core dependency missing is a real error."""
    out = _without(("numpy",), ["simulate", "kde", "--chains", "2", "--generations", "1", "--quiet", "--out",
                                 str(tmp_path / "out")], tmp_path)
    assert out.returncode == 1 and "ModuleNotFoundError" in out.stderr and "extra" not in out.stderr


def test_vae_help_says_torch_comes_with_the_llm_extra(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulate", "vae", "--help"])
    assert "pip install 'collapse-toolkit[llm]'" in " ".join(capsys.readouterr().out.split())
