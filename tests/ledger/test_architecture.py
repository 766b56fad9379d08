"""Dependencies point one way: bot -> diagnostics -> ledger; only bot/ knows Discord."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FORBIDDEN = {
    "ledger": {"bot", "diagnostics", "discord"},
    "diagnostics": {"bot", "discord"},
    "bot/http": {"discord"},  # the webhook process never loads discord.py
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import discord\nfrom bot.cli import main\n")
    assert imports(bad) & FORBIDDEN["ledger"] == {"discord", "bot"}
