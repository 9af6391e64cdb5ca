"""Hot reload: when the service's own code changes, import its entry afresh and serve the new
handlers; connections stay open. An edit that fails to import is reported and the last good
handlers keep serving.

"The service's own code" is every imported module whose file lies under the project root
(not eventual itself, not installed packages). Their directories are polled for ``*.py`` changes,
so a new module beside them counts too.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from eventual.errors import ConfigurationError
from eventual.project import Project, load_sockets
from eventual.sockets import Socket

_EVENTUAL_DIR = Path(__file__).resolve().parents[1]

Snapshot = dict[Path, tuple[int, int, bytes | None]]
"""Per file: modification time, size and, while recently modified, a digest of its content.

Some filesystems keep modification times to the second: two edits within one second look alike
but for their content."""
_RECENT_NS = 2_000_000_000
_SETTLE = 0.05


class Reloader:
    """Polls the service's source files from a background thread and reloads on a change."""

    def __init__(
        self,
        project: Project,
        on_reload: Callable[[dict[str, Socket]], None],
        on_error: Callable[[str], None],
        *,
        interval: float = 0.3,
    ) -> None:
        self.project = project
        self.root = project.root.resolve()
        self.on_reload = on_reload
        self.on_error = on_error
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._extra_dirs: set[Path] = set()
        self._ownership: dict[str, bool] = {}
        self._snapshot = self._scan()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="eventual-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            snapshot = self._scan()
            if not changed_files(self._snapshot, snapshot):
                continue
            # Let an editor finish writing (a save may truncate first, write after).
            while not self._stop.wait(_SETTLE):
                settled = self._scan()
                if settled == snapshot:
                    break
                snapshot = settled
            for file in changed_files(self._snapshot, snapshot):
                _forget_bytecode(file)
            self.reload()
            # Files scanned before the import keep that state, so an edit made while it ran
            # is seen next time; files of directories the import added come in as they are.
            self._snapshot = {file: snapshot.get(file, state) for file, state in self._scan().items()}

    def reload(self) -> None:
        """Import the entry afresh; on failure put the previous modules back."""
        previous = {name: sys.modules.pop(name) for name in self._own_modules()}
        importlib.invalidate_caches()
        try:
            sockets = load_sockets(self.project)
        except ConfigurationError as error:
            self._extra_dirs = {file.parent for file in failure_files(error, self.root)}
            for name in self._own_modules():
                sys.modules.pop(name, None)  # half-imported attempt
            sys.modules.update(previous)
            self.on_error(describe_failure(error, self.root))
            return
        self._extra_dirs = set()
        self.on_reload(sockets)

    def _own_modules(self) -> list[str]:
        return [name for name, module in list(sys.modules.items()) if self._owns(module)]

    def _owns(self, module: ModuleType) -> bool:
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            return False
        owned = self._ownership.get(file)
        if owned is None:  # resolving paths costs syscalls: once per file, not once per poll
            owned = self._ownership[file] = is_service_file(Path(file), self.root)
        return owned

    def _scan(self) -> Snapshot:
        directories = set(self._extra_dirs)
        for module in list(sys.modules.values()):
            if self._owns(module):
                directories.add(Path(str(module.__file__)).resolve().parent)
        snapshot: Snapshot = {}
        for directory in directories:
            try:
                for file in directory.glob("*.py"):
                    stat = file.stat()
                    recent = time.time_ns() - stat.st_mtime_ns < _RECENT_NS
                    digest = hashlib.blake2b(file.read_bytes()).digest() if recent else None
                    snapshot[file] = (stat.st_mtime_ns, stat.st_size, digest)
            except OSError:
                continue  # a directory removed meanwhile
        return snapshot


def changed_files(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, edited or removed between two scans."""
    edited = [file for file in before if file not in after]
    for file, (mtime, size, digest) in after.items():
        if file not in before:
            edited.append(file)
            continue
        old_mtime, old_size, old_digest = before[file]
        if (mtime, size) != (old_mtime, old_size) or (
            digest is not None and old_digest is not None and digest != old_digest
        ):
            edited.append(file)
    return edited


def _forget_bytecode(file: Path) -> None:
    """Cached bytecode is checked against the source's size and mtime in whole seconds: after
    two edits within one second it would pass for the new source."""
    with contextlib.suppress(OSError, NotImplementedError, ValueError):
        Path(importlib.util.cache_from_source(str(file))).unlink(missing_ok=True)


def is_service_file(file: Path, root: Path) -> bool:
    """Under the project root, and neither eventual's own code nor an installed package."""
    if str(file).startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    path = file.resolve()
    return (
        path.is_relative_to(root)
        and not path.is_relative_to(_EVENTUAL_DIR)
        and not any(part in ("site-packages", "dist-packages") for part in path.parts)
    )


def failure_files(error: BaseException, root: Path) -> list[Path]:
    """The service's files an import failure points at, innermost last."""
    cause = error.__cause__ or error
    files = [Path(frame.filename) for frame in traceback.extract_tb(cause.__traceback__)]
    if isinstance(cause, SyntaxError) and cause.filename:
        files.append(Path(cause.filename))
    return [file.resolve() for file in files if is_service_file(file, root)]


def describe_failure(error: ConfigurationError, root: Path) -> str:
    """One line: the error and, for an error raised in the service's code, where."""
    cause = error.__cause__
    if cause is None or isinstance(cause, SyntaxError):
        return str(error)  # a SyntaxError names its file and line itself
    frames = [
        frame
        for frame in traceback.extract_tb(cause.__traceback__)
        if is_service_file(Path(frame.filename), root)
    ]
    if not frames:
        return str(error)
    where = Path(frames[-1].filename).resolve().relative_to(root)
    return f"{error} ({where}:{frames[-1].lineno})"
