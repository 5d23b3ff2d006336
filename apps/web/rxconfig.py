"""Reflex configuration of the PaperDesk web UI (run through `python -m paperdesk_web`)."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="paperdesk_web",
    app_module_import="paperdesk_web.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_compression_formats=["gzip"],
    disable_plugins=[SitemapPlugin],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="dark",
                accent_color="teal",
                gray_color="slate",
                radius="medium",
                scaling="100%",
                has_background=True,
            )
        ),
    ],
)
