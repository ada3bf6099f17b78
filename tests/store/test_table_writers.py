"""Each table is written by exactly one store module, and nothing outside the store writes SQL."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from service.store import models  # noqa: F401  (registers every model on Base)
from service.store.db import Base
from tests.conftest import ROOT

# Every model and its table, so a new table is checked without editing this test (sorted: the
# registry's order is not fixed).
MODELS = dict(
    sorted(
        (mapper.class_.__name__, mapper.class_.__tablename__) for mapper in Base.registry.mappers
    )
)
WRITE_CALLS = {"insert", "update", "delete"}
RAW_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)


def source_files() -> list[Path]:
    """Every module of the service and the scheduler (migrations build the schema; not counted)."""
    files = [*ROOT.joinpath("service").rglob("*.py"), *ROOT.joinpath("scheduler").rglob("*.py")]
    return sorted(path for path in files if "migrations" not in path.parts)


def table_names_in_module(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound to a table (`X = cast(sa.Table, Model.__table__)`, aliases)."""
    names = dict(MODELS)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            text = ast.unparse(node.value)
            for model, table in MODELS.items():
                # A whole name: `Message.__table__` must not match `PlannedMessage.__table__`.
                if re.search(rf"\b{model}\.__table__", text) and isinstance(target, ast.Name):
                    names[target.id] = table
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Attribute):
                # `_SUBSCRIBERS = subscribers.SUBSCRIBERS`
                names.setdefault(target.id, node.value.attr)
    return names


def resolve(node: ast.expr, names: dict[str, str], upper_names: dict[str, str]) -> str | None:
    """The table a statement's argument names, if any."""
    if isinstance(node, ast.Name):
        return names.get(node.id) or upper_names.get(node.id)
    if isinstance(node, ast.Attribute):
        return upper_names.get(node.attr) or names.get(node.attr)
    return None


def writes_by_table(extra: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Which modules write each table, found in the source (`extra`: module name -> source)."""
    parsed = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): ast.parse(path.read_text())
        for path in source_files()
    }
    parsed.update({module: ast.parse(source) for module, source in (extra or {}).items()})
    # Table constants exported by store modules (SUBSCRIBERS, MESSAGES, ...), by name.
    upper_names: dict[str, str] = {}
    for tree in parsed.values():
        for name, table in table_names_in_module(tree).items():
            if name.isupper() and table in Base.metadata.tables:
                upper_names[name] = table
    writers: dict[str, set[str]] = defaultdict(set)
    for module, tree in parsed.items():
        writes_in_module(tree, module, upper_names, writers)
    return writers


def writes_in_module(
    tree: ast.Module, module: str, upper_names: dict[str, str], writers: dict[str, set[str]]
) -> None:
    """Add the tables one module writes to `writers`."""
    names = table_names_in_module(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = called or (node.func.id if isinstance(node.func, ast.Name) else None)
            if called in WRITE_CALLS and node.args:
                table = resolve(node.args[0], names, upper_names)
                if table:
                    writers[table].add(module)
            if called == "insert_ignoring_duplicates":
                for argument in node.args:
                    table = resolve(argument, names, upper_names)
                    if table:
                        writers[table].add(module)
            if called in {"add", "add_all", "merge"} and node.args:
                for model in MODELS:
                    if model in ast.unparse(node.args[0]):
                        writers[MODELS[model]].add(module)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for table in RAW_WRITE.findall(node.value):
                if table in Base.metadata.tables:
                    writers[table].add(module)
        if isinstance(node, ast.FunctionDef):
            writers_of_loaded_objects(node, module, writers)


def writers_of_loaded_objects(
    function: ast.FunctionDef, module: str, writers: dict[str, set[str]]
) -> None:
    """A function that loads ORM objects of a model and sets their attributes writes its table."""
    text = ast.unparse(function)
    assigns_attributes = any(
        isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Attribute) for target in node.targets)
        for node in ast.walk(function)
    )
    if not assigns_attributes:
        return
    for model, table in MODELS.items():
        if re.search(rf"\.get\({model}\b|select\({model}\)", text):
            writers[table].add(module)


def test_every_table_has_exactly_one_writer_and_it_is_a_store_module() -> None:
    writers = writes_by_table()
    for table in Base.metadata.tables:
        if table == "plan_runs":
            # Planned days belong to the planned-messages family: one module owns both.
            assert writers[table] <= writers["planned_messages"], writers[table]
        assert len(writers[table]) == 1, f"{table} is written by {sorted(writers[table])}"
        (module,) = writers[table]
        assert module.startswith("service.store."), f"{table} is written by {module}"


def test_the_checker_finds_writes_outside_the_store_in_every_style() -> None:
    styles = {
        "service.flows.core_statement": "import sqlalchemy as sa\nsa.update(Subscriber)\n",
        "service.flows.table_constant": "x = messages.MESSAGES\nsa.delete(MESSAGES)\n",
        "service.flows.orm_add": "session.add(Escalation(reason='x'))\n",
        "service.flows.raw_sql": "connection.exec_driver_sql('DELETE FROM call_steps')\n",
        "service.flows.orm_object": (
            "def f(session):\n    row = session.get(PlannedMessage, 1)\n    row.status = 'x'\n"
        ),
    }
    writers = writes_by_table(styles)
    assert "service.flows.core_statement" in writers["subscribers"]
    assert "service.flows.table_constant" in writers["messages"]
    assert "service.flows.orm_add" in writers["escalations"]
    assert "service.flows.raw_sql" in writers["call_steps"]
    assert "service.flows.orm_object" in writers["planned_messages"]
