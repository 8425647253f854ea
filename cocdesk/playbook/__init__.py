"""The response procedure as data: the shipped default and an event's own file."""

from cocdesk.playbook.loader import Playbook, load_default, load_file, parse_playbook

__all__ = ["Playbook", "load_default", "load_file", "parse_playbook"]
