"""Tables of the identity service (schema `identity`)."""

from sqlalchemy.orm import DeclarativeBase

from services.platform.db import service_metadata

metadata = service_metadata("identity")


class Base(DeclarativeBase):
    metadata = metadata
