"""The docs stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_readme_opens_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```\n(.*?)```", readme, re.DOTALL).group(1)
    assert first_block.split("\n")[:2] == ["make demo", "make test"]
    assert first_block.strip().splitlines() == ["make demo", "make test"]
    assert readme.index("```") < readme.index("## ")


def test_every_linked_doc_exists():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+\.md)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_every_module_is_in_the_architecture_doc():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "src" / "harborlight"
    for module in sorted(package.rglob("*.py")):
        if module.name == "__init__.py":
            continue
        relative = module.relative_to(package)
        # A module is named by its path, or a subpackage as a whole (`synth/`).
        assert f"`{relative}`" in doc or f"`{relative.parts[0]}/`" in doc, relative


def test_benchmark_results_name_the_command_that_made_them():
    doc = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        if script.name != "run_all.py":
            assert f"benchmarks/{script.name}" in doc, script.name
