"""Parameters several routes share. A store row id is a positive 32-bit integer on every database, so a
larger number is refused as invalid (422) before it reaches SQL, where SQLite would overflow."""

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id of the workspace's store")]
RowIdField = Annotated[int, Field(ge=1, le=MAX_ID)]
