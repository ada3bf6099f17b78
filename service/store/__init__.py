"""The database: engine and sessions, models, migrations, and one module per table family that
owns every write to it. The only code that imports SQLAlchemy."""
