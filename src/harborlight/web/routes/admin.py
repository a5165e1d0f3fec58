"""Routes: admin (to be filled)."""

from fastapi import APIRouter

router = APIRouter()
