"""Optional progress reporting for long work started from the CLI (a rich `Progress`, or nothing at all)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

Advance = Callable[[int], None]


def _ignore(_steps: int) -> None:
    return None


class Steps:
    """Adds tasks to a progress bar when there is one; services and jobs call it the same way either way."""

    def __init__(self, progress: "Progress | None") -> None:
        self.progress = progress

    def task(self, description: str, total: int) -> Advance:
        """Start a task of `total` steps; returns the function that advances it by n steps."""
        progress = self.progress
        if progress is None:
            return _ignore
        task_id = progress.add_task(description, total=total)

        def advance(steps: int = 1) -> None:
            progress.advance(task_id, steps)

        return advance
