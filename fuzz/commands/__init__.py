"""One module per `python -m fuzz` subcommand."""
