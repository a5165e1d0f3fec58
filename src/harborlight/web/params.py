"""Parameters several routes share. A store row id is a positive 32-bit integer on every database, so a
larger number is refused as invalid (422) before it reaches SQL, where SQLite would overflow. A form's
fields are read through the API's own model (`validated`), so a page and its twin accept the same."""

from typing import Annotated, TypeVar

from fastapi import Path
from pydantic import BaseModel, Field, ValidationError

from harborlight.errors import BadRequest

MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id of the workspace's store")]
RowIdField = Annotated[int, Field(ge=1, le=MAX_ID)]

Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], values: dict) -> Model:
    """A form's values as the API's model; a field that does not validate is named (never its value) in a 400."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "form"
        raise BadRequest(f"{where}: {first.get('msg', 'not accepted')}") from None
