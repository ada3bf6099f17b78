"""Fetch Twilio's OpenAPI description of the 2010-04-01 API and patch it for Prism.

Run from anywhere: `python tests/twilio_spec/fetch_spec.py`. It needs npm and the npm registry
and nothing else from the internet. The package, its integrity and the file inside it are pinned
in this folder's package.json (the test-only Node tools live here, not at the repository root,
so a Procfile platform sees a Python app) under "twilioOpenApi"; `npm pack` fetches that one
tarball without dependencies.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(__file__).resolve().parent
# package.json, package-lock.json and (after `npm ci`) node_modules/ for the tests' Node tools.
NODE_TOOLS_DIR = SPEC_DIR
PATCHED_SPEC = SPEC_DIR / "twilio_api_v2010.patched.json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SOURCE_MARK = "x-boneline-source"
NPM_TIMEOUT_SECONDS = 300


class SpecUnavailable(RuntimeError):
    """The Twilio OpenAPI description could not be fetched or checked."""


def pinned_source(root: Path = NODE_TOOLS_DIR) -> dict[str, str]:
    """The package, integrity and file of Twilio's description, as pinned in package.json."""
    manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
    pin: dict[str, str] = manifest["twilioOpenApi"]
    return {key: pin[key] for key in ("package", "integrity", "file")}


def _source_label(pin: dict[str, str]) -> str:
    """A label naming exactly what the patched file was made from."""
    return f"{pin['package']} {pin['file']} {pin['integrity']}"


def is_current(path: Path = PATCHED_SPEC, root: Path = NODE_TOOLS_DIR) -> bool:
    """Whether the patched description exists and was made from the pinned source."""
    if not path.is_file():
        return False
    try:
        info = json.loads(path.read_text(encoding="utf-8")).get("info", {})
    except (OSError, ValueError):
        return False
    return bool(info.get(SOURCE_MARK) == _source_label(pinned_source(root)))


def _check_integrity(tarball: Path, integrity: str) -> None:
    """Raise SpecUnavailable unless the tarball matches its npm sha512 integrity string."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SpecUnavailable(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise SpecUnavailable(f"{tarball.name} does not match the integrity pinned in package.json")


def _npm_pack(package: str, destination: Path) -> Path:
    """Download one npm package's tarball (without its dependencies) into destination."""
    npm = shutil.which("npm")
    if npm is None:
        raise SpecUnavailable("npm is not installed")
    try:
        result = subprocess.run(
            [npm, "pack", package, "--json", "--pack-destination", str(destination)],
            cwd=destination,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SpecUnavailable(f"npm pack {package} took over {NPM_TIMEOUT_SECONDS} s") from error
    if result.returncode != 0:
        raise SpecUnavailable(f"npm pack {package} failed: {result.stderr.strip()[-2000:]}")
    tarballs = list(destination.glob("*.tgz"))
    if len(tarballs) != 1:
        raise SpecUnavailable(f"npm pack {package} left {len(tarballs)} tarballs")
    return tarballs[0]


def _read_member(tarball: Path, member: str) -> bytes:
    """One file's bytes from an npm tarball, whose files all sit under package/."""
    with tarfile.open(tarball, "r:gz") as archive:
        extracted = archive.extractfile(f"package/{member}")
        if extracted is None:
            raise SpecUnavailable(f"{member} is not a regular file in {tarball.name}")
        with extracted:
            return extracted.read()


def _either_item_or_array(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an array property so one value or several repeated form keys both validate."""
    items = schema.get("items", {})
    rest = {key: value for key, value in schema.items() if key not in ("type", "items")}
    return {
        **rest,
        "anyOf": [copy.deepcopy(items), {"type": "array", "items": copy.deepcopy(items)}],
    }


def patch_form_arrays(spec: dict[str, Any]) -> int:
    """Make form-body array properties accept a single item; return how many were changed.

    Prism 5 reads a repeated form key (how twilio-python sends a list) as one value and then
    rejects it as "must be array" (stoplightio/prism#2473).
    """
    changed = 0
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            form_schema = content.get(FORM_CONTENT_TYPE, {}).get("schema", {})
            properties = form_schema.get("properties", {})
            for name, prop in properties.items():
                if prop.get("type") == "array":
                    properties[name] = _either_item_or_array(prop)
                    changed += 1
    return changed


def fetch_patched_spec(
    output: Path = PATCHED_SPEC, root: Path = NODE_TOOLS_DIR, force: bool = False
) -> Path:
    """Make sure output holds the pinned Twilio description, patched for Prism."""
    if not force and is_current(output, root):
        return output
    pin = pinned_source(root)
    with tempfile.TemporaryDirectory(prefix="twilio-oai-") as scratch:
        tarball = _npm_pack(pin["package"], Path(scratch))
        _check_integrity(tarball, pin["integrity"])
        spec = json.loads(_read_member(tarball, pin["file"]))
    if patch_form_arrays(spec) == 0:
        raise SpecUnavailable("no form-body arrays found: has the description's layout changed?")
    spec["info"][SOURCE_MARK] = _source_label(pin)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial")
    partial.write_text(json.dumps(spec, separators=(",", ":")), encoding="utf-8")
    os.replace(partial, output)
    return output


def main() -> int:
    """Fetch and patch the description, printing where it went."""
    try:
        path = fetch_patched_spec(force="--force" in sys.argv[1:])
    except SpecUnavailable as error:
        print(f"fetch_spec: {error}", file=sys.stderr)
        return 1
    print(f"fetch_spec: {path.relative_to(REPO_ROOT)} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
