"""Every word BoneLine sends or speaks, as data: one folder per language, YAML files inside."""

from pathlib import Path

CATALOG_DIR = Path(__file__).parent
