"""The earlier tool (gogen): its output files and summary, and its settings JSON read as a policy."""
