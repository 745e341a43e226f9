"""The clearance command: its parser, its commands, the demo, the checks made before a command starts and its exit codes."""
