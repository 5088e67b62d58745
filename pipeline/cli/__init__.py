"""The ``warmcity`` command: one click group, one module per subcommand group."""
