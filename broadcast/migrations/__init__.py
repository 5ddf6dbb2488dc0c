"""Alembic migrations of the broadcast data model (run through ``broadcast.db.init_db``)."""
