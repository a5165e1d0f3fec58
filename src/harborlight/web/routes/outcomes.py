"""Routes: outcomes (to be filled)."""

from fastapi import APIRouter

router = APIRouter()
