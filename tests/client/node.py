"""The TypeScript client's folder and its Node tools, with clear failures."""

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO_ROOT / "clients" / "typescript"
NODE_BIN = CLIENT_DIR / "node_modules" / ".bin"
GENERATED_TYPES = CLIENT_DIR / "src" / "openapi.ts"
# The flags of the package.json "generate" script, less the output path.
GENERATE_FLAGS = ["--default-non-nullable=false"]


def require_npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "npm not found on PATH: install Node.js 20 or later with npm",
            pytrace=False,
        )
    return npm


def require_node_tool(name: str) -> Path:
    """Return node_modules/.bin/NAME, or fail with how to install it."""
    tool = NODE_BIN / name
    if not tool.exists():
        pytest.fail(
            f"{tool} is missing: run `npm ci` in {CLIENT_DIR} "
            "(`make test-deps` does it)",
            pytrace=False,
        )
    return tool
