# mypy: disable-error-code="no-any-return,operator"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars are typed for pyright, not mypy.)
"""A trade's tags: chips that can be removed and a popover to add one, with autocomplete."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.forms import labeled_input
from paperdesk_web.states._journal import TradeRow
from paperdesk_web.states.journal import JournalState, TagHint

S = JournalState


def tag_chip(row: ObjectVar[TradeRow], tag: rx.Var[str]) -> rx.Component:
    """One tag of a trade, with a button to take it off."""
    return rx.badge(
        tag,
        rx.icon_button(
            rx.icon("x", size=10),
            size="1",
            variant="ghost",
            color_scheme="teal",
            radius="full",
            aria_label=f"Remove tag {tag} from {row.name}",
            on_click=S.remove_tag(row.id, tag),
            height="14px",
            width="14px",
        ),
        variant="soft",
        color_scheme="teal",
        radius="full",
        size="1",
        data_testid="trade-tag",
    )


def _hint(row: ObjectVar[TradeRow], hint: ObjectVar[TagHint]) -> rx.Component:
    return rx.button(
        rx.text(hint.name),
        rx.spacer(),
        rx.text(hint.count, size="1", color=rx.color("gray", 10)),
        variant="ghost",
        color_scheme="gray",
        size="1",
        width="100%",
        type="button",
        aria_label=f"Use tag {hint.name}",
        on_click=S.add_tag(row.id, hint.name),
    )


def tag_popover(row: ObjectVar[TradeRow]) -> rx.Component:
    """The "+" button of a row and its editor: type a tag (suggestions follow), Enter adds it."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(
                rx.icon("plus", size=12),
                size="1",
                variant="soft",
                color_scheme="gray",
                radius="full",
                aria_label=f"Add tag to {row.name}",
            )
        ),
        rx.popover.content(
            rx.form(
                rx.vstack(
                    labeled_input(
                        "New tag",
                        input_id="tag-editor-input",
                        name="tag",
                        placeholder="e.g. breakout, fomo",
                        value=S.tag_draft,
                        on_change=S.set_tag_draft,
                        debounce_timeout=150,
                        auto_focus=True,
                        size="2",
                    ),
                    rx.cond(
                        S.tag_hints.length() > 0,
                        rx.vstack(
                            rx.text("Tags you use", size="1", color=rx.color("gray", 10)),
                            rx.foreach(S.tag_hints, lambda hint: _hint(row, hint)),
                            spacing="1",
                            width="100%",
                            role="group",
                            aria_label="Tag suggestions",
                        ),
                    ),
                    rx.button("Add tag", type="submit", size="2", width="100%"),
                    spacing="2",
                    width="220px",
                ),
                on_submit=S.submit_tag,
                reset_on_submit=False,
            ),
            side="bottom",
            align="start",
            aria_label=f"Tags of {row.name}",
        ),
        open=S.tag_editor_id == row.id,
        on_open_change=lambda is_open: S.toggle_tag_editor(row.id, is_open),
    )


def tag_cell(row: ObjectVar[TradeRow]) -> rx.Component:
    """The chips of a row and its add button."""
    return rx.flex(
        rx.foreach(row.tags, lambda tag: tag_chip(row, tag)),
        tag_popover(row),
        wrap="wrap",
        gap="4px",
        align="center",
    )
