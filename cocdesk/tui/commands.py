"""The command palette: every action of the current screen, plus lock and help.

Built from the screens' own bindings, so the palette, the footer and the help
screen can never disagree about what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class CocdeskCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        area = getattr(screen, "PALETTE_AREA", "app")
        found: list[tuple[str, str, Callable[[], object]]] = []
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                found.append(
                    (
                        f"{area}: {binding.description}",
                        binding.tooltip or binding.description,
                        partial(screen.run_action, binding.action),
                    )
                )
        app = self.app
        found.append(
            (
                "app: Lock now",
                "Lock at once: hide every case and forget the keys",
                partial(app.run_action, "lock"),
            )
        )
        found.append(("app: Help", "What this screen is for, and its keys", partial(app.run_action, "help")))
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
