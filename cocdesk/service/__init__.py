"""The one service layer the CLI and the TUI share: no screen or command holds a rule."""

from cocdesk.service.cases import CaseService, CaseSummary, CaseView
from cocdesk.service.desk import Desk
from cocdesk.service.session import Session
from cocdesk.service.team import TeamService

__all__ = ["CaseService", "CaseSummary", "CaseView", "Desk", "Session", "TeamService"]
