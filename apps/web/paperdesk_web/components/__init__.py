"""Pure component functions of the web UI."""

from paperdesk_web.components.connection import connection_indicator
from paperdesk_web.components.forms import form_error, labeled_input
from paperdesk_web.components.quote_tile import quote_tile
from paperdesk_web.components.shell import brand, coming_soon, shell
from paperdesk_web.components.sparkline import sparkline

__all__ = [
    "brand",
    "coming_soon",
    "connection_indicator",
    "form_error",
    "labeled_input",
    "quote_tile",
    "shell",
    "sparkline",
]
