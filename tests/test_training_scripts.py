"""What both training scripts must do alike: never learn from a held-out file."""

from __future__ import annotations

from pathlib import Path

import pytest

from training_scripts import ROOT, load_script, run_script

DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize("name", ["train_spam_model", "train_negative_model"])
def test_the_script_refuses_held_out_files(name: str, tmp_path: Path) -> None:
    # The file does not exist: the script must refuse it by its name, before opening anything
    # (opening it would fail differently).
    heldout = tmp_path / "triage_heldout4.jsonl"
    done = run_script(name, "--no-cv", "--data", str(heldout), "--out", str(tmp_path / "m.json"))
    assert done.returncode != 0
    assert "refusing triage_heldout4.jsonl" in done.stderr
    assert not (tmp_path / "m.json").exists()
    script = load_script(name)
    with pytest.raises(script.RefusedData):
        script.load([DATA / "triage_dev.jsonl", tmp_path / "Triage_HELDOUT.jsonl"])
    assert not any("heldout" in path.name for path in script.TUNING_FILES)
