"""Routes: findings (to be filled)."""

from fastapi import APIRouter

router = APIRouter()
