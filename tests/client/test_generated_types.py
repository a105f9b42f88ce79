"""The committed openapi.ts matches the API's current OpenAPI document."""

import difflib
import json
import subprocess

from feeds.api.openapi import build_document
from tests.client.node import (
    CLIENT_DIR,
    GENERATE_FLAGS,
    GENERATED_TYPES,
    require_node_tool,
)


def generate_types(document_path, output_path) -> None:
    generator = require_node_tool("openapi-typescript")
    completed = subprocess.run(
        [
            str(generator),
            str(document_path),
            *GENERATE_FLAGS,
            "--output",
            str(output_path),
        ],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_generated_types_are_current(tmp_path):
    document_path = tmp_path / "openapi.json"
    document_path.write_text(json.dumps(build_document(), indent=2))
    output_path = tmp_path / "openapi.ts"

    generate_types(document_path, output_path)

    expected = output_path.read_text()
    committed = GENERATED_TYPES.read_text()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "committed openapi.ts",
            "generated from build_document()",
            n=1,
        )
    )
    assert committed == expected, (
        "clients/typescript/src/openapi.ts is out of date. Start the API and run "
        "`npm run generate -- http://127.0.0.1:8000/openapi.json` in "
        f"clients/typescript.\n{diff[:6000]}"
    )


def test_package_script_uses_same_flags():
    scripts = json.loads((CLIENT_DIR / "package.json").read_text())["scripts"]

    assert scripts["generate"].split() == [
        "openapi-typescript",
        *GENERATE_FLAGS,
        "--output",
        "src/openapi.ts",
    ]
