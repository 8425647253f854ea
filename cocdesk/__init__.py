"""cocdesk: an offline, sealed Code of Conduct incident response desk."""

__version__ = "0.1.0"
