"""The OpenAPI document: its Pydantic models (`models`), constants, and the generator built at startup."""
