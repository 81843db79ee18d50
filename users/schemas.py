"""Who is calling: the authenticated principal and the users/credentials behind it."""

import uuid
from dataclasses import dataclass

from core.vocab import Role


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request, with the scope their role grants."""

    user_id: uuid.UUID
    role: Role
    name: str
    jobcentre_code: int | None = None
    employer_id: uuid.UUID | None = None

    @property
    def is_jobcentre_staff(self) -> bool:
        return self.role in (Role.CONSULTANT, Role.JOBCENTRE_ADMIN)

    @property
    def is_staff(self) -> bool:
        """Consultants, jobcentre admins and admins may work with any employer."""
        return self.role is not Role.EMPLOYER


# Work started from the command line (imports, demo loading) runs as the operator; the audit log
# records it under this id.
OPERATOR = Principal(user_id=uuid.UUID(int=0), role=Role.ADMIN, name="operator (command line)")
