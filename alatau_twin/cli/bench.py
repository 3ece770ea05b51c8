"""``alatau-twin bench``: discover and run ``benchmarks/bench_*.py`` (cli layer).

Benchmarks live in the repository's ``benchmarks/`` folder (next to the package in a
source checkout, the way the README installs the app). Each reports a figure and a
baseline measured in the same run; we print both and the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from alatau_twin.cli.main import CliError


def benchmarks_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "benchmarks"
    if here.is_dir():
        return here
    raise CliError(
        f"no benchmarks folder at {here}: benchmarks run from a source checkout (pip install -e .)"
    )


def discover() -> dict[str, ModuleType]:
    mods: dict[str, ModuleType] = {}
    for path in sorted(benchmarks_dir().glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(f"alatau_bench_{path.stem}", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods[getattr(mod, "NAME", path.stem.removeprefix("bench_"))] = mod
    return mods


def cmd_bench(args: argparse.Namespace) -> int:
    mods = discover()
    if args.list:
        for name, mod in mods.items():
            print(f"{name:16s} {getattr(mod, 'DESCRIPTION', '')}")
        return 0
    names = args.names or list(mods)
    unknown = [n for n in names if n not in mods]
    if unknown:
        raise CliError(f"unknown benchmark(s) {unknown}; available: {sorted(mods)}")
    results = []
    for name in names:
        if not args.json:
            print(f"== {name}: {getattr(mods[name], 'DESCRIPTION', '')}", flush=True)
        for res in mods[name].run(quick=args.quick):
            results.append(res)
            if not args.json:
                print("   " + format_result(res), flush=True)
    if args.json:
        json.dump([r.to_dict() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


def format_result(res: object) -> str:
    from alatau_twin.benchmarking import BenchResult

    assert isinstance(res, BenchResult)
    text = f"{res.name}: {res.figure:.4g} {res.unit}"
    if res.baseline is not None:
        text += f"  | baseline {res.baseline:.4g} {res.unit} ({res.baseline_label})"
        if res.ratio is not None:
            text += f"  | ratio {res.ratio:.3g}"
    if res.target:
        verdict = {True: "met", False: "NOT met", None: ""}[res.passed]
        text += f"  | target {res.target} {verdict}"
    return text
