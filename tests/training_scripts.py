"""What the tests of the two training scripts (`scripts/train_spam_model.py`,
`scripts/train_negative_model.py`) share: loading a script as a module, running it, and
running code under several hash seeds."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


def load_script(name: str) -> ModuleType:
    """`scripts/<name>.py` as a module. It imports the shared `logistic` from its own
    directory, which Python puts on `sys.path` when it runs the script, and this does."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    """`python scripts/<name>.py ARGS` from the repository root, with this hash seed."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )


def outputs_under_hash_seeds(code: str, texts: list[str]) -> set[str]:
    """What `python -c CODE` prints with `texts` (JSON) on its input, under three hash seeds:
    one output when nothing it prints depends on the seed."""
    outputs = set()
    for seed in ("0", "1", "4242"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(done.stdout)
    return outputs


DATA = ROOT / "tests" / "data"


def tuning_line(name: str, text: str) -> dict[str, object]:
    """The labelled line of the tuning file `name` that holds `text` (never a held-out file)."""
    assert "heldout" not in name
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["text"] == text:
                return dict(row)
    raise AssertionError(f"not in {name}: {text!r}")


def brand_of(row: dict[str, object]) -> tuple[str, ...]:
    """A labelled line's brand as `assess` takes the brand's terms."""
    return (str(row["brand"]),) if row.get("brand") else ()
