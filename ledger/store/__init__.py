"""Storage: the database connection, migrations, and the SQL the ledger runs."""
