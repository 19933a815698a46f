"""FastAPI's `fastapi.dependencies` paths: the analysed dependency tree (`models`) and the functions that
build and solve it (`utils`), for extensions that inspect or extend routes. vivace's own pipeline compiles
the same tree into per-route plans and never calls these functions.
"""
