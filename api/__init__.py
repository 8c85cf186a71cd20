"""The HTTP service: FastAPI app over the discretion library and store (thin: no legal logic here)."""
