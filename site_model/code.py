"""A block's `.py` file: compiled from its path (never importable as a package), and its calls.

Every error raised by block code comes back as a `BlockCodeError` naming the file and the line
of the innermost frame in that file, so the site builder sees `path:line: message`.
"""

from __future__ import annotations

import logging
import traceback
import types
from pathlib import Path

from . import check_ids as ids
from .spec import Problem

logger = logging.getLogger("blocks")


class BlockCodeError(Exception):
    """An error in site-builder code (a block's `.py` or `.html`), located by file and line."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def load_module(path: Path, rel_path: str, module_name: str):
    """Compile and run a block's `.py` file; returns (module or None, problems)."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(rel_path, 1, f"cannot read file: {exc}", ids.BAD_YAML)]
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        return None, [
            Problem(rel_path, exc.lineno or 1, f"syntax error: {exc.msg}", ids.CODE_ERROR)
        ]
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    try:
        exec(code, module.__dict__)  # noqa: S102 - the site's own code, loaded like an import
    except Exception as exc:  # noqa: BLE001 - any failure of site code becomes a located problem
        return None, [located(exc, path, rel_path, "error while loading")]
    return module, []


def located(exc: BaseException, path: Path, rel_path: str, doing: str) -> Problem:
    """A Problem at the innermost traceback frame that lies in `path`."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno or 1
    return Problem(rel_path, line, f"{doing}: {type(exc).__name__}: {exc}", ids.CODE_ERROR)


def call(function, context, path: Path, rel_path: str, name: str):
    """Run one function of block code; errors become a BlockCodeError at their line."""
    try:
        return function(context)
    except BlockCodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - see located()
        problem = located(exc, path, rel_path, f"error in {name}()")
        logger.warning("%s", problem, exc_info=exc)
        raise BlockCodeError(problem) from exc
