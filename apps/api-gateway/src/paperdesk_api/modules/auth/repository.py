"""Users and their paper accounts."""

from __future__ import annotations

from paperdesk_core.db.models import Account, User
from paperdesk_core.db.models.account import STARTING_CASH
from sqlalchemy import select

from paperdesk_api.kit.repository import RepositoryBase


class UserRepository(RepositoryBase[User]):
    model = User

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def create_with_account(self, *, email: str, password_hash: str, display_name: str) -> User:
        """Insert a user and its one paper account; flush so constraints are checked now."""
        user = User(email=email, password_hash=password_hash, display_name=display_name)
        self.session.add(user)
        self.session.flush()
        self.session.add(
            Account(
                user_id=user.id,
                currency="USD",
                starting_cash=STARTING_CASH,
                cash=STARTING_CASH,
            )
        )
        self.session.flush()
        return user
