"""``collapse simulate|figures vae``: generations of VAEs trained on their predecessor's samples."""

from __future__ import annotations

import json

from collapse.commands._args import IntRange, PathArg
from collapse.commands._families import add_common, add_figure

#: torch is not a core dependency: the llm extra installs it
NEEDS_TORCH = "needs torch, which the 'llm' extra provides: pip install 'collapse-toolkit[llm]'"


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "vae", help="VAE chain (Supplementary Material); MNIST from --mnist DIR, else embedded digits",
        description="Generation 0 trains on real digits, each later VAE only on the previous decoder's "
                    "samples. Without --mnist it uses scikit-learn's bundled 8x8 digits (no download). "
                    f"Resumable generation by generation. It {NEEDS_TORCH}.")
    add_common(p, name="vae", generations=5, chains=None)
    p.add_argument("--mnist", type=PathArg("in_dir"), default=None, metavar="DIR",
                   help="an existing folder with the MNIST training images, train-images-idx3-ubyte[.gz] "
                        "(default: the embedded 8x8 digits)")
    p.add_argument("--limit", type=IntRange(1, 10 ** 7), default=None, metavar="N",
                   help="use only the first N real images, 1 .. 10^7 (default all)")
    p.add_argument("--epochs", type=IntRange(1, 10 ** 4), default=None,
                   help="epochs per generation, 1 .. 10^4 (default 30 on MNIST, 150 on the embedded digits)")
    p.add_argument("--latent", type=IntRange(1, 4096), default=20, help="latent dimension, 1 .. 4096 (default 20)")
    p.add_argument("--threads", type=IntRange(1, 256), default=1, help="torch threads, 1 .. 256 (default 1)")
    p.set_defaults(func=_simulate)

    add_figure(groups, "vae", "sample grids per generation and latent-mean histograms; simulating the missing "
                              f"results {NEEDS_TORCH}")


def _simulate(args) -> int:
    import torch  # noqa: F401 -- before the run folder is made; if missing, collapse.cli names the extra

    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.vae import VAEExperiment

    cfg = VAEExperiment(args.generations, args.epochs, args.latent, mnist=str(args.mnist) if args.mnist else None,
                        limit=args.limit, regime=args.regime, threads=args.threads, seed=args.seed)
    path = run_experiment(args.out, "vae", cfg, force=args.force, progress=not args.quiet)
    from collapse.core.runio import load_npz

    std = load_npz(path)[1]["latent_std"]
    if args.json:
        print(json.dumps({"results": str(path), "latent_std": [float(s) for s in std]}))
        return 0
    print("std of generation-0 latent means per generation: " + ", ".join(f"{s:.3f}" for s in std))
    print(f"results: {path}")
    return 0
