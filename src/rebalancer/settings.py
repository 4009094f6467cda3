"""Config models (pydantic-settings): TOML file plus environment variables for secrets."""
