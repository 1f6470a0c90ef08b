"""Django's SQLite backend with one write gate per database file and process (``base``)."""
