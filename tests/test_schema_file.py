"""The committed ``schema.graphql`` is what the code serves."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from registry.cli import app
from registry.schema.builder import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `registry schema export` and commit the result"
    )


def test_schema_export_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"

    result = CliRunner().invoke(app, ["schema", "export", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8")


def test_every_type_and_field_is_described() -> None:
    schema = build_schema()._schema
    missing = [
        f"{name}.{field_name}" if field_name else name
        for name, graphql_type in schema.type_map.items()
        if not name.startswith("__") and name not in {"String", "Int", "Boolean", "ID", "Float"}
        for field_name, field in [("", graphql_type), *getattr(graphql_type, "fields", {}).items()]
        if not field.description
    ]
    assert missing == []
