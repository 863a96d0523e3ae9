"""The floor: a bare FastAPI JSON endpoint with a response model, started beside the service in
the same run, so that every endpoint is reported as a ratio to what the framework alone does."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    id: int
    code: str
    name: str
    level: int


@app.get("/item", response_model=Item)
def item() -> Item:
    return Item(id=1, code="DX-HUONGSON", name="Đảng bộ xã Hương Sơn", level=2)
