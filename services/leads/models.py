"""Tables of the leads service (schema `leads`)."""

from sqlalchemy.orm import DeclarativeBase

from services.platform.db import service_metadata

metadata = service_metadata("leads")


class Base(DeclarativeBase):
    metadata = metadata
