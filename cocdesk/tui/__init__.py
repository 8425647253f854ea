"""The full-screen Textual app: screens only show and ask; the service layer decides."""
