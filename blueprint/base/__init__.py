"""What every layer may use: the errors the command turns into exit codes, the one YAML loader, all-or-nothing writes and progress lines. Imports nothing else of the kit."""
