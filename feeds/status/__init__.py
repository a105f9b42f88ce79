"""The operator status page: figures read from the database, rendered as HTML."""
